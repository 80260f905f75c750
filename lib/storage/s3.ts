/**
 * s3Storage: objects in one S3 bucket (any S3-compatible service), under an optional prefix.
 * Reads are explicit `bytes=start-end` ranges (never a suffix: some servers get those wrong).
 * `read` answers metadata and body with one GetObject; `open` and every resumed read are
 * guarded by `If-Match` on the planned ETag, so one response is one object version.
 * Every body is consumed or destroyed; an AbortSignal ends the request when the client leaves.
 */
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { StorageError } from './errors';
import { keySegments } from './keys';
import { resolveDelivery } from './delivery-preference';
import { normalizeResume, resumable, type ResumeOptions } from './resume';
import type { AccelRequest, AccelTarget, ByteRange, DeliveryMode, DeliveryPreference, ObjectMeta, OpenOptions, PresignOptions, ReadOptions, ReadResult, Storage } from './types';

/** nginx hand-off settings for S3 objects. */
export interface S3AccelOptions {
  /**
   * The nginx `internal` location that proxies to the S3 endpoint (see the README's nginx
   * section). nginx reads the presigned path, host, range and If-Match from response headers.
   * @default '/_station_files/s3'
   */
  location?: string;
  /** Lifetime of the presigned URL nginx fetches (it is used at once). @default 60 */
  urlExpiresIn?: number;
}

/** Options for {@link s3Storage}. */
export interface S3StorageOptions {
  /** A client, ideally from `createS3Client` (bounded socket pool, no checksum buffering). */
  client: S3Client;
  /** Bucket name. */
  bucket: string;
  /** Key prefix every key is placed under, for example `recordings/`. @default '' */
  prefix?: string;
  /** Hand S3 downloads to nginx (X-Accel-Redirect to a proxying location). @default undefined */
  accel?: S3AccelOptions;
  /**
   * Transparent resume of stream deliveries: when S3 fails mid-body, re-request from the next
   * byte (same ETag) up to `attempts` times with backoff. @default { attempts: 3, backoffMs: 200 }
   */
  resume?: ResumeOptions;
  /** Called for every resume (for logs and metrics). @default undefined */
  onResume?: (info: { key: string; attempt: number; offset: number; cause: unknown }) => void;
  /** `auto`: accel when `accel` is set, else stream; `redirect` sends clients a presigned URL. @default 'auto' */
  delivery?: DeliveryPreference;
}

/** A {@link Storage} over an S3 bucket. */
export interface S3Storage extends Storage {
  readonly kind: 's3';
  readonly delivery: DeliveryMode;
  readonly bucket: string;
  readonly prefix: string;
  /** The client this storage reads with (nginxConfig reads its endpoint). */
  readonly client: S3Client;
  /** The nginx internal location for hand-offs, when `accel` is set. */
  readonly accelLocation?: string;
  presign(key: string, options: PresignOptions): Promise<string>;
}

/** Headers the shipped nginx location reads; the client never sees them. */
export const S3_ACCEL_HEADERS = {
  uri: 'X-Station-Files-S3-Uri',
  host: 'X-Station-Files-S3-Host',
  range: 'X-Station-Files-Range',
  ifMatch: 'X-Station-Files-If-Match',
} as const;

interface SdkError {
  name?: string;
  code?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

function statusOf(err: unknown): number | undefined {
  return (err as SdkError | undefined)?.$metadata?.httpStatusCode;
}

const quoted = (etag: string): string => (etag.startsWith('"') ? etag : `"${etag}"`);
const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+)$/;

/** Metadata and the span of the body from a GetObject response; null when they are incomplete. */
function readMeta(out: GetObjectCommandOutput): { meta: ObjectMeta; range: ByteRange | null } | null {
  if (!out.ETag || out.ContentLength === undefined) return null;
  const base = { mtime: out.LastModified ?? new Date(0), etag: quoted(out.ETag), contentType: out.ContentType };
  if (out.ContentRange === undefined) return { meta: { ...base, size: out.ContentLength }, range: null };
  const m = CONTENT_RANGE.exec(out.ContentRange);
  if (!m) return null;
  const range = { start: Number(m[1]), end: Number(m[2]) };
  return range.end - range.start + 1 === out.ContentLength ? { meta: { ...base, size: Number(m[3]) }, range } : null;
}

/** Maps an SDK failure to a StorageError (Ceph sends empty messages: match status and name). */
function toStorageError(err: unknown, signal?: AbortSignal): StorageError {
  const status = statusOf(err);
  const name = (err as SdkError | undefined)?.name;
  if (signal?.aborted || name === 'AbortError') return new StorageError('aborted', 'S3 request aborted', { cause: err });
  if (status === 404 || name === 'NoSuchKey' || name === 'NotFound') return new StorageError('not-found', 'no such S3 object', { cause: err });
  if (status === 412 || name === 'PreconditionFailed') return new StorageError('changed', 'S3 object changed since the response was planned', { cause: err });
  const code = (err as SdkError | undefined)?.code;
  return new StorageError('unavailable', `S3 request failed (${[name, code, status].filter(Boolean).join(' ') || 'error'})`, { cause: err });
}

