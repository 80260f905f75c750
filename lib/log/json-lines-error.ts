/**
 * JsonLinesLogError: what a {@link jsonLinesLog} sink gives to `onError`, and the helpers that
 * word its messages.
 */

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

/**
 * Short text for a failure's cause, for the parentheses of a report: the errno code and message
 * of a system error (without repeating a code the message already starts with), the message of
 * any other Error, or `String(err)` for anything else.
 *
 * @example
 * describeCause(Object.assign(new Error('broken pipe'), { code: 'EPIPE' })); // 'EPIPE: broken pipe'
 * describeCause(new Error("ENOENT: no such file or directory, open '/x'")); // unchanged message
 */
export function describeCause(err: unknown): string {
  if (err instanceof Error) {
    const { code } = err as NodeJS.ErrnoException;
    return typeof code === 'string' && !err.message.startsWith(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

/**
 * A count of events in words, for report messages.
 *
 * @example
 * plural(1); // '1 event'
 * plural(3); // '3 events'
 */
export function plural(n: number): string {
  return n === 1 ? '1 event' : `${n} events`;
}
