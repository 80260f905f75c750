/**
 * What S3 answers, in storage terms: SDK failures as StorageErrors (Ceph sends empty messages,
 * so status and name decide), HeadObject and GetObject outputs as ObjectMeta, and GetObject
 * bodies as Node streams tied to the request's AbortSignal.
 */
import { Readable } from 'node:stream';
import type { GetObjectCommandOutput, HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import { destroyOnAbort } from './abort';
import { StorageError } from './errors';
import type { ByteRange, ObjectMeta } from './types';

interface SdkError {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

/**
 * The HTTP status of an SDK failure, when S3 answered at all.
 *
 * @example
 * statusOf({ $metadata: { httpStatusCode: 416 } }) // 416
 */
export function statusOf(err: unknown): number | undefined {
  return (err as SdkError | undefined)?.$metadata?.httpStatusCode;
}

/**
 * Maps an SDK failure to a StorageError: an abort (the signal or an AbortError), not-found (404,
 * NoSuchKey, NotFound), changed (412, PreconditionFailed), else unavailable with name, code and
 * status in the message. The SDK error is the `cause`.
 *
 * @example
 * toStorageError({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }).code // 'not-found'
 */
export function toStorageError(err: unknown, signal?: AbortSignal): StorageError {
  const { name, code } = (err ?? {}) as SdkError;
  const status = statusOf(err);
  if (signal?.aborted || name === 'AbortError') return new StorageError('aborted', 'S3 request aborted', { cause: err });
  if (status === 404 || name === 'NoSuchKey' || name === 'NotFound') return new StorageError('not-found', 'no such S3 object', { cause: err });
  if (status === 412 || name === 'PreconditionFailed') return new StorageError('changed', 'S3 object changed since the response was planned', { cause: err });
  return new StorageError('unavailable', `S3 request failed (${[name, code, status].filter(Boolean).join(' ') || 'error'})`, { cause: err });
}

/** An ETag in its quoted HTTP form (some S3-compatible servers send it bare). */
const quoted = (etag: string): string => (etag.startsWith('"') ? etag : `"${etag}"`);

/**
 * The metadata of a HeadObject answer; throws `unavailable` when it lacks size or ETag.
 *
 * @example
 * headMeta({ ContentLength: 3, ETag: 'abc', $metadata: {} }) // { size: 3, mtime: new Date(0), etag: '"abc"', contentType: undefined }
 */
export function headMeta(head: Pick<HeadObjectCommandOutput, 'ContentLength' | 'ETag' | 'LastModified' | 'ContentType'>): ObjectMeta {
  if (head.ContentLength === undefined || !head.ETag) throw new StorageError('unavailable', 'S3 HeadObject gave no size or ETag');
  return { size: head.ContentLength, mtime: head.LastModified ?? new Date(0), etag: quoted(head.ETag), contentType: head.ContentType };
}

const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+)$/;

/**
 * Metadata and the span of the body from a GetObject answer (`range` null: the whole object);
 * null when they are incomplete or inconsistent (no ETag or length, a Content-Range that is not
 * one `bytes start-end/size` matching the length).
 *
 * @example
 * getMeta({ ETag: '"e"', ContentLength: 2, ContentRange: 'bytes 4-5/10', $metadata: {} })
 * // { meta: { size: 10, etag: '"e"', … }, range: { start: 4, end: 5 } }
 */
export function getMeta(
  out: Pick<GetObjectCommandOutput, 'ETag' | 'ContentLength' | 'ContentRange' | 'LastModified' | 'ContentType'>,
): { meta: ObjectMeta; range: ByteRange | null } | null {
  if (!out.ETag || out.ContentLength === undefined) return null;
  const base = { mtime: out.LastModified ?? new Date(0), etag: quoted(out.ETag), contentType: out.ContentType };
  if (out.ContentRange === undefined) return { meta: { ...base, size: out.ContentLength }, range: null };
  const m = CONTENT_RANGE.exec(out.ContentRange);
  if (!m) return null;
  const range = { start: Number(m[1]), end: Number(m[2]) };
  return range.end - range.start + 1 === out.ContentLength ? { meta: { ...base, size: Number(m[3]) }, range } : null;
}

/**
 * Destroys a GetObject body that will not be read, so its socket goes back to the pool.
 *
 * @example
 * discardBody(out);
 */
export function discardBody(out: Pick<GetObjectCommandOutput, 'Body'>): void {
  (out.Body as { destroy?: () => void } | undefined)?.destroy?.();
}

/**
 * The body of a GetObject answer as a Node stream destroyed when `signal` fires (the SDK stops
 * watching the signal once headers arrive: destroying the body is what returns the socket to the
 * pool, or closes it, when the client goes away mid-body). Throws `unavailable` (and discards the
 * body) when the SDK did not give a Node stream.
 *
 * @example
 * const body = bodyOf(await client.send(new GetObjectCommand({ Bucket, Key })), signal);
 */
export function bodyOf(out: Pick<GetObjectCommandOutput, 'Body'>, signal?: AbortSignal): Readable {
  const body: unknown = out.Body;
  if (!(body instanceof Readable)) {
    discardBody(out);
    throw new StorageError('unavailable', 'S3 GetObject returned no Node.js stream');
  }
  return destroyOnAbort(body, signal);
}
