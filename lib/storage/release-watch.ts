/** The release timers of a resumable body (see ResumeOptions.releaseAfterMs). */
import type { ResumeOptions } from './resume';

/**
 * How long a blocked consumer may keep a storage connection another download waits for: long
 * enough for a fast client's socket to drain (milliseconds), short of a second of a listener
 * playing in real time (16 KiB/s takes a second to make room for one 16 KiB chunk).
 */
export const CROWDED_GRACE_MS = 250;

/**
 * The release timers of one resumable body, and the counters they read. The period timer is
 * re-armed once per period (nothing per chunk): at each look, a consumer that is blocked
 * (`waiting`: a chunk was handed over and not yet taken) and pulled less than the floor since
 * the previous look (nothing, with a floor of 0) has its storage connection released. With
 * `crowded` (another request waits for a pooled connection), a consumer blocked for
 * {@link CROWDED_GRACE_MS} while another request waits is released at once, however fast it was.
 */
export class ReleaseWatch {
  /** A chunk is handed to the consumer and not yet taken. */
  waiting = false;
  /** Bytes passed downstream so far. */
  passed = 0;
  private seen = 0;
  private readonly floor: number;
  private readonly timer: NodeJS.Timeout | undefined;
  private crowdTimer: NodeJS.Timeout | undefined;

  constructor(
    options: Required<ResumeOptions>,
    private readonly release: () => void,
    private readonly crowded?: () => boolean,
  ) {
    this.floor = Math.max(1, (options.slowBelowBytesPerSecond * options.releaseAfterMs) / 1000);
    this.timer = options.releaseAfterMs > 0 ? setTimeout(this.look, options.releaseAfterMs).unref() : undefined;
  }

  /**
   * The consumer is full: a chunk waits for it. With a `crowded` test, look every
   * {@link CROWDED_GRACE_MS} while it stays blocked (nothing runs for consumers that take).
   */
  blocked(): void {
    this.waiting = true;
    if (!this.timer || !this.crowded) return;
    if (this.crowdTimer) this.crowdTimer.refresh();
    else this.crowdTimer = setTimeout(this.lookCrowded, CROWDED_GRACE_MS).unref();
  }

  /** After a released connection was reopened: a new period starts. */
  restart(): void {
    this.seen = this.passed;
    this.timer?.refresh();
  }

  stop(): void {
    clearTimeout(this.timer);
    clearTimeout(this.crowdTimer);
  }

  private readonly look = (): void => {
    const pulled = this.passed - this.seen;
    this.seen = this.passed;
    if (this.waiting && pulled < this.floor) this.release();
    this.timer?.refresh();
  };

  private readonly lookCrowded = (): void => {
    if (!this.waiting) return; // taking again: the next block re-arms
    if (this.crowded?.()) this.release();
    else this.crowdTimer?.refresh();
  };
}
