/**
 * Transparent upstream resume: when a storage body fails mid-stream (connection reset, idle
 * timeout while a slow client held the stream back), read on from the next byte not yet passed
 * downstream, pinned to the same object version, so the client sees one uninterrupted response.
 */
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { isStorageError } from '../errors';

/** How often and how patiently to resume. */
export interface ResumeOptions {
  /** Re-requests per response after the first body failed. 0 turns resuming off. @default 3 */
  attempts?: number;
  /** Wait before the first re-request, doubled for each further one. @default 200 */
  backoffMs?: number;
  /**
   * Give the storage connection back while the client is not reading for this long (a slow
   * listener behind a full socket), and re-request from the next byte when it reads again, so
   * slow clients cannot hold every pooled S3 socket. 0 keeps the connection. @default 5000
   */
  releaseAfterMs?: number;
}

/** Validates {@link ResumeOptions} once. */
export function normalizeResume(options: ResumeOptions | undefined, factory: string): Required<ResumeOptions> {
  const attempts = options?.attempts ?? 3;
  const backoffMs = options?.backoffMs ?? 200;
  const releaseAfterMs = options?.releaseAfterMs ?? 5000;
  if (!Number.isInteger(releaseAfterMs) || releaseAfterMs < 0) throw new TypeError(`${factory}: resume.releaseAfterMs must be a whole number of ms`);
  if (!Number.isInteger(attempts) || attempts < 0 || attempts > 20) throw new TypeError(`${factory}: resume.attempts must be 0…20`);
  if (!Number.isInteger(backoffMs) || backoffMs < 0 || backoffMs > 60_000) throw new TypeError(`${factory}: resume.backoffMs must be 0…60000`);
  return { attempts, backoffMs, releaseAfterMs };
}

/** Reopens the object from `offset` bytes after the original start (same version). */
export type Reopen = (offset: number) => Promise<Readable>;

/**
 * Wraps a body so that failures are resumed with `reopen(bytesAlreadyPassedOn)`. Aborts (the
 * signal) are never resumed, and a reopen that fails (object changed: If-Match) ends the stream
 * with that error, so bytes of two versions are never mixed.
 *
 * @example
 * const body = resumable(first, (offset) => getRange(start + offset, end), { attempts: 3, backoffMs: 200 }, signal);
 */
export function resumable(
  first: Readable,
  reopen: Reopen,
  options: Required<ResumeOptions>,
  signal?: AbortSignal,
  onResume?: (attempt: number, offset: number, cause: unknown) => void,
): Readable {
  if (options.attempts === 0 && options.releaseAfterMs === 0) return first;
  let current = first;
  let closed = false;
  let attempt = 0;
  let released = false;
  // One timer, re-armed while the consumer is not pulling (no timer allocation per chunk): when
  // it fires during a wait, the storage connection is given back.
  let waiting = false;
  const releaseTimer = options.releaseAfterMs > 0
    ? setTimeout(() => {
      if (!waiting) return;
      released = true;
      current.destroy();
    }, options.releaseAfterMs).unref()
    : undefined;
  /** Backs off and reopens until a reopen works; a storage that is still down costs an attempt. */
  async function reopenWithRetries(cause: unknown, passed: number): Promise<Readable> {
    let last = cause;
    for (;;) {
      if (closed || signal?.aborted || attempt >= options.attempts) throw last;
      attempt += 1;
      onResume?.(attempt, passed, last);
      await sleep(options.backoffMs * 2 ** (attempt - 1), undefined, { signal });
      try {
        return await reopen(passed);
      } catch (err) {
        // Only an unreachable storage is worth another try: a changed or vanished object, or
        // an abort, ends the response (never bytes of two versions).
        if (!isStorageError(err) || err.code !== 'unavailable') throw err;
        last = err;
      }
    }
  }

  async function* generate(): AsyncGenerator<Buffer> {
    let passed = 0;
    for (;;) {
      try {
        for await (const chunk of current) {
          passed += (chunk as Buffer).length;
          // While the consumer is not pulling (a full socket to a slow client), the timer may
          // release the storage connection; the next pull then reopens from `passed`.
          waiting = true;
          releaseTimer?.refresh();
          yield chunk as Buffer;
          waiting = false;
        }
        if (!released) return;
      } catch (err) {
        if (!released) current = await reopenWithRetries(err, passed);
      }
      if (released) {
        released = false;
        if (closed || signal?.aborted) return;
        current = await reopen(passed).catch((err: unknown) => {
          if (!isStorageError(err) || err.code !== 'unavailable') throw err;
          return reopenWithRetries(err, passed);
        });
      }
    }
  }
  const wrapper = Readable.from(generate(), { objectMode: false });
  // The generator may be waiting on the body when the consumer goes away: end the body directly.
  wrapper.once('close', () => {
    closed = true;
    clearTimeout(releaseTimer);
    current.destroy();
  });
  return wrapper;
}
