/**
 * IAB v2.3 §5.5.2 Step 1.2 item 1 ("excessive downloads from one IP"): a truncated IP's downloads are
 * held until its window closes; an IP over `maxUserAgents` distinct user agents or `maxDownloads`
 * downloads in that window has all of them excluded and reported.
 */
import type { PodcastWindow } from './options';
import { windowEnd } from './windows';

/** A download that qualified, before the per-IP check. */
export interface Download {
  episodeKey: string;
  listener: number;
  day: number;
}

interface Bucket {
  until: number;
  agents: Set<string>;
  held: Download[];
  over: boolean;
}

export class IpGate {
  private readonly buckets = new Map<string, Bucket>();
  /** Downloads and IP windows excluded as too many. */
  readonly excluded = { downloads: 0, ips: 0 };

  constructor(
    private readonly maxUserAgents: number,
    private readonly maxDownloads: number,
    private readonly window: PodcastWindow,
    private readonly commit: (d: Download) => void,
  ) {}

  /** Holds (or excludes) a download by `ip` and `userAgent` at `t`; an allowed IP commits at once. */
  add(ip: string, userAgent: string, d: Download, t: number, allowed: boolean): void {
    if (allowed) return this.commit(d);
    let b = this.buckets.get(ip);
    if (b !== undefined && t >= b.until) {
      this.close(ip, b);
      b = undefined;
    }
    if (b === undefined) {
      b = { until: windowEnd(this.window === 'utc-day' ? 'utc-day' : 'rolling-24h', t), agents: new Set(), held: [], over: false };
      this.buckets.set(ip, b);
    }
    if (b.over) {
      this.excluded.downloads += 1;
      return;
    }
    b.agents.add(userAgent);
    b.held.push(d);
    if (b.agents.size > this.maxUserAgents || b.held.length > this.maxDownloads) {
      b.over = true;
      this.excluded.ips += 1;
      this.excluded.downloads += b.held.length;
      b.held = [];
      b.agents.clear();
    }
  }

  /** Commits the downloads of every IP window that ended by `now` (all of them for Infinity). */
  sweep(now: number): void {
    for (const [ip, b] of this.buckets) if (b.until <= now) this.close(ip, b);
  }

  private close(ip: string, b: Bucket): void {
    for (const d of b.held) this.commit(d);
    this.buckets.delete(ip);
  }
}
