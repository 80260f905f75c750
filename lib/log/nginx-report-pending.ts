/**
 * The hand-offs waiting for nginx's report, bounded in number and in time. An entry is made when
 * the app decides to hand a request off (before nginx can possibly report), given its event when
 * the app's response is over, and finished exactly once: by nginx's report, by the timeout, or by
 * close(). Pure: the clock is passed in, and nothing here touches a socket or a timer.
 */
import type { ReportLine } from './nginx-report-line';

/** Why an event was finished without nginx's report. */
export type ReportMark = 'timeout' | 'overflow' | 'closed';

/** Finishes one event: with nginx's report, or with the reason there is none. */
export type Finish<E> = (event: E, report: ReportLine | ReportMark) => void;

/** Counters of one receiver since it started. */
export interface PendingCounts {
  /** Hand-offs waiting now (expected, or settled and not yet reported). */
  pending: number;
  /** Events finished with nginx's report. */
  reported: number;
  /** Reports that came before the app's own response was over (kept until it was). */
  early: number;
  /** Reports for no waiting hand-off: after the timeout, duplicates, or another app's. */
  unknown: number;
  timedOut: number;
  overflowed: number;
  closed: number;
}

interface Entry<E> {
  event?: E;
  finish?: Finish<E>;
  report?: ReportLine;
}

/** Settings of {@link PendingReports}. */
export interface PendingOptions {
  maxPending: number;
  timeoutMs: number;
  now(): number;
}

/** The waiting hand-offs of one receiver. */
export class PendingReports<E> {
  private readonly entries = new Map<string, Entry<E>>();
  /** Settled entries by deadline: settle order, as every entry waits the same time. */
  private readonly deadlines = new Map<string, number>();
  private isClosed = false;
  private readonly counts: Omit<PendingCounts, 'pending'> = { reported: 0, early: 0, unknown: 0, timedOut: 0, overflowed: 0, closed: 0 };

  constructor(private readonly options: PendingOptions) {}

  /**
   * Registers a hand-off about to happen; false when it cannot wait (full, or closed): then the
   * caller does not ask nginx for a report, and settle() finishes the event at once, marked.
   *
   * @example
   * if (pending.expect(id)) res.setHeader('X-Station-Files-Report', id);
   */
  expect(id: string): boolean {
    if (this.isClosed || this.entries.size >= this.options.maxPending || this.entries.has(id)) return false;
    this.entries.set(id, {});
    return true;
  }

  /** The app's response is over: finish at once when the report is already here, else wait for it. */
  settle(id: string, event: E, finish: Finish<E>): void {
    const entry = this.entries.get(id);
    if (!entry) {
      // expect() said no: full (or closed) when the hand-off began.
      const mark = this.isClosed ? 'closed' : 'overflow';
      this.counts[mark === 'closed' ? 'closed' : 'overflowed']++;
      return finish(event, mark);
    }
    if (entry.report) {
      this.entries.delete(id);
      this.counts.reported++;
      return finish(event, entry.report);
    }
    if (this.isClosed) {
      this.entries.delete(id);
      this.counts.closed++;
      return finish(event, 'closed');
    }
    entry.event = event;
    entry.finish = finish;
    this.deadlines.set(id, this.options.now() + this.options.timeoutMs);
  }

  /** The request was not handed off after all (HEAD, 304, a refusal): forget it. */
  cancel(id: string): void {
    const entry = this.entries.get(id);
    if (entry && entry.event === undefined) this.entries.delete(id);
  }

  /** nginx's report for `line.id`: finishes its event, or keeps it until the event is settled. */
  receive(line: ReportLine): void {
    const entry = this.entries.get(line.id);
    if (!entry || entry.report) {
      this.counts.unknown++;
      return;
    }
    if (entry.event === undefined || !entry.finish) {
      entry.report = line;
      this.counts.early++;
      return;
    }
    this.entries.delete(line.id);
    this.deadlines.delete(line.id);
    this.counts.reported++;
    entry.finish(entry.event, line);
  }

  /** Finishes every settled event whose report is overdue, marked `timeout`; returns how many. */
  sweep(): number {
    const now = this.options.now();
    let n = 0;
    for (const [id, deadline] of this.deadlines) {
      if (deadline > now) break;
      this.deadlines.delete(id);
      const entry = this.entries.get(id);
      this.entries.delete(id);
      if (entry?.event !== undefined && entry.finish) {
        this.counts.timedOut++;
        n++;
        entry.finish(entry.event, 'timeout');
      }
    }
    return n;
  }

  /** Finishes every waiting event, marked `closed`; later hand-offs are finished at once. */
  close(): void {
    this.isClosed = true;
    for (const [id, entry] of this.entries) {
      if (entry.event === undefined || !entry.finish) continue;
      this.entries.delete(id);
      this.deadlines.delete(id);
      this.counts.closed++;
      entry.finish(entry.event, 'closed');
    }
  }

  get closed(): boolean {
    return this.isClosed;
  }

  stats(): PendingCounts {
    return { pending: this.entries.size, ...this.counts };
  }
}
