/**
 * The object operations of one s3Storage. Reads are explicit `bytes=start-end` ranges (never a
 * suffix: some servers get those wrong). `read` answers metadata and body with one GetObject;
 * `open` and every resumed read are guarded by `If-Match` on the planned ETag, so one response
 * is one object version. Every body is consumed or destroyed; an AbortSignal ends the request
 * when the client leaves. The metadata and first bytes S3 sends are kept briefly (s3-head-cache.ts):
 * HEAD, conditional requests and small reads near the start of a recently read object need no
 * S3 request.
 */
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { StorageError } from './errors';
import { type CachedRead, HeadCache, readKept } from './s3-head-cache';
import { keySegments } from './keys';
import { socketGate } from './s3-client';
import { CONTINUATION } from './s3-gated-handler';
import { MAX_WINDOWS, resumable } from './resume';
import { bodyOf, discardBody, getMeta, headMeta, statusOf, toStorageError } from './s3-responses';
import type { S3Settings } from './s3-options';
import type { ObjectMeta, OpenOptions, PresignOptions, ReadOptions, ReadResult } from './types';

/** Bytes of one GetObject: `end` absent, to the end of the object. */
type Span = { start: number; end?: number };
/** The version guard and abort signal of one GetObject. */
type Guard = Pick<OpenOptions, 'ifMatch' | 'signal'>;

/** One body pinned to a version: the storage key, its S3 key, the span it started with. */
interface Pin extends Span {
  key: string;
  objectKey: string;
  ifMatch: string;
  signal?: AbortSignal;
  /** The first GetObject asked for a window of this many bytes of the span (see firstRead). */
  window?: number;
}

/** stat, open, read and presign over the bucket and prefix of validated {@link S3Settings}. */
export class S3Objects {
  /** A request waits for one of the client's pooled sockets (clients from createS3Client). */
  private readonly crowded: (() => boolean) | undefined;
  /** Recently read objects' metadata and first bytes, by S3 key. */
  private readonly heads: HeadCache;

  constructor(private readonly settings: S3Settings) {
    const gate = socketGate(settings.client);
    this.crowded = gate && (() => gate.crowded());
    const { ms, bytes, objects } = settings.headCache;
    this.heads = new HeadCache(ms, bytes, objects);
  }

  /**
   * The object's metadata (from the head cache, else a HeadObject), or null for an invalid key
   * or a missing object.
   *
   * @example
   * const meta = await new S3Objects(readS3Options({ client, bucket: 'radio' })).stat('a.mp3');
   */
  async stat(key: string, signal?: AbortSignal): Promise<ObjectMeta | null> {
    const Key = this.objectKey(key);
    if (Key === null) return null;
    const cached = this.heads.meta(Key);
    if (cached) return cached;
    const { client, bucket } = this.settings;
    const ticket = this.heads.ticket();
    try {
      const meta = headMeta(await client.send(new HeadObjectCommand({ Bucket: bucket, Key }), { abortSignal: signal }));
      this.heads.remember(Key, meta, null, ticket);
      return meta;
    } catch (err) {
      if (err instanceof StorageError) throw err;
      const mapped = toStorageError(err, signal);
      if (mapped.code !== 'not-found') throw mapped;
      this.heads.forget(Key); // as send() does for GetObject: older answers in flight are refused
      return null;
    }
  }

  /**
   * A GetObject of `opts.range` (or the whole object); with `ifMatch`, pinned to that version
   * and resumed from the next byte when S3 fails mid-body (without it, bytes of two versions
   * could mix, so no resume).
   *
   * @example
   * const body = await objects.open('a.mp3', { range: { start: 0, end: 99 }, ifMatch: meta.etag, meta });
   */
  async open(key: string, opts: OpenOptions): Promise<Readable> {
    const Key = this.objectKey(key);
    if (Key === null) throw new StorageError('not-found', 'invalid key');
    const cached = opts.ifMatch ? this.heads.read(Key, opts.range, opts.ifMatch) : null;
    if (cached?.body) return bufferBody(cached.body);
    if (!opts.ifMatch) return this.get(Key, opts.range, opts);
    const start = opts.range?.start ?? 0;
    const end = opts.range?.end ?? (opts.meta ? opts.meta.size - 1 : undefined);
    const first = this.firstRead({ start, end });
    const body = await this.get(Key, first.window === undefined ? opts.range : first.span, opts);
    return this.pinned(body, { key, objectKey: Key, start, end, ifMatch: opts.ifMatch, signal: opts.signal, window: first.window });
  }

