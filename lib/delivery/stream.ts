/**
 * Stream delivery: storage bytes piped to the response with backpressure, in constant memory.
 * The response only ends cleanly when exactly the planned number of bytes went out; anything
 * else (storage error, short read) destroys it, so the client sees an incomplete transfer. The
 * status line and headers go out with the first body byte, so a source that fails before it
 * leaves the response untouched for a proper error answer. A client that stops taking bytes
 * for `sendTimeoutMs` is cut, which releases the socket, the storage body and its buffers.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';

/** Live state of a transfer, for access-log tokens: bytes handed over so far, of how many, and whether the source failed. */
export interface StreamProgress {
  bytesSent: number;
  expected?: number;
  failed?: boolean;
}

/**
 * Why a transfer was `aborted` by the server rather than by the client leaving:
 * `client-stalled` (no bytes taken for `sendTimeoutMs`), `shutdown` (cut by `files.close()` at
 * its deadline).
 */
export type AbortReason = 'client-stalled' | 'shutdown';

/** How a streamed body ended. */
export interface StreamResult {
  /** `completed`: every byte sent; `aborted`: the client left (or stalled) first; `failed`: the source failed or ran short. */
  outcome: 'completed' | 'aborted' | 'failed';
  /** Body bytes handed to the response. */
  bytesSent: number;
  /** The source's error, or a short-read error. */
  error?: Error;
  /** Set when the server cut an `aborted` transfer: `client-stalled` (no bytes taken for `sendTimeoutMs`). */
  reason?: AbortReason;
}

/** Options for {@link streamBody}. */
export interface StreamOptions {
  /**
   * Status and headers to write when the first body byte is ready (or at the end of an empty
   * body). When absent, the caller has written them already.
   */
  head?: { status: number; headers: OutgoingHttpHeaders };
  /** Cut the response once it has been unable to take more bytes for this long. 0 or absent: never. */
  sendTimeoutMs?: number;
}

/**
 * The write-stall timer of one response: one timer, re-armed (`refresh`, no allocation) on every
 * chunk and every `drain`. When it fires while the response is under backpressure
 * (`writableNeedDrain`), nothing was taken for a whole period; after `end()`, a period in which
 * the socket's unsent bytes did not shrink counts the same. Then `stalled` is set and `res` destroyed.
 */
class StallWatch {
  stalled = false;
  private tail = -1;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly res: ServerResponse,
    ms: number,
  ) {
    this.timer = setTimeout(this.check, ms).unref();
    res.on('drain', this.touch);
  }

  /** Progress (a chunk handed over, a drain): the period starts again. */
  readonly touch = (): void => {
    this.timer.refresh();
  };

  /** The body is fully handed over: watch the socket's unsent tail from now on. */
  ending(): void {
    this.tail = this.res.socket?.writableLength ?? 0;
    this.timer.refresh();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.res.off('drain', this.touch);
  }

  private readonly check = (): void => {
    const { res } = this;
    if (res.destroyed || res.writableFinished) return;
    let stuck = res.writableNeedDrain;
    if (!stuck && res.writableEnded) {
      const left = res.socket?.writableLength ?? 0;
      stuck = left > 0 && left === this.tail;
      this.tail = left;
    }
    if (!stuck) return void this.timer.refresh();
    this.stalled = true;
    res.destroy();
  };
}

/**
 * The rule for a client that hung up at the end: every planned byte was handed over (it had what
 * it asked for, and left before the source's end-of-stream arrived), so the download is complete.
 * Used for results here and for the live morgan token.
 *
 * @example
 * everyByteHandedOver({ bytesSent: 10, expected: 10 }) // true
 */
export function everyByteHandedOver(p: { bytesSent: number; expected?: number }): boolean {
  return p.expected !== undefined && p.bytesSent === p.expected;
}

/** One transfer's state: bytes handed over, which side failed first, the head still to write. */
class Transfer {
  bytesSent = 0;
  first: 'source' | 'client' | undefined;
  sourceError: Error | undefined;

  constructor(
    readonly res: ServerResponse,
    readonly expected: number,
    readonly progress: StreamProgress | undefined,
    private head: StreamOptions['head'],
    readonly watch: StallWatch | undefined,
  ) {}

  /** Per chunk, before body.pipe() writes it: the head goes out with the first byte. */
  readonly onData = (chunk: Buffer): void => {
    if (this.head) this.writeHead();
    this.bytesSent += chunk.length;
    if (this.progress) this.progress.bytesSent = this.bytesSent;
    this.watch?.touch();
  };

  readonly onSourceError = (err: Error): void => {
    this.first ??= 'source';
    this.sourceError ??= err;
    if (this.progress && this.first === 'source') this.progress.failed = true;
  };

