/** Turning a failure before or during a response into the right reply and result. */
import type { ServerResponse } from 'node:http';
import { isStorageError, StorageError } from '../storage/errors';
import type { ObjectMeta } from '../storage/types';
import { sendText } from './respond';
import type { DeliveryResult } from './types';

/**
 * A storage body's failure before its first byte, as the StorageError the error reply is chosen by.
 *
 * @example
 * throw asStorageError(streamed.error); // a plain Error becomes 'unavailable' (502)
 */
export function asStorageError(err: Error | undefined): StorageError {
  if (isStorageError(err)) return err;
  return new StorageError('unavailable', `storage body failed before its first byte: ${err?.message ?? 'no data'}`, { cause: err });
}

/**
 * Answers an error: an abort stays an abort; after the head went out the connection is cut;
 * before it, `404` (not-found), `503` with Retry-After (changed), `502` (unavailable) or `500`.
 *
 * @example
 * return failure(res, err, meta, req.method === 'HEAD', signal.aborted);
 */
export function failure(res: ServerResponse, err: unknown, meta: ObjectMeta | null, head: boolean, clientGone: boolean): DeliveryResult {
  const error = err instanceof Error ? err : new Error(String(err));
  const base = { delivery: null, bytesSent: null, size: meta?.size ?? null, range: null, error } as const;
  if (clientGone || (isStorageError(err) && err.code === 'aborted')) {
    if (!res.headersSent) res.destroy();
    return { ...base, outcome: 'aborted', status: res.headersSent ? res.statusCode : 499 };
  }
  if (res.headersSent) {
    res.destroy();
    return { ...base, outcome: 'failed', status: res.statusCode };
  }
  if (isStorageError(err) && err.code === 'not-found') {
    sendText(res, 404, 'Not Found', {}, head);
    return { ...base, outcome: 'not-found', status: 404 };
  }
  const status = isStorageError(err) ? (err.code === 'changed' ? 503 : 502) : 500;
  const reason = status === 503 ? 'File changed during the request, retry' : status === 502 ? 'Storage unavailable' : 'Internal Server Error';
  sendText(res, status, reason, status === 503 ? { 'Retry-After': '1' } : {}, head);
  return { ...base, outcome: 'failed', status };
}