interface NormalizedS3Options {
  client: S3Client;
  bucket: string;
  prefix: string;
  accel?: Required<S3AccelOptions>;
  delivery: DeliveryMode;
  resume: Required<ResumeOptions>;
  onResume?: S3StorageOptions['onResume'];
}

function normalizeOptions(options: S3StorageOptions): NormalizedS3Options {
  if (!options || typeof options.client?.send !== 'function') throw new TypeError('s3Storage: `client` must be an S3Client');
  if (typeof options.bucket !== 'string' || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(options.bucket)) {
    throw new TypeError('s3Storage: `bucket` must be a valid S3 bucket name');
  }
  const prefix = options.prefix ?? '';
  if (typeof prefix !== 'string' || (prefix !== '' && keySegments(prefix.replace(/\/$/, '')) === null)) {
    throw new TypeError('s3Storage: `prefix` must be a relative key prefix such as "recordings/"');
  }
  let accel: Required<S3AccelOptions> | undefined;
  if (options.accel) {
    const location = options.accel.location ?? '/_station_files/s3';
    const urlExpiresIn = options.accel.urlExpiresIn ?? 60;
    if (!/^\/[^?#%\s]*$/.test(location)) throw new TypeError('s3Storage: `accel.location` must be an nginx location path');
    if (!Number.isInteger(urlExpiresIn) || urlExpiresIn < 1 || urlExpiresIn > 604800) {
      throw new TypeError('s3Storage: `accel.urlExpiresIn` must be 1…604800 seconds');
    }
    accel = { location, urlExpiresIn };
  }
  const delivery = resolveDelivery('s3Storage', options.delivery, { accel: accel !== undefined, presign: true });
  if (options.onResume !== undefined && typeof options.onResume !== 'function') throw new TypeError('s3Storage: `onResume` must be a function');
  const resume = normalizeResume(options.resume, 's3Storage');
  return { client: options.client, bucket: options.bucket, prefix, accel, delivery, resume, onResume: options.onResume };
}

/**
 * Creates a storage over an S3 bucket. `stat` is a HeadObject; `read` is one GetObject that
 * yields metadata and body together (stream delivery of a plain or one-range GET costs one S3
 * request); `open` is a GetObject of an explicit range with `IfMatch`; `presign` makes time-limited URLs; with `accel`, downloads are
 * handed to an nginx location that proxies a presigned URL, so nginx streams the bytes.
 *
 * @example
 * const recordings = s3Storage({
 *   client: createS3Client({ endpoint: 'http://127.0.0.1:7480', forcePathStyle: true }),
 *   bucket: 'radio', prefix: 'recordings/',
 * });
 */
export function s3Storage(options: S3StorageOptions): S3Storage {
  const { client, bucket, prefix, accel, delivery, resume, onResume } = normalizeOptions(options);
  const objectKey = (key: string): string | null => (keySegments(key) ? prefix + key : null);

  async function stat(key: string, signal?: AbortSignal): Promise<ObjectMeta | null> {
    const Key = objectKey(key);
    if (Key === null) return null;
    try {
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key }), { abortSignal: signal });
      if (head.ContentLength === undefined || !head.ETag) throw new StorageError('unavailable', 'S3 HeadObject gave no size or ETag');
      return {
        size: head.ContentLength,
        mtime: head.LastModified ?? new Date(0),
        etag: quoted(head.ETag),
        contentType: head.ContentType,
      };
    } catch (err) {
      if (err instanceof StorageError) throw err;
      const mapped = toStorageError(err, signal);
      if (mapped.code === 'not-found') return null;
      throw mapped;
    }
  }

  async function open(key: string, opts: OpenOptions): Promise<Readable> {
    const Key = objectKey(key);
    if (Key === null) throw new StorageError('not-found', 'invalid key');
    const first = await get(Key, opts.range, opts);
    // Resume only when the version is pinned (If-Match): otherwise bytes of two versions could mix.
    if (!opts.ifMatch) return first;
    const start = opts.range?.start ?? 0;
    const end = opts.range?.end ?? (opts.meta ? opts.meta.size - 1 : undefined);
    return pinned(key, Key, first, start, end, opts.ifMatch, opts.signal);
  }

  /** Wraps a body so failures and slow-client releases re-read from the next byte, same version. */
  function pinned(key: string, Key: string, first: Readable, start: number, end: number | undefined, ifMatch: string, signal?: AbortSignal): Readable {
    if (resume.attempts === 0 && resume.releaseAfterMs === 0) return first;
    const reopen = (offset: number): Promise<Readable> =>
      end !== undefined && start + offset > end ? Promise.resolve(Readable.from([])) : get(Key, { start: start + offset, end }, { ifMatch, signal });
    return resumable(first, reopen, resume, signal, onResume
      ? (attempt, offset, cause) => onResume({ key, attempt, offset: start + offset, cause })
      : undefined);
  }

  async function read(key: string, opts: ReadOptions): Promise<ReadResult | null> {
    const Key = objectKey(key);
    if (Key === null) return null;
    let out: GetObjectCommandOutput;
    try {
      out = await send(Key, opts.range, { signal: opts.signal });
    } catch (err) {
      // A range past the end (416 InvalidRange, also any range of an empty object): the plan
      // decides from metadata what to answer.
      if (err instanceof StorageError && err.code === 'unavailable' && statusOf(err.cause) === 416) {
        const meta = await stat(key, opts.signal);
        return meta && { meta, range: null, body: null };
      }
      if (err instanceof StorageError && err.code === 'not-found') return null;
      throw err;
    }
    const found = readMeta(out);
    if (!found) {
      (out.Body as { destroy?: () => void } | undefined)?.destroy?.();
      const meta = await stat(key, opts.signal);
      return meta && { meta, range: null, body: null };
    }
    const first = bodyOf(out, opts.signal);
    const span = found.range ?? { start: 0, end: found.meta.size - 1 };
    return { ...found, body: pinned(key, Key, first, span.start, span.end, found.meta.etag, opts.signal) };
  }

  /** One GetObject of an explicit range (`end` absent: to the end), failures mapped to StorageError. */
  async function send(Key: string, range: { start: number; end?: number } | undefined, opts: Pick<OpenOptions, 'ifMatch' | 'signal'>): Promise<GetObjectCommandOutput> {
    const Range = range ? `bytes=${range.start}-${range.end ?? ''}` : undefined;
    try {
      return await client.send(new GetObjectCommand({ Bucket: bucket, Key, Range, IfMatch: opts.ifMatch }), { abortSignal: opts.signal });
    } catch (err) {
      throw toStorageError(err, opts.signal);
    }
  }

  /** The response body as a Node stream tied to the abort signal. */
  function bodyOf(out: GetObjectCommandOutput, signal?: AbortSignal): Readable {
    const body: unknown = out.Body;
    if (!(body instanceof Readable)) {
      (body as { destroy?: () => void } | undefined)?.destroy?.();
      throw new StorageError('unavailable', 'S3 GetObject returned no Node.js stream');
    }
    const stream = body;
    if (signal) {
      // The SDK stops watching the signal once headers arrive: destroying the body is what
      // returns the socket to the pool (or closes it) when the client goes away mid-body.
      const onAbort = (): void => void stream.destroy();
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      stream.once('close', () => signal.removeEventListener('abort', onAbort));
    }
    return stream;
  }

  async function get(Key: string, range: { start: number; end?: number } | undefined, opts: Pick<OpenOptions, 'ifMatch' | 'signal'>): Promise<Readable> {
    return bodyOf(await send(Key, range, opts), opts.signal);
  }

  async function presign(key: string, p: PresignOptions): Promise<string> {
    const Key = objectKey(key);
    if (Key === null) throw new StorageError('not-found', 'invalid key');
    const command = new GetObjectCommand({
      Bucket: bucket,
      Key,
      ResponseContentDisposition: p.contentDisposition,
      ResponseContentType: p.contentType,
      ResponseCacheControl: p.cacheControl,
    });
    return getSignedUrl(client, command, { expiresIn: p.expiresIn });
  }

  const storage: S3Storage = { kind: 's3', bucket, prefix, client, accelLocation: accel?.location, delivery, stat, open, read, presign };
  if (accel) {
    storage.accel = async (key: string, request: AccelRequest): Promise<AccelTarget> => {
      // Content-Type, Content-Disposition and Cache-Control travel in the app's own response,
      // which nginx keeps across the hand-off; the shipped location hides S3's copies.
      const url = new URL(await presign(key, { expiresIn: accel.urlExpiresIn }));
      return {
        uri: accel.location,
        headers: {
          [S3_ACCEL_HEADERS.uri]: url.pathname + url.search,
          [S3_ACCEL_HEADERS.host]: url.host,
          // A whole-object request is still pinned to the planned version with If-Match; only a
          // 206 plan sends Range, so S3 answers with the same status the plan chose.
          [S3_ACCEL_HEADERS.range]: request.range ? `bytes=${request.range.start}-${request.range.end}` : '',
          [S3_ACCEL_HEADERS.ifMatch]: request.meta.etag,
        },
      };
    };
  }
  return storage;
}
