/**
 * Transparent upstream resume: when a storage body fails mid-stream (connection reset, idle
 * timeout while a slow client held the stream back), read on from the next byte not yet passed
 * downstream, pinned to the same object version, so the client sees one uninterrupted response.
 * Slow clients are served in windows: a bounded range read into memory at once (its connection
 * back in the pool within milliseconds), then handed on as the client takes it.
 */
import type { Readable } from 'node:stream';
import { OptionsReader } from '../options/reader';
import { ResumableBody, type ResumableSettings } from './resumable-body';

export { MAX_WINDOWS, type ResumableSettings } from './resumable-body';

/** How often and how patiently to resume. */
export interface ResumeOptions {
  /** Re-requests per response after the first body failed. 0 turns resuming off. @default 3 */
  attempts?: number;
  /** Wait before the first re-request, doubled for each further one. @default 200 */
  backoffMs?: number;
  /**
   * The release period: every this many ms, a body whose consumer is blocked (a full socket to
   * a slow client) and pulled less than `slowBelowBytesPerSecond` (or nothing) since the last
   * look gives its storage connection back; the next pull re-requests from the next byte, so
   * slow clients cannot hold every pooled S3 socket. 0 keeps the connection. @default 5000
   */
  releaseAfterMs?: number;
  /**
   * The floor rate: a blocked consumer that pulled less than this many bytes per second over
   * the last release period loses its storage connection (the client keeps its response). The
   * default is twice a 128 kbit/s podcast (16 KiB/s): a player listening in real time only
   * holds a connection while it refills its buffer, and every held connection carries at least
   * 32 KiB/s of real downloading. 0: only consumers that pulled nothing. @default 32768
   */
  slowBelowBytesPerSecond?: number;
  /**
   * The window: a download starts (and a released one goes on) by reading ranges of this many
   * bytes, each read into memory at once, so its storage connection goes back to the pool in
   * milliseconds instead of waiting on the client. A client that takes a window at 1 MiB/s or
   * faster gets twice as much next time; past 8 windows' worth it gets one open-ended read (as
   * with 0). Costs one storage request per window for a slow listener (128 KiB: one every 8 s
   * at 128 kbit/s) and at most 8 windows of memory per download. 0: one open-ended read per
   * download, released only by the release period. @default 131072
   */
  windowBytes?: number;
}

/** The keys of {@link ResumeOptions}; any other key is refused. */
export const RESUME_KEYS = ['attempts', 'backoffMs', 'releaseAfterMs', 'slowBelowBytesPerSecond', 'windowBytes'] as const;

/**
 * Reads {@link ResumeOptions} with the reader's factory and path in every message, so a bad
 * value nested in s3Storage says `s3Storage: resume.attempts must be a whole number from 0 to 20`.
 *
 * @example
 * const resume = readResume(OptionsReader.of('s3Storage', options, S3_KEYS).nested('resume', RESUME_KEYS));
 */
export function readResume(o: OptionsReader): Required<ResumeOptions> {
  return {
    attempts: o.integer('attempts', { min: 0, max: 20 }, 3),
    backoffMs: o.integer('backoffMs', { min: 0, max: 60_000 }, 200),
    releaseAfterMs: o.integer('releaseAfterMs', { min: 0, max: 2_147_483_647 }, 5000),
    slowBelowBytesPerSecond: o.integer('slowBelowBytesPerSecond', { min: 0, max: Number.MAX_SAFE_INTEGER }, 32 * 1024),
    windowBytes: o.integer('windowBytes', { min: 0, max: 16 * 1024 * 1024 }, 128 * 1024),
  };
}

/**
 * Validates {@link ResumeOptions} once, as the `resume` option of `factory` (unknown keys refused).
 *
 * @example
 * normalizeResume({ attempts: 2 }, 'myStorage') // { attempts: 2, backoffMs: 200, releaseAfterMs: 5000, slowBelowBytesPerSecond: 32768, windowBytes: 131072 }
 */
export function normalizeResume(options: ResumeOptions | undefined, factory: string): Required<ResumeOptions> {
  return readResume(OptionsReader.of(factory, options, RESUME_KEYS, 'resume.'));
}

/**
 * Reopens the object from `offset` bytes after the original start (same version): to the end of
 * the original span, or at most `length` bytes of it when given (a window).
 */
export type Reopen = (offset: number, length?: number) => Promise<Readable>;

/**
 * Wraps a body so that failures are resumed with `settings.reopen(bytesAlreadyPassedOn)`. Aborts
 * (`settings.signal`) are never resumed, and a reopen that fails (object changed: If-Match) ends
 * the stream with that error, so bytes of two versions are never mixed. A consumer that stops
 * pulling, or pulls below `slowBelowBytesPerSecond`, has the storage connection released every
 * `releaseAfterMs` (and within a quarter second of blocking while `settings.crowded()` says
 * another request waits for a connection); it then goes on in windows of `windowBytes` (see
 * {@link ResumeOptions}). With `firstWindow`, `first` is itself a window of that many bytes
 * (fewer: the span's end).
 *
 * @example
 * const options = normalizeResume({ attempts: 3, backoffMs: 200 }, 'myStorage');
 * const body = resumable(first, { reopen: (offset, length) => getRange(start + offset, length), options, signal });
 */
export function resumable(first: Readable, settings: ResumableSettings, firstWindow?: number): Readable {
  const { options } = settings;
  if (options.attempts === 0 && options.releaseAfterMs === 0 && !firstWindow) return first;
  return new ResumableBody(first, settings, firstWindow);
}
