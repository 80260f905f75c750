/**
 * ResumableBody: the stream behind {@link resumable}. Event-driven, with nothing per chunk but a
 * push: an open-ended read is passed on with backpressure (paused while the consumer is full);
 * a window is read at the storage's pace into a bounded queue and pushed as the consumer takes
 * it. When a read fails, is released, or a window is used up, the next read starts from the
 * first byte not yet pushed, so the consumer sees one uninterrupted, byte-exact stream.
 */
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { isStorageError, StorageError } from './errors';
import { ReleaseWatch } from './release-watch';
import type { Reopen, ResumeOptions } from './resume';

/** The rate at which a consumer counts as fast: its next window doubles. */
const FAST_BYTES_PER_SECOND = 1024 * 1024;
/** Windows grow to at most this many times `windowBytes`; beyond, one open-ended read. */
export const MAX_WINDOWS = 8;

/** What a ResumableBody needs besides its first read. */
export interface ResumableSettings {
  reopen: Reopen;
  options: Required<ResumeOptions>;
  signal?: AbortSignal;
  onResume?: (attempt: number, offset: number, cause: unknown) => void;
  /** Another request waits for a storage connection (see ReleaseWatch). */
  crowded?: () => boolean;
}

/**
 * One body made of successive storage reads (see the module comment). `firstWindow`: the first
 * read is a window of that many bytes (fewer: the span ends there); absent, it is open-ended.
 *
 * @example
 * const body = new ResumableBody(first, { reopen, options: normalizeResume({}, 's3Storage') }, 131072);
 */
export class ResumableBody extends Readable {
  /** The read being passed on; null while the next one opens. */
  private current: Readable | null;
  /** > 0: `current` is a window of this many bytes; 0: an open-ended read. */
  private window: number;
  private attempt = 0;
  /** The release watch gave the connection back; the next _read reopens. */
  private released = false;
  /** A reopen is in flight. */
  private switching = false;
  /** _read was called and nothing could be pushed yet. */
  private pending = false;
  // The current window: chunks read and not yet pushed, bytes read, whether its read ended, when its first byte went out.
  private queue: Buffer[] = [];
  private windowRead = 0;
  private windowEnded = false;
  private handedAt = 0;
  private readonly watch: ReleaseWatch;

  constructor(
    first: Readable,
    private readonly settings: ResumableSettings,
    firstWindow?: number,
  ) {
    // 16 KiB on every Node version (22 raised the default to 64 KiB): what this stream holds
    // besides its window, per download.
    super({ highWaterMark: 16 * 1024 });
    this.window = firstWindow ?? 0;
    this.watch = new ReleaseWatch(
      settings.options,
      () => {
        // Only an open-ended read holds a connection while the consumer is full.
        if (this.switching || this.window > 0) return;
        this.released = true;
        this.current?.destroy();
      },
      settings.crowded,
    );
    this.current = first;
    this.attach(first);
  }

  override _read(): void {
    this.pending = true;
    if (this.switching) return;
    if (this.released) return this.afterRelease();
    if (this.window > 0) return this.flushWindow();
    this.watch.waiting = false;
    this.current?.resume();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.watch.stop();
    this.current?.destroy();
    callback(err);
  }

  private attach(source: Readable): void {
    this.current = source;
    this.watch.waiting = false;
    this.queue = [];
    this.windowRead = 0;
    this.windowEnded = false;
    this.handedAt = 0;
    source.on('data', (chunk: Buffer) => {
      if (source !== this.current || this.destroyed) return;
      if (this.window > 0) this.onWindowData(source, chunk);
      else this.onStreamData(chunk);
    });
    source.once('end', () => {
      if (source !== this.current) return;
      if (this.window === 0) return void this.push(null);
      this.windowEnded = true;
      if (this.pending) this.flushWindow();
    });
    source.once('error', (err) => this.onSourceFailed(source, err));
    source.once('close', () => {
      if (!source.readableEnded) this.onSourceFailed(source, new StorageError('unavailable', 'the storage closed the body early'));
    });
    if (this.window === 0 && !this.pending) {
      // An open-ended read the consumer has not asked for yet: it is blocked already.
      source.pause();
      this.watch.blocked();
    }
  }

