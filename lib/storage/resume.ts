/**
 * Transparent upstream resume: when a storage body fails mid-stream (connection reset, idle
 * timeout while a slow client held the stream back), read on from the next byte not yet passed
 * downstream, pinned to the same object version, so the client sees one uninterrupted response.
 * Slow clients are served in windows: a bounded range read into memory at once (its connection
 * back in the pool within milliseconds), then handed on as the client takes it.
 */
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { OptionsReader } from '../options/reader';
import { isStorageError, StorageError } from './errors';

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

/** The rate at which a consumer counts as fast: its next window doubles. */
const FAST_BYTES_PER_SECOND = 1024 * 1024;
/** Windows grow to at most this many times `windowBytes`; beyond, one open-ended read. */
export const MAX_WINDOWS = 8;

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
 * The release timer of one resumable body, and the counters it reads: one timer, re-armed once
 * per period (nothing per chunk). At each look, a consumer that is blocked (`waiting`: a chunk
 * was handed over and not yet taken) and pulled less than the floor since the previous look
 * (nothing, with a floor of 0) has its storage connection released.
 */
class ReleaseWatch {
  /** A chunk is handed to the consumer and not yet taken. */
  waiting = false;
  /** Bytes passed downstream so far. */
  passed = 0;
  private seen = 0;
  private readonly floor: number;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    options: Required<ResumeOptions>,
    private readonly release: () => void,
  ) {
    this.floor = Math.max(1, (options.slowBelowBytesPerSecond * options.releaseAfterMs) / 1000);
    this.timer = options.releaseAfterMs > 0 ? setTimeout(this.look, options.releaseAfterMs).unref() : undefined;
  }

  /** After a released connection was reopened: a new period starts. */
  restart(): void {
    this.seen = this.passed;
    this.timer?.refresh();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private readonly look = (): void => {
    const pulled = this.passed - this.seen;
    this.seen = this.passed;
    if (this.waiting && pulled < this.floor) return this.release();
    this.timer?.refresh();
  };
}

/**
 * Reads a window at the storage's pace, whatever the consumer's: chunks are queued as they come
 * (at most the window: a body longer than asked for fails, so a storage that ignored the range
 * cannot fill the memory) and handed out as the consumer takes them, the first one at once.
 */
async function* windowChunks(body: Readable, length: number, counted: { bytes: number }): AsyncGenerator<Buffer> {
  const queue: Buffer[] = [];
  let done = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const poke = (): void => {
    wake?.();
    wake = undefined;
  };
  body.on('data', (chunk: Buffer) => {
    counted.bytes += chunk.length;
    if (counted.bytes > length) {
      failure = new StorageError('unavailable', `the storage sent more than the ${length} bytes asked for`);
      body.destroy();
    } else queue.push(chunk);
    poke();
  });
  body.once('end', () => {
    done = true;
    poke();
  });
  body.once('error', (err) => {
    failure ??= err;
    poke();
  });
  body.once('close', () => {
    if (!done) failure ??= new StorageError('unavailable', 'the storage closed the body early');
    poke();
  });
  for (;;) {
    const chunk = queue.shift();
    if (chunk) yield chunk;
    else if (failure !== undefined) throw failure;
    else if (done) return;
    else await new Promise<void>((resolve) => (wake = resolve));
  }
}

/**
 * Wraps a body so that failures are resumed with `reopen(bytesAlreadyPassedOn)`. Aborts (the
 * signal) are never resumed, and a reopen that fails (object changed: If-Match) ends the stream
 * with that error, so bytes of two versions are never mixed. A consumer that stops pulling, or
 * pulls below `slowBelowBytesPerSecond`, has the storage connection released every
 * `releaseAfterMs`; it then goes on in windows of `windowBytes` (see {@link ResumeOptions}).
 * With `firstWindow`, `first` is itself a window of that many bytes (fewer: the span's end).
 *
 * @example
 * const options = normalizeResume({ attempts: 3, backoffMs: 200 }, 'myStorage');
 * const body = resumable(first, (offset, length) => getRange(start + offset, length), options, signal);
 */
export function resumable(
  first: Readable,
  reopen: Reopen,
  options: Required<ResumeOptions>,
  signal?: AbortSignal,
  onResume?: (attempt: number, offset: number, cause: unknown) => void,
  firstWindow?: number,
): Readable {
  if (options.attempts === 0 && options.releaseAfterMs === 0 && !firstWindow) return first;
  let current = first;
  let closed = false;
  let attempt = 0;
  let released = false;
  // > 0: `current` is a window of this many bytes, read into memory before it is passed on.
  let window = firstWindow ?? 0;
  const watch = new ReleaseWatch(options, () => {
    released = true;
    current.destroy();
  });
  const next = (): Promise<Readable> => reopen(watch.passed, window > 0 ? window : undefined);
  /** Backs off and reopens until a reopen works; a storage that is still down costs an attempt. */
  async function reopenWithRetries(cause: unknown): Promise<Readable> {
    let last = cause;
    for (;;) {
      if (closed || signal?.aborted || attempt >= options.attempts) throw last;
      attempt += 1;
      onResume?.(attempt, watch.passed, last);
      await sleep(options.backoffMs * 2 ** (attempt - 1), undefined, { signal });
      try {
        return await next();
      } catch (err) {
        // Only an unreachable storage is worth another try: a changed or vanished object, or
        // an abort, ends the response (never bytes of two versions).
        if (!isStorageError(err) || err.code !== 'unavailable') throw err;
        last = err;
      }
    }
  }

  /** One window: read at the storage's pace, handed on at the consumer's; sizes the next one. */
  async function* passWindow(): AsyncGenerator<Buffer, 'end' | 'more'> {
    const counted = { bytes: 0 };
    let handedAt = 0;
    for await (const chunk of windowChunks(current, window, counted)) {
      handedAt ||= performance.now();
      watch.passed += chunk.length;
      yield chunk;
    }
    if (counted.bytes < window) return 'end'; // the span's end came first
    const seconds = Math.max(0.001, (performance.now() - handedAt) / 1000);
    window = counted.bytes / seconds >= FAST_BYTES_PER_SECOND ? window * 2 : options.windowBytes;
    if (window > MAX_WINDOWS * options.windowBytes) window = 0;
    return 'more';
  }

  async function* generate(): AsyncGenerator<Buffer> {
    for (;;) {
      try {
        if (window > 0) {
          if ((yield* passWindow()) === 'end') return;
          if (closed || signal?.aborted) return;
          current = await next();
          watch.restart();
          continue;
        }
        for await (const chunk of current) {
          watch.passed += (chunk as Buffer).length;
          // While the consumer is not pulling (a full socket to a slow client), the timer may
          // release the storage connection; the next pull then reopens from `passed`.
          watch.waiting = true;
          yield chunk as Buffer;
          watch.waiting = false;
        }
        if (!released) return;
      } catch (err) {
        if (!released) {
          current = await reopenWithRetries(err);
          continue;
        }
      }
      if (released) {
        released = false;
        if (closed || signal?.aborted) return;
        window = options.windowBytes; // a slow consumer: windows from now on (0: open-ended again)
        current = await next().catch((err: unknown) => {
          if (!isStorageError(err) || err.code !== 'unavailable') throw err;
          return reopenWithRetries(err);
        });
        watch.restart();
      }
    }
  }
  const wrapper = Readable.from(generate(), { objectMode: false });
  // The generator may be waiting on the body when the consumer goes away: end the body directly.
  wrapper.once('close', () => {
    closed = true;
    watch.stop();
    current.destroy();
  });
  return wrapper;
}