  readonly onClientError = (): void => {
    this.first ??= 'client';
  };

  readonly onClientClose = (): void => {
    if (!this.res.writableFinished) this.first ??= 'client';
  };

  writeHead(): void {
    const head = this.head;
    this.head = undefined;
    if (head && !this.res.headersSent) this.res.writeHead(head.status, head.headers);
  }

  /** The result of a transfer that ended early; `res` is destroyed unless nothing was sent yet. */
  failed(): StreamResult {
    const { res, bytesSent, expected } = this;
    if (res.headersSent || this.first === 'client') res.destroy();
    if (this.watch?.stalled) return { outcome: 'aborted', bytesSent, reason: 'client-stalled' };
    if (this.first === 'client' && everyByteHandedOver(this)) return { outcome: 'completed', bytesSent };
    if (this.first === 'client') return { outcome: 'aborted', bytesSent };
    return { outcome: 'failed', bytesSent, error: this.sourceError ?? new Error(`source closed after ${bytesSent} of ${expected} bytes`) };
  }
}

/**
 * Pipes `body` into `res` and resolves when the transfer is over, never rejecting. `expected`
 * is the Content-Length. With `options.head`, the headers are written with the first body byte:
 * a source that fails before it leaves `res` untouched (`headersSent` false, outcome `failed`)
 * so the caller can still answer 502/503. With `options.sendTimeoutMs`, a client that takes no
 * bytes for that long is cut (outcome `aborted`, reason `client-stalled`).
 *
 * @example
 * const { outcome, bytesSent } = await streamBody(body, res, plan.length, progress, {
 *   head: { status: plan.status, headers: plan.headers }, sendTimeoutMs: 60_000,
 * });
 * // `progress.bytesSent`, when given, follows the transfer live (for access-log tokens).
 */
export async function streamBody(
  body: Readable,
  res: ServerResponse,
  expected: number,
  progress?: StreamProgress,
  options: StreamOptions = {},
): Promise<StreamResult> {
  if (progress) progress.expected = expected;
  const watch = options.sendTimeoutMs ? new StallWatch(res, options.sendTimeoutMs) : undefined;
  const t = new Transfer(res, expected, progress, options.head, watch);
  body.on('data', t.onData);
  // Persistent error listeners: a late second error from either side must never go unhandled
  // (that would crash the process).
  body.on('error', t.onSourceError);
  res.on('error', t.onClientError);
  res.once('close', t.onClientClose);
  try {
    if ((await pipeUntilEnd(body, res)) === 'failed') return t.failed();
    if (t.bytesSent !== expected) {
      // A file truncated while streaming ends "cleanly" but short: never let that look complete.
      if (res.headersSent) res.destroy();
      return { outcome: 'failed', bytesSent: t.bytesSent, error: new Error(`source ended after ${t.bytesSent} of ${expected} bytes`) };
    }
    t.writeHead();
    watch?.ending();
    res.end();
    // Over when the last byte was handed to the OS ('finish'), or when the connection closed first.
    const finished = await new Promise<boolean>((resolve) => {
      if (res.writableFinished || res.destroyed) return resolve(res.writableFinished);
      const over = (): void => {
        res.off('finish', over);
        res.off('close', over);
        resolve(res.writableFinished);
      };
      res.once('finish', over);
      res.once('close', over);
    });
    if (watch?.stalled) return { outcome: 'aborted', bytesSent: t.bytesSent, reason: 'client-stalled' };
    return { outcome: finished ? 'completed' : 'aborted', bytesSent: t.bytesSent };
  } finally {
    watch?.stop();
  }
}

/**
 * body.pipe() rather than stream.pipeline(): pipeline allocates an AbortController and, on every
 * finish, a DOMException with a stack trace, a visible cost on small ranges. The ends are
 * watched here instead: the body's end or error, and the response closing early. On `failed`
 * the body is unpiped and destroyed at once, before it can flow on into nothing.
 */
function pipeUntilEnd(body: Readable, res: ServerResponse): Promise<'end' | 'failed'> {
  return new Promise((resolve) => {
    const done = (how: 'end' | 'failed'): void => {
      body.off('end', onEnd);
      body.off('close', onClose);
      body.off('error', onError);
      res.off('close', onClose);
      if (how === 'failed') {
        body.unpipe(res);
        body.destroy();
      }
      resolve(how);
    };
    const onEnd = (): void => done('end');
    const onClose = (): void => done(body.readableEnded ? 'end' : 'failed');
    // A source that errors without closing (autoDestroy off) must end the transfer too.
    const onError = (): void => done('failed');
    body.once('end', onEnd);
    body.once('close', onClose);
    body.once('error', onError);
    res.once('close', onClose);
    body.pipe(res, { end: false });
  });
}