  /**
   * The first GetObject of a span: the span itself when it fits in the largest window (read at
   * S3's pace, the connection freed at once), else its first window (`resume.windowBytes`);
   * `window` undefined: windows are off, the span is read open-ended.
   */
  private firstRead(span: Span): { span: Span; window?: number } {
    const w = this.settings.resume.windowBytes;
    const length = span.end === undefined ? Number.POSITIVE_INFINITY : span.end - span.start + 1;
    if (w === 0 || length <= 0) return { span };
    if (length <= MAX_WINDOWS * w) return { span, window: length };
    return { span: { start: span.start, end: span.start + w - 1 }, window: w };
  }

  /**
   * One GetObject that yields metadata and body together, the body pinned to the ETag it came
   * with. When S3 cannot send the range (past the end) or its answer is incomplete, the result
   * carries metadata only (a HeadObject) and the plan decides. A read inside the object's first
   * `headCache.bytes` is answered from the head cache, which one GetObject of those bytes fills.
   *
   * @example
   * const found = await objects.read('a.mp3', { range: { start: 0 }, signal });
   */
  async read(key: string, opts: ReadOptions): Promise<ReadResult | null> {
    const Key = this.objectKey(key);
    if (Key === null) return null;
    let cached = this.heads.read(Key, opts.range);
    if (!cached && this.heads.fills(opts.range)) {
      const filled = await this.fillHead(Key, opts.signal);
      if (filled === 'gone') return null;
      if (filled === 'empty') return this.metaOnly(key, opts.signal);
      // Answered from what this request read, kept or not (a newer answer may be kept meanwhile).
      if (filled !== 'skipped') cached = readKept(filled.meta, filled.bytes, opts.range);
    }
    if (cached) return fromCache(cached);
    const first = this.firstRead(opts.range ?? { start: 0 });
    const ticket = this.heads.ticket();
    let out: GetObjectCommandOutput;
    try {
      out = await this.send(Key, first.window === undefined ? opts.range : first.span, { signal: opts.signal });
    } catch (err) {
      return this.readFailed(key, err, opts.signal);
    }
    const found = getMeta(out);
    if (!found) {
      discardBody(out);
      return this.metaOnly(key, opts.signal);
    }
    this.heads.remember(Key, found.meta, null, ticket);
    const pin = { key, objectKey: Key, ifMatch: found.meta.etag, signal: opts.signal };
    if (first.window !== undefined) {
      // A window of the span: the answer must be that window (else planned afresh from metadata).
      const size = found.meta.size;
      const start = opts.range?.start ?? 0;
      const end = Math.min(opts.range?.end ?? size - 1, size - 1);
      const got = found.range;
      if (!got || got.start !== start || got.end - got.start + 1 > first.window) {
        discardBody(out);
        return this.metaOnly(key, opts.signal);
      }
      const body = this.pinned(bodyOf(out, opts.signal), { ...pin, start, end, window: first.window });
      return { meta: found.meta, range: opts.range ? { start, end } : null, body };
    }
    const { start, end } = found.range ?? { start: 0, end: found.meta.size - 1 };
    return { ...found, body: this.pinned(bodyOf(out, opts.signal), { ...pin, start, end }) };
  }

  /**
   * A time-limited GetObject URL, answering with the given response headers.
   *
   * @example
   * const url = await objects.presign('a.mp3', { expiresIn: 300, contentType: 'audio/mpeg' });
   */
  async presign(key: string, p: PresignOptions): Promise<string> {
    const Key = this.objectKey(key);
    if (Key === null) throw new StorageError('not-found', 'invalid key');
    const command = new GetObjectCommand({
      Bucket: this.settings.bucket,
      Key,
      ResponseContentDisposition: p.contentDisposition,
      ResponseContentType: p.contentType,
      ResponseCacheControl: p.cacheControl,
    });
    return getSignedUrl(this.settings.client, command, { expiresIn: p.expiresIn });
  }