  /** Open-ended: pass each chunk on; a full consumer pauses the read (and lets the watch look). */
  private onStreamData(chunk: Buffer): void {
    this.watch.passed += chunk.length;
    this.pending = false;
    if (!this.push(chunk)) {
      this.current?.pause();
      this.watch.blocked();
    }
  }

  /** Windowed: queue what the storage sends (never more than the window), push if the consumer waits. */
  private onWindowData(source: Readable, chunk: Buffer): void {
    this.windowRead += chunk.length;
    if (this.windowRead > this.window) {
      this.onSourceFailed(source, new StorageError('unavailable', `the storage sent more than the ${this.window} bytes asked for`));
      source.destroy();
      return;
    }
    this.queue.push(chunk);
    if (this.pending) this.flushWindow();
  }

  /** Pushes queued window bytes while the consumer takes them; at the window's end, the next read. */
  private flushWindow(): void {
    for (let chunk = this.queue.shift(); chunk; chunk = this.queue.shift()) {
      this.handedAt ||= performance.now();
      this.watch.passed += chunk.length;
      this.pending = false;
      if (!this.push(chunk)) return;
    }
    if (!this.windowEnded || !this.pending) return;
    if (this.windowRead < this.window) return void this.push(null); // the span's end came first
    const seconds = Math.max(0.001, (performance.now() - this.handedAt) / 1000);
    const { windowBytes } = this.settings.options;
    // A fast consumer's window doubles, unless other downloads wait for a storage connection.
    const fast = this.windowRead / seconds >= FAST_BYTES_PER_SECOND && !this.settings.crowded?.();
    this.window = fast ? this.window * 2 : windowBytes;
    if (this.window > MAX_WINDOWS * windowBytes) this.window = 0;
    this.switchTo(this.next().catch((err: unknown) => this.retried(err)));
  }

  /** The next read after a release: windows from now on (0: open-ended again). */
  private afterRelease(): void {
    this.released = false;
    if (this.settings.signal?.aborted) return void this.destroy();
    this.window = this.settings.options.windowBytes;
    this.switchTo(this.next().catch((err: unknown) => this.retried(err)));
  }

  /** A read failed (not released): reopen from the next byte, with backoff. */
  private onSourceFailed(source: Readable, err: unknown): void {
    if (source !== this.current || this.destroyed || this.switching) return;
    if (this.released) return; // destroyed by the watch: the next _read reopens
    this.switchTo(this.retried(err));
  }

  private next(): Promise<Readable> {
    return this.settings.reopen(this.watch.passed, this.window > 0 ? this.window : undefined);
  }

  /** Waits for the read `opening`, then reads from it; a failure ends this stream with it. */
  private switchTo(opening: Promise<Readable>): void {
    this.switching = true;
    this.current = null; // events of the read being replaced are ignored from here on
    opening.then(
      (source) => {
        this.switching = false;
        if (this.destroyed) return void source.destroy();
        this.watch.restart();
        this.attach(source);
        if (this.pending) this._read();
      },
      (err: unknown) => {
        this.switching = false;
        this.destroy(err instanceof Error ? err : new Error(String(err)));
      },
    );
  }

  /** Backs off and reopens until a reopen works; a storage that is still down costs an attempt. */
  private async retried(cause: unknown): Promise<Readable> {
    const { options, signal, onResume } = this.settings;
    let last = cause;
    for (;;) {
      if (this.destroyed || signal?.aborted || this.attempt >= options.attempts) throw last;
      this.attempt += 1;
      onResume?.(this.attempt, this.watch.passed, last);
      await sleep(options.backoffMs * 2 ** (this.attempt - 1), undefined, { signal });
      try {
        return await this.next();
      } catch (err) {
        // Only an unreachable storage is worth another try: a changed or vanished object, or
        // an abort, ends the response (never bytes of two versions).
        if (!isStorageError(err) || err.code !== 'unavailable') throw err;
        last = err;
      }
    }
  }
}
