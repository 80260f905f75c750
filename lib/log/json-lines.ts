/**
 * jsonLinesLog: a {@link DownloadSink} that appends one JSON line per event to a file or a
 * stream. Calls never block and never throw: lines are queued in memory (bounded by
 * `maxQueuedBytes`) and written in order in the background; every problem (the file cannot be
 * opened, a write fails, the queue is full, the sink is closed) goes to `onError`.
 *
 * Lines are never torn: a line is always written whole by one write call. For a file, several
 * whole lines may share one `write(2)` (at most 64 KiB, or one longer line alone); the file is
 * opened with O_APPEND, so on local file systems several processes or sinks can append to the
 * same file without interleaving inside a line. For a stream, each line is one `write()` call.
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import type { DownloadEvent, DownloadSink } from './events';

/** Options for {@link jsonLinesLog}. */
export interface JsonLinesLogOptions {
  /**
   * Receives every problem, as a {@link JsonLinesLogError}; must not throw (if it does, the
   * error is ignored). @default prints a one-line message with console.error
   */
  onError?: (err: Error) => void;
  /**
   * The most bytes of lines held in memory: accepted but not yet written (queued, or handed to
   * the file or stream and not yet confirmed). An event that would go over is dropped and
   * reported; memory use therefore stays under this bound plus one line, whatever the disk or
   * the stream does. @default 8388608 (8 MiB)
   */
  maxQueuedBytes?: number;
}

/** A {@link DownloadSink} writing JSON lines, with a way to flush and stop it. */
export interface JsonLinesLog {
  (event: DownloadEvent): void;
  /**
   * Stops accepting events, waits until every event already accepted is written (or lost to a
   * failure, which is reported), then closes the file if the sink opened it. A stream passed in
   * is left open. Never rejects; calling it again returns the same promise.
   */
  close(): Promise<void>;
  /** Events accepted and not yet written (queued, or in a write not yet confirmed). */
  pending(): number;
}

/**
 * What a report is about: `failed` (the file could not be opened or written, or the stream
 * failed or closed; the sink stops), `overflow` (the queue was over `maxQueuedBytes`),
 * `closed` (an event arrived after `close()`), `invalid` (an event that JSON.stringify refused).
 */
export type JsonLinesLogErrorCode = 'failed' | 'overflow' | 'closed' | 'invalid';

/** A problem of a {@link jsonLinesLog} sink, as given to `onError`. */
export class JsonLinesLogError extends Error {
  readonly code: JsonLinesLogErrorCode;
  /**
   * Events lost that no earlier report counted (so the sum over all reports is the total lost).
   * An overflow is reported when it starts (`dropped: 1`) and, if more were dropped, again when
   * the queue has room (`dropped`: the rest).
   */
  readonly dropped: number;
  constructor(code: JsonLinesLogErrorCode, message: string, dropped: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JsonLinesLogError';
    this.code = code;
    this.dropped = dropped;
  }
}

const DEFAULT_MAX_QUEUED_BYTES = 8 * 1024 * 1024;
const FILE_BATCH_BYTES = 64 * 1024;

function defaultOnError(err: Error): void {
  console.error(`station-files: ${err.message}`);
}

function normalizeOptions(
  target: string | NodeJS.WritableStream,
  options: JsonLinesLogOptions,
): { onError: (err: Error) => void; maxQueuedBytes: number } {
  const isStream = typeof target === 'object' && target !== null && typeof target.write === 'function';
  if (!isStream && (typeof target !== 'string' || target === '' || target.includes('\0'))) {
    throw new TypeError('jsonLinesLog: `target` must be a file path or a writable stream');
  }
  if (options === null || typeof options !== 'object') throw new TypeError('jsonLinesLog: `options` must be an object');
  const { onError = defaultOnError, maxQueuedBytes = DEFAULT_MAX_QUEUED_BYTES } = options;
  if (typeof onError !== 'function') throw new TypeError('jsonLinesLog: `onError` must be a function');
  if (!Number.isSafeInteger(maxQueuedBytes) || maxQueuedBytes < 1) {
    throw new TypeError('jsonLinesLog: `maxQueuedBytes` must be a whole number of bytes, at least 1');
  }
  return { onError, maxQueuedBytes };
}

