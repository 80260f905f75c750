/**
 * The object operations of one s3Storage. Reads are explicit `bytes=start-end` ranges (never a
 * suffix: some servers get those wrong). `read` answers metadata and body with one GetObject;
 * `open` and every resumed read are guarded by `If-Match` on the planned ETag, so one response
 * is one object version. Every body is consumed or destroyed; an AbortSignal ends the request
 * when the client leaves.
 */
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { StorageError } from './errors';
import { keySegments } from './keys';
import { resumable } from './resume';
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
}

/** stat, open, read and presign over the bucket and prefix of validated {@link S3Settings}. */
export class S3Objects {
  constructor(private readonly settings: S3Settings) {}

  /**
   * HeadObject: the object's metadata, or null for an invalid key or a missing object.
   *
   * @example
   * const meta = await new S3Objects(readS3Options({ client, bucket: 'radio' })).stat('a.mp3');
   */
  async stat(key: string, signal?: AbortSignal): Promise<ObjectMeta | null> {
    const Key = this.objectKey(key);
    if (Key === null) return null;
    const { client, bucket } = this.settings;
    try {
      return headMeta(await client.send(new HeadObjectCommand({ Bucket: bucket, Key }), { abortSignal: signal }));
    } catch (err) {
      if (err instanceof StorageError) throw err;
      const mapped = toStorageError(err, signal);
      if (mapped.code === 'not-found') return null;
      throw mapped;
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
    const first = await this.get(Key, opts.range, opts);
    if (!opts.ifMatch) return first;
    const start = opts.range?.start ?? 0;
    const end = opts.range?.end ?? (opts.meta ? opts.meta.size - 1 : undefined);
    return this.pinned(first, { key, objectKey: Key, start, end, ifMatch: opts.ifMatch, signal: opts.signal });
  }

  /**
   * One GetObject that yields metadata and body together, the body pinned to the ETag it came
   * with. When S3 cannot send the range (past the end) or its answer is incomplete, the result
   * carries metadata only (a HeadObject) and the plan decides.
   *
   * @example
   * const found = await objects.read('a.mp3', { range: { start: 0 }, signal });
   */
  async read(key: string, opts: ReadOptions): Promise<ReadResult | null> {
    const Key = this.objectKey(key);
    if (Key === null) return null;
    let out: GetObjectCommandOutput;
    try {
      out = await this.send(Key, opts.range, { signal: opts.signal });
    } catch (err) {
      return this.readFailed(key, err, opts.signal);
    }
    const found = getMeta(out);
    if (!found) {
      discardBody(out);
      return this.metaOnly(key, opts.signal);
    }
    const { start, end } = found.range ?? { start: 0, end: found.meta.size - 1 };
    const pin = { key, objectKey: Key, start, end, ifMatch: found.meta.etag, signal: opts.signal };
    return { ...found, body: this.pinned(bodyOf(out, opts.signal), pin) };
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
    if (resume.attempts === 0 && resume.releaseAfterMs === 0) return first;
    const { key, start, end, signal } = pin;
    const reopen = (offset: number): Promise<Readable> =>
      end !== undefined && start + offset > end
        ? Promise.resolve(Readable.from([]))
        : this.get(pin.objectKey, { start: start + offset, end }, { ifMatch: pin.ifMatch, signal });
    const report = onResume && ((attempt: number, offset: number, cause: unknown): void => onResume({ key, attempt, offset: start + offset, cause }));
    return resumable(first, reopen, resume, signal, report);
  }

  /** One GetObject of an explicit range (or the whole object), failures mapped to StorageError. */
  private async send(Key: string, span: Span | undefined, guard: Guard): Promise<GetObjectCommandOutput> {
    const Range = span ? `bytes=${span.start}-${span.end ?? ''}` : undefined;
    const { client, bucket } = this.settings;
    try {
      return await client.send(new GetObjectCommand({ Bucket: bucket, Key, Range, IfMatch: guard.ifMatch }), { abortSignal: guard.signal });
    } catch (err) {
      throw toStorageError(err, guard.signal);
    }
  }

  private async get(Key: string, span: Span | undefined, guard: Guard): Promise<Readable> {
    return bodyOf(await this.send(Key, span, guard), guard.signal);
  }
}
