/**
 * jsonLinesLog: a {@link DownloadSink} that appends one JSON line per event to a file or a
 * stream. Calls never block and never throw: lines are queued in memory (bounded by
 * `maxQueuedBytes`, see ./line-pump) and written in order in the background by a writer for the
 * target (./line-writer-file, ./line-writer-stream); every problem (the file cannot be opened, a
 * write fails, the queue is full, the sink is closed) goes to `onError`.
 *
 * Lines are never torn: a line is always written whole by one write call. For a file, several
 * whole lines may share one `write(2)` (at most 64 KiB, or one longer line alone); the file is
 * opened with O_APPEND, so on local file systems several processes or sinks can append to the
 * same file without interleaving inside a line. For a stream, each line is one `write()` call.
 */
import type { DownloadEvent, DownloadSink } from './events';
import { LinePump } from './line-pump';
import { FileLineWriter } from './line-writer-file';
import { StreamLineWriter } from './line-writer-stream';

export { JsonLinesLogError, type JsonLinesLogErrorCode } from './json-lines-error';

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
  /**
   * For log rotation (logrotate's `postrotate`, SIGHUP). For a file path: once the write under
   * way is done, opens the path again (creating the file if it was moved away) and writes every
   * later line there; lines already handed to the old file stay in it, whole. Events keep being
   * accepted meanwhile and nothing is lost. Resolves when the switch is made; never rejects: a
   * failure to open is reported to `onError` like the first open's (code `failed`, the sink
   * stops). A no-op after `close()` (even while it flushes), after a failure, and for a stream.
   */
  reopen(): Promise<void>;
  /** Events accepted and not yet written (queued, or in a write not yet confirmed). */
  pending(): number;
}

const DEFAULT_MAX_QUEUED_BYTES = 8 * 1024 * 1024;

function defaultOnError(err: Error): void {
  console.error(`station-files: ${err.message}`);
}

function normalizeOptions(target: string | NodeJS.WritableStream, options: JsonLinesLogOptions): { onError: (err: Error) => void; maxQueuedBytes: number } {
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

/**
 * Creates a sink that appends `JSON.stringify(event) + '\n'` per event to `target`: a file path
 * (opened now, in append mode, mode 0o640 when created; its directory must exist and is not
 * created) or a writable stream (e.g. process.stdout; backpressure is honoured, and the stream
 * is never ended). The sink returns at once and never throws; problems go to `onError`. A
 * failure of the file or stream stops the sink (create a new one to start again); `reopen()`
 * switches a file sink to a fresh file at the same path after log rotation.
 *
 * @example
 * const log = jsonLinesLog('/var/log/station-files/downloads.jsonl', { onError: (err) => logger.warn(err.message) });
 * const files = createStationFiles({ ..., onDownload: log });
 * process.on('SIGHUP', () => void log.reopen()); // logrotate's postrotate
 * process.on('SIGTERM', () => void log.close().then(() => process.exit(0)));
 */
export function jsonLinesLog(target: string | NodeJS.WritableStream, options: JsonLinesLogOptions = {}): JsonLinesLog {
  const { onError, maxQueuedBytes } = normalizeOptions(target, options);
  const label = typeof target === 'string' ? `JSON lines log ${target}` : 'JSON lines log (stream)';
  const pump = new LinePump({ label, maxQueuedBytes, onError }, (hooks) =>
    typeof target === 'string' ? new FileLineWriter(target, hooks) : new StreamLineWriter(target, hooks),
  );
  const sink = (event: DownloadEvent): void => pump.offer(event);
  return Object.assign(sink, {
    close: (): Promise<void> => pump.close(),
    reopen: (): Promise<void> => pump.reopen(),
    pending: (): number => pump.pending(),
  }) satisfies DownloadSink;
}