/** Short text for a failure's cause: `ENOENT`, `EPIPE: broken pipe`, or the message. */
function describeCause(err: unknown): string {
  if (err instanceof Error) {
    const { code } = err as NodeJS.ErrnoException;
    return typeof code === 'string' && !err.message.startsWith(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

function plural(n: number): string {
  return n === 1 ? '1 event' : `${n} events`;
}

interface Line {
  text: string;
  bytes: number;
}

/** A FIFO of lines with O(1) shift (an array with a moving head, compacted now and then). */
class LineQueue {
  private items: Line[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(line: Line): void {
    this.items.push(line);
  }
  peek(): Line | undefined {
    return this.items[this.head];
  }
  shift(): Line | undefined {
    const line = this.items[this.head];
    if (line === undefined) return undefined;
    this.items[this.head++] = undefined as unknown as Line;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return line;
  }
  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

/**
 * Creates a sink that appends `JSON.stringify(event) + '\n'` per event to `target`: a file path
 * (opened now, in append mode, mode 0o640 when created; its directory must exist and is not
 * created) or a writable stream (e.g. process.stdout; backpressure is honoured, and the stream
 * is never ended). The sink returns at once and never throws; problems go to `onError`. A
 * failure of the file or stream stops the sink (create a new one to reopen, e.g. on SIGHUP).
 *
 * @example
 * const log = jsonLinesLog('/var/log/station-files/downloads.jsonl', { onError: (err) => logger.warn(err.message) });
 * app.use('/files', fileRouter({ ..., onDownload: log }));
 * process.on('SIGTERM', () => void log.close().then(() => process.exit(0)));
 */
export function jsonLinesLog(target: string | NodeJS.WritableStream, options: JsonLinesLogOptions = {}): JsonLinesLog {
  const { onError, maxQueuedBytes } = normalizeOptions(target, options);
  const label = typeof target === 'string' ? `JSON lines log ${target}` : 'JSON lines log (stream)';
  const queue = new LineQueue();
  let heldBytes = 0; // bytes of lines accepted and not yet confirmed written
  let inFlight = 0; // events handed to the file/stream, not yet confirmed
  let running = false;
  let failed = false;
  let closed = false;
  let overflowDropped = 0; // drops in the current overflow episode
  let droppedAfterFailure = 0; // not yet reported
  let droppedAfterClose = 0;
  let closing: Promise<void> | undefined;
  let idleWaiters: Array<() => void> = [];

  function report(err: JsonLinesLogError): void {
    try {
      onError(err);
    } catch {
      // onError must not throw; a failing reporter must not break a download either.
    }
  }

  function endOverflow(): void {
    if (overflowDropped > 1) {
      report(new JsonLinesLogError('overflow', `${label}: dropped ${overflowDropped - 1} more event${overflowDropped === 2 ? '' : 's'} while the queue was full`, overflowDropped - 1));
    }
    overflowDropped = 0;
  }

  function isIdle(): boolean {
    return failed || (queue.length === 0 && inFlight === 0 && !running);
  }

  function settleIfIdle(): void {
    if (!isIdle()) return;
    if (overflowDropped > 0) endOverflow();
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  function whenIdle(): Promise<void> {
    if (isIdle()) return Promise.resolve();
    return new Promise((resolve) => idleWaiters.push(resolve));
  }

  /** Marks the sink failed (once): everything held is lost and reported with the cause. */
  function fail(message: string, cause: unknown): void {
    if (failed) return;
    failed = true;
    const lost = queue.length + inFlight;
    queue.clear();
    inFlight = 0;
    heldBytes = 0;
    if (overflowDropped > 0) endOverflow();
    const what = lost > 0 ? `; ${plural(lost)} lost, later events are dropped` : '; later events are dropped';
    report(new JsonLinesLogError('failed', `${label}: ${message} (${describeCause(cause)})${what}`, lost, { cause }));
    onFailed();
    settleIfIdle();
  }

  // --- the writer: a file we open, or a stream we are given --------------------------------
  let pump: () => Promise<void>;
  let onFailed: () => void = () => undefined;
  let finish: () => Promise<void>;

  if (typeof target === 'string') {
    let handle: FileHandle | undefined;
    const opening = open(target, 'a', 0o640).then(
      (h) => {
        handle = h;
      },
      (err: unknown) => {
        const hint = (err as NodeJS.ErrnoException)?.code === 'ENOENT' ? 'cannot open: its directory does not exist (it is not created)' : 'cannot open';
        fail(hint, err);
      },
    );
    onFailed = () => {
      const h = handle;
      handle = undefined;
      void h?.close().catch(() => undefined); // the failure is reported already
    };
    pump = async () => {
      await opening;
      while (!failed && handle && queue.length > 0) {
        const parts: string[] = [];
        let bytes = 0;
        let count = 0;
        for (let next = queue.peek(); next && (count === 0 || bytes + next.bytes <= FILE_BATCH_BYTES); next = queue.peek()) {
          queue.shift();
          parts.push(next.text);
          bytes += next.bytes;
          count++;
        }
        inFlight += count;
        const buffer = Buffer.from(parts.join(''), 'utf8');
        try {
          // One write(2) per batch; a short write (disk full, signals) is completed, not re-sent.
          let offset = 0;
          while (offset < buffer.length) {
            const { bytesWritten } = await handle.write(buffer, offset, buffer.length - offset, null);
            if (bytesWritten <= 0) throw new Error('the file accepted no bytes');
            offset += bytesWritten;
          }
        } catch (err) {
          fail('write failed', err);
          return;
        }
        if (failed) return;
        inFlight -= count;
        heldBytes -= bytes;
      }
    };
    finish = async () => {
      await opening;
      const h = handle;
      handle = undefined;
      if (h) await h.close().catch((err: unknown) => report(new JsonLinesLogError('failed', `${label}: close failed (${describeCause(err)})`, 0, { cause: err })));
    };
  } else {
    const stream = target;
    let drainWaiter: (() => void) | undefined;
    const wake = (): void => {
      const resolve = drainWaiter;
      drainWaiter = undefined;
      resolve?.();
    };
    const onStreamError = (err: unknown): void => fail('stream failed', err);
    const onStreamClose = (): void => {
      // A stream that closes with writes unconfirmed (or before close()) will not take more.
      if (!closed || inFlight > 0 || queue.length > 0) fail('stream closed', new Error('the stream was closed'));
    };
    stream.on('error', onStreamError);
    stream.on('close', onStreamClose);
    stream.on('drain', wake);
    onFailed = wake;
    pump = async () => {
      while (!failed && queue.length > 0) {
        if (stream.writable === false) {
          fail('stream is not writable', new Error('the stream was ended or destroyed'));
          return;
        }
        const line = queue.shift() as Line;
        inFlight++;
        let more: boolean;
        try {
          more = stream.write(line.text, (err?: Error | null) => {
            if (failed) return;
            if (err) {
              fail('write failed', err);
              return;
            }
            inFlight--;
            heldBytes -= line.bytes;
            settleIfIdle();
          });
        } catch (err) {
          fail('write failed', err);
          return;
        }
        if (!more && !failed) await new Promise<void>((resolve) => (drainWaiter = resolve));
      }
    };
    finish = async () => {
      stream.removeListener('drain', wake);
      stream.removeListener('close', onStreamClose);
      // Errors the stream emits after this are the owner's again; keep swallowing until the
      // next tick so an error raised by our last write cannot crash a process without a listener.
      await new Promise<void>((resolve) => setImmediate(resolve));
      stream.removeListener('error', onStreamError);
    };
  }

  function kick(): void {
    if (running || failed) return;
    running = true;
    pump().then(
      () => {
        running = false;
        if (!failed && queue.length > 0) kick();
        else settleIfIdle();
      },
      (err: unknown) => {
        running = false;
        fail('write failed', err);
      },
    );
  }

  function sink(event: DownloadEvent): void {
    if (closed) {
      droppedAfterClose++;
      report(new JsonLinesLogError('closed', `${label}: event dropped, the log is closed (${droppedAfterClose} so far)`, 1));
      return;
    }
    if (failed) {
      droppedAfterFailure++;
      return;
    }
    let text: string | undefined;
    try {
      text = JSON.stringify(event);
    } catch (err) {
      report(new JsonLinesLogError('invalid', `${label}: event dropped, not serializable (${describeCause(err)})`, 1, { cause: err }));
      return;
    }
    if (typeof text !== 'string') {
      report(new JsonLinesLogError('invalid', `${label}: event dropped, not serializable`, 1));
      return;
    }
    text += '\n';
    const bytes = Buffer.byteLength(text, 'utf8');
    if (heldBytes + bytes > maxQueuedBytes) {
      overflowDropped++;
      if (overflowDropped === 1) {
        report(new JsonLinesLogError('overflow', `${label}: dropped 1 event, the queue is full (maxQueuedBytes ${maxQueuedBytes}); dropping until it has room`, 1));
      }
      return;
    }
    if (overflowDropped > 0) endOverflow();
    heldBytes += bytes;
    queue.push({ text, bytes });
    kick();
  }

  function close(): Promise<void> {
    closing ??= (async () => {
      closed = true;
      await whenIdle();
      if (overflowDropped > 0) endOverflow();
      if (droppedAfterFailure > 0) {
        report(new JsonLinesLogError('failed', `${label}: dropped ${plural(droppedAfterFailure)} after the failure`, droppedAfterFailure));
        droppedAfterFailure = 0;
      }
      await finish();
    })();
    return closing;
  }

  return Object.assign(sink, { close, pending: (): number => queue.length + inFlight }) satisfies DownloadSink;
}
