/** Ties a storage stream to the AbortSignal of the request it serves. */
import type { Readable } from 'node:stream';

/**
 * Destroys `stream` when `signal` fires (at once when it already has), and stops listening when
 * the stream closes, so a long-lived signal holds no listener per finished stream. Destroying is
 * what releases the descriptor or the pooled socket when a client goes away mid-body (the S3 SDK
 * stops watching its signal once headers arrive). Returns `stream`; without a signal, unchanged.
 *
 * @example
 * const body = destroyOnAbort(createReadStream(file), req.signal);
 */
export function destroyOnAbort<S extends Readable>(stream: S, signal?: AbortSignal): S {
  if (!signal) return stream;
  const onAbort = (): void => void stream.destroy();
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  stream.once('close', () => signal.removeEventListener('abort', onAbort));
  return stream;
}
