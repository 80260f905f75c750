/**
 * LinePump: the bounded queue of a {@link jsonLinesLog} sink. It turns events into lines, holds
 * them (at most `maxQueuedBytes`), hands them to its {@link LineWriter} one batch at a time, in
 * order, and keeps the books: what is held, what was dropped and why, when everything accepted
 * is written. Every problem becomes one {@link JsonLinesLogError} report.
 */
import { JsonLinesLogError, describeCause, plural, type JsonLinesLogErrorCode } from './json-lines-error';
import { LineQueue } from './line-queue';
import type { LineWriter, LineWriterHooks } from './line-writer';

/** What a {@link LinePump} needs besides its writer. */
export interface LinePumpOptions {
  /** Starts every report message, e.g. `JSON lines log /var/log/x.jsonl`. */
  label: string;
  /** The most bytes of lines held: queued, or handed to the writer and not yet written. */
  maxQueuedBytes: number;
  /** Receives every report; may throw (ignored). */
  onError: (err: Error) => void;
}

/**
 * Queues events as JSON lines and writes them through a writer made for it (the writer gets
 * the pump's hooks, so it can report back). `offer()` never blocks and never throws; `close()`
 * waits for everything accepted, then closes the writer; `reopen()` passes on to the writer.
 *
 * @example
 * const pump = new LinePump({ label: 'JSON lines log x.jsonl', maxQueuedBytes: 8 << 20, onError },
 *   (hooks) => new FileLineWriter('x.jsonl', hooks));
 * pump.offer({ id: '1' });
 * await pump.close();
 */
export class LinePump {
  private readonly queue = new LineQueue();
  private readonly writer: LineWriter;
  private heldBytes = 0; // bytes of lines accepted and not yet confirmed written
  private inFlight = 0; // lines handed to the writer, not yet confirmed
  private running = false;
  private failed = false;
  private closed = false;
  private overflowDropped = 0; // drops in the current overflow episode
  private droppedAfterFailure = 0; // not yet reported
  private droppedAfterClose = 0;
  private closing: Promise<void> | undefined;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly options: LinePumpOptions,
    makeWriter: (hooks: LineWriterHooks) => LineWriter,
  ) {
    this.writer = makeWriter({
      written: (count, bytes) => this.written(count, bytes),
      failed: (message, cause) => this.fail(message, cause),
      problem: (message, cause) => this.report('failed', `${message} (${describeCause(cause)})`, 0, { cause }),
      finished: () => this.closed && this.pending() === 0,
    });
  }

  /** Lines accepted and not yet written (queued, or in a write not yet confirmed). */
  pending(): number {
    return this.queue.length + this.inFlight;
  }

  /** Accepts one event (or drops and reports it); starts writing if the writer is idle. */
  offer(event: unknown): void {
    if (this.closed) {
      this.droppedAfterClose++;
      this.report('closed', `event dropped, the log is closed (${this.droppedAfterClose} so far)`, 1);
      return;
    }
    if (this.failed) {
      this.droppedAfterFailure++;
      return;
    }
    const text = this.serialize(event);
    if (text === undefined) return;
    const bytes = Buffer.byteLength(text, 'utf8');
    if (this.heldBytes + bytes > this.options.maxQueuedBytes) {
      this.overflowDropped++;
      if (this.overflowDropped === 1) {
        this.report('overflow', `dropped 1 event, the queue is full (maxQueuedBytes ${this.options.maxQueuedBytes}); dropping until it has room`, 1);
      }
      return;
    }
    if (this.overflowDropped > 0) this.endOverflow();
    this.heldBytes += bytes;
    this.queue.push({ text, bytes });
    this.kick();
  }

  /** Stops accepting, waits until everything accepted is written (or lost), closes the writer. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  /** Has the writer reopen its target; a no-op after close() or a failure, or without reopen. */
  reopen(): Promise<void> {
    if (this.closed || this.failed || !this.writer.reopen) return Promise.resolve();
    return this.writer.reopen();
  }

  private serialize(event: unknown): string | undefined {
    let text: string | undefined;
    try {
      text = JSON.stringify(event);
    } catch (err) {
      this.report('invalid', `event dropped, not serializable (${describeCause(err)})`, 1, { cause: err });
      return undefined;
    }
    if (typeof text !== 'string') {
      this.report('invalid', 'event dropped, not serializable', 1);
      return undefined;
    }
    return `${text}\n`;
  }

  private kick(): void {
    if (this.running || this.failed) return;
    this.running = true;
    this.pump().then(
      () => {
        this.running = false;
        if (!this.failed && this.queue.length > 0) this.kick();
        else this.settleIfIdle();
      },
      (err: unknown) => {
        this.running = false;
        this.fail('write failed', err);
      },
    );
  }

  private async pump(): Promise<void> {
    while (!this.failed && this.queue.length > 0) {
      const batch = this.queue.take(this.writer.batchBytes);
      this.inFlight += batch.length;
      await this.writer.write(batch);
    }
  }

  private written(count: number, bytes: number): void {
    if (this.failed) return;
    this.inFlight -= count;
    this.heldBytes -= bytes;
    this.settleIfIdle();
  }

  private async shutDown(): Promise<void> {
    this.closed = true;
    await this.whenIdle();
    if (this.overflowDropped > 0) this.endOverflow();
    if (this.droppedAfterFailure > 0) {
      this.report('failed', `dropped ${plural(this.droppedAfterFailure)} after the failure`, this.droppedAfterFailure);
      this.droppedAfterFailure = 0;
    }
    await this.writer.close();
  }

  /** Marks the pump failed (once): everything held is lost and reported with the cause. */
  private fail(message: string, cause: unknown): void {
    if (this.failed) return;
    this.failed = true;
    const lost = this.pending();
    this.queue.clear();
    this.inFlight = 0;
    this.heldBytes = 0;
    if (this.overflowDropped > 0) this.endOverflow();
    const what = lost > 0 ? `; ${plural(lost)} lost, later events are dropped` : '; later events are dropped';
    this.report('failed', `${message} (${describeCause(cause)})${what}`, lost, { cause });
    this.settleIfIdle();
  }

  private endOverflow(): void {
    const more = this.overflowDropped - 1;
    if (more > 0) this.report('overflow', `dropped ${more} more event${more === 1 ? '' : 's'} while the queue was full`, more);
    this.overflowDropped = 0;
  }

  private isIdle(): boolean {
    return this.failed || (this.pending() === 0 && !this.running);
  }

  private settleIfIdle(): void {
    if (!this.isIdle()) return;
    if (this.overflowDropped > 0) this.endOverflow();
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private report(code: JsonLinesLogErrorCode, message: string, dropped: number, options?: { cause: unknown }): void {
    try {
      this.options.onError(new JsonLinesLogError(code, `${this.options.label}: ${message}`, dropped, options));
    } catch {
      // onError must not throw; a failing reporter must not break a download either.
    }
  }
}
