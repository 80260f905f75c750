/**
 * Stream delivery: storage bytes piped to the response with backpressure, in constant memory.
 * The response only ends cleanly when exactly the planned number of bytes went out; anything
 * else (storage error, short read) destroys it, so the client sees an incomplete transfer.
 */
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import onFinished from 'on-finished';

/** Live state of a transfer, for access-log tokens: bytes handed over so far, of how many, and whether the source failed. */
export interface StreamProgress {
  bytesSent: number;
  expected?: number;
  failed?: boolean;
}

/** How a streamed body ended. */
export interface StreamResult {
  /** `completed`: every byte sent; `aborted`: the client left first; `failed`: the source failed or ran short. */
  outcome: 'completed' | 'aborted' | 'failed';
  /** Body bytes handed to the response. */
  bytesSent: number;
  /** The source's error, or a short-read error. */
  error?: Error;
}

/**
 * Pipes `body` into `res` (headers already written) and resolves when the transfer is over,
 * never rejecting. `expected` is the Content-Length that was sent.
 *
 * @example
 * res.writeHead(plan.status, plan.headers);
 * const { outcome, bytesSent } = await streamBody(body, res, plan.length);
 * // `progress.bytesSent`, when given, follows the transfer live (for access-log tokens).
 */
export async function streamBody(
  body: Readable,
  res: ServerResponse,
  expected: number,
  progress?: StreamProgress,
): Promise<StreamResult> {
  let bytesSent = 0;
  if (progress) progress.expected = expected;
  let first: 'source' | 'client' | undefined;
  let sourceError: Error | undefined;
  body.on('data', (chunk: Buffer) => {
    bytesSent += chunk.length;
    if (progress) progress.bytesSent = bytesSent;
  });
  // Persistent error listeners: a late second error from either side must never go unhandled
  // (that would crash the process).
  body.on('error', (err) => {
    first ??= 'source';
    sourceError ??= err;
    if (progress && first === 'source') progress.failed = true;
  });
  res.on('error', () => {
    first ??= 'client';
  });
  res.once('close', () => {
    if (!res.writableFinished) first ??= 'client';
  });
  // body.pipe() rather than stream.pipeline(): pipeline allocates an AbortController and, on every
  // finish, a DOMException with a stack trace, a visible cost on small ranges. The ends are
  // watched here instead: the body's end or error, and the response closing early.
  const ended = await new Promise<'end' | 'failed'>((resolve) => {
    const done = (how: 'end' | 'failed'): void => {
      body.off('end', onEnd);
      body.off('close', onClose);
      body.off('error', onError);
      res.off('close', onClose);
      resolve(how);
    };
    const onEnd = (): void => done('end');
    const onClose = (): void => {
      if (body.readableEnded) return done('end');
      done('failed');
    };
    // A source that errors without closing (autoDestroy off) must end the transfer too.
    const onError = (): void => done('failed');
    body.once('end', onEnd);
    body.once('close', onClose);
    body.once('error', onError);
    res.once('close', onClose);
    body.pipe(res, { end: false });
  });
  if (ended === 'failed') {
    body.unpipe(res);
    body.destroy();
    res.destroy();
    // Every planned byte was handed over before the client closed (it had what it asked for,
    // and hung up before the source's end-of-stream arrived): that download is complete.
    if (first === 'client' && bytesSent === expected) return { outcome: 'completed', bytesSent };
    if (first === 'client') return { outcome: 'aborted', bytesSent };
    return { outcome: 'failed', bytesSent, error: sourceError ?? new Error(`source closed after ${bytesSent} of ${expected} bytes`) };
  }
  if (bytesSent !== expected) {
    // A file truncated while streaming ends "cleanly" but short: never let that look complete.
    res.destroy();
    return { outcome: 'failed', bytesSent, error: new Error(`source ended after ${bytesSent} of ${expected} bytes`) };
  }
  res.end();
  const closedEarly = await new Promise<boolean>((resolve) => onFinished(res, () => resolve(!res.writableFinished)));
  return closedEarly ? { outcome: 'aborted', bytesSent } : { outcome: 'completed', bytesSent };
}
