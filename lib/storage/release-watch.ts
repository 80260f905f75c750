/** The release timer of a resumable body (see ResumeOptions.releaseAfterMs). */
import type { ResumeOptions } from './resume';

/**
 * The release timer of one resumable body, and the counters it reads: one timer, re-armed once
 * per period (nothing per chunk). At each look, a consumer that is blocked (`waiting`: a chunk
 * was handed over and not yet taken) and pulled less than the floor since the previous look
 * (nothing, with a floor of 0) has its storage connection released.
 */
export class ReleaseWatch {
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
    if (this.waiting && pulled < this.floor) this.release();
    this.timer?.refresh();
  };
}