  /**
   * One GetObject of the object's first `headCache.bytes` into the head cache: the metadata and
   * bytes read. `gone`: no such object; `empty`: S3 has no first byte to send (416: the object is
   * empty, the plan answers from its metadata); `skipped`: S3's answer is not that span, or its
   * body failed (the read goes on without the cache, where a failing body is resumed).
   */
  private async fillHead(Key: string, signal?: AbortSignal): Promise<{ meta: ObjectMeta; bytes: Buffer } | 'gone' | 'empty' | 'skipped'> {
    const ticket = this.heads.ticket();
    let out: GetObjectCommandOutput;
    try {
      out = await this.send(Key, { start: 0, end: this.heads.bytes - 1 }, { signal });
    } catch (err) {
      if (err instanceof StorageError && err.code === 'not-found') return 'gone';
      if (err instanceof StorageError && err.code === 'unavailable' && statusOf(err.cause) === 416) return 'empty';
      throw err;
    }
    const found = getMeta(out);
    const length = found && (found.range ? found.range.end + 1 : found.meta.size);
    if (!found || (found.range && found.range.start !== 0) || length === null || length > this.heads.bytes) {
      discardBody(out);
      return 'skipped';
    }
    const bytes = await collect(bodyOf(out, signal), length, signal);
    if (!bytes) return 'skipped';
    this.heads.remember(Key, found.meta, bytes, ticket);
    return { meta: found.meta, bytes };
  }

  /** The S3 key of a storage key, or null when the key is not a safe relative path. */
  private objectKey(key: string): string | null {
    return keySegments(key) ? this.settings.prefix + key : null;
  }

  /** A failed read GetObject: a range past the end (416 InvalidRange, also any range of an empty object) leaves it to the plan, from metadata. */
  private async readFailed(key: string, err: unknown, signal?: AbortSignal): Promise<ReadResult | null> {
    if (err instanceof StorageError && err.code === 'unavailable' && statusOf(err.cause) === 416) return this.metaOnly(key, signal);
    if (err instanceof StorageError && err.code === 'not-found') return null;
    throw err;
  }

  private async metaOnly(key: string, signal?: AbortSignal): Promise<ReadResult | null> {
    const meta = await this.stat(key, signal);
    return meta && { meta, range: null, body: null };
  }

  /** Wraps a body so failures and slow-client releases re-read from the next byte, same version. */
  private pinned(first: Readable, pin: Pin): Readable {
    const { resume, onResume } = this.settings;
    const { key, start, end, signal } = pin;
    const reopen = (offset: number, length?: number): Promise<Readable> => {
      const from = start + offset;
      if (end !== undefined && from > end) return Promise.resolve(Readable.from([]));
      const to = length === undefined ? end : Math.min(end ?? Number.MAX_SAFE_INTEGER, from + length - 1);
      return this.get(pin.objectKey, { start: from, end: to }, { ifMatch: pin.ifMatch, signal }, true);
    };
    const report = onResume && ((attempt: number, offset: number, cause: unknown): void => onResume({ key, attempt, offset: start + offset, cause }));
    return resumable(first, { reopen, options: resume, signal, onResume: report, crowded: this.crowded }, pin.window);
  }

  /**
   * One GetObject of an explicit range (or the whole object), failures mapped to StorageError.
   * `continuation`: the next read of a body under way (waits behind first reads for a socket).
   */
  private async send(Key: string, span: Span | undefined, guard: Guard, continuation = false): Promise<GetObjectCommandOutput> {
    const Range = span ? `bytes=${span.start}-${span.end ?? ''}` : undefined;
    const { client, bucket } = this.settings;
    const options = { abortSignal: guard.signal, [CONTINUATION]: continuation };
    try {
      return await client.send(new GetObjectCommand({ Bucket: bucket, Key, Range, IfMatch: guard.ifMatch }), options);
    } catch (err) {
      const mapped = toStorageError(err, guard.signal);
      // S3 says the object is gone or no longer the version kept: nothing kept about it holds.
      if (mapped.code === 'not-found' || mapped.code === 'changed') this.heads.forget(Key);
      throw mapped;
    }
  }

  private async get(Key: string, span: Span | undefined, guard: Guard, continuation = false): Promise<Readable> {
    return bodyOf(await this.send(Key, span, guard, continuation), guard.signal);
  }
}

/** A read answered by the head cache, its body a stream of the kept bytes. */
function fromCache(cached: CachedRead): ReadResult {
  return { meta: cached.meta, range: cached.range, body: cached.body && bufferBody(cached.body) };
}

/** A stream of bytes already in memory. */
function bufferBody(bytes: Buffer): Readable {
  return Readable.from([bytes], { objectMode: false });
}

/** All of a small body (`length` bytes, the head cache's at most); null when it ends short or fails; `aborted` when the signal fires. */
async function collect(body: Readable, length: number, signal?: AbortSignal): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let got = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk as Buffer);
      got += (chunk as Buffer).length;
    }
  } catch (err) {
    if (signal?.aborted) throw new StorageError('aborted', 'S3 request aborted', { cause: err });
    return null;
  }
  return got === length ? Buffer.concat(chunks, length) : null;
}
