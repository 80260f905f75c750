/**
 * LineWriter: what a {@link jsonLinesLog} sink writes its lines through (a file it opened, or a
 * stream it was given), and the hooks through which a writer tells the sink how writes went.
 */
import type { Line } from './line-queue';

/** How a writer reports back to the sink that owns it (given to the writer when it is made). */
export interface LineWriterHooks {
  /** `count` lines of `bytes` bytes, handed over by write(), are written (a stream confirmed them). */
  written(count: number, bytes: number): void;
  /** The target failed: the sink stops, and what it held is lost and reported. Idempotent. */
  failed(message: string, cause: unknown): void;
  /** A problem that does not stop the sink (closing a file failed): reported, nothing lost. */
  problem(message: string, cause: unknown): void;
  /** True once close() was called and every accepted line is written: the target may go now. */
  finished(): boolean;
}

/**
 * Writes whole lines, in order, to one target. The sink calls write() with one batch at a time
 * (never two at once) and close() once, after the last write; reopen() may come at any time
 * before close(). None of them rejects: failures go to the hooks.
 */
export interface LineWriter {
  /** The most bytes write() takes in one batch of several lines (0: one line per call). */
  readonly batchBytes: number;
  /** Writes the lines; resolves when the writer can take the next batch. */
  write(lines: readonly Line[]): Promise<void>;
  /** Lets go of the target once what was handed over is written (a file is closed, a stream is not). */
  close(): Promise<void>;
  /** Switches to a freshly opened target at the same place, for targets that have one (files). */
  reopen?(): Promise<void>;
}
