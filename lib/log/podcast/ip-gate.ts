/**
 * IAB v2.3 §5.5.2 Step 1.2 item 1 ("excessive downloads from one IP"): a truncated IP's downloads are
 * held until its window closes; an IP over `maxUserAgents` distinct user agents or `maxDownloads`
 * downloads in that window has all of them excluded and reported. The window lives on the IP's
 * record (see listeners.ts), so holding a download costs no lookup; held downloads are kept as
 * parallel arrays, not an object each.
 */
import type { PodcastWindow } from './options';
import type { EpisodeTotals } from './totals';
import { windowEnd } from './windows';

/** Commits one download of `episode` by `listener` (its hash) on UTC day `day`. */
export type Commit = (episode: EpisodeTotals, listener: number, day: number) => void;

/** One IP's open window: its user agents and the downloads held until it closes. */
export interface Bucket {
  until: number;
  agents: Set<string>;
  episodes: EpisodeTotals[];
  listeners: number[];
  days: number[];
  over: boolean;
}

/** What carries an IP's window (the truncated IP's record). */
export interface GateHolder {
  bucket: Bucket | null;
}

export class IpGate {
  /** Downloads and IP windows excluded as too many. */
  readonly excluded = { downloads: 0, ips: 0 };

  constructor(
    private readonly maxUserAgents: number,
    private readonly maxDownloads: number,
    private readonly window: PodcastWindow,
    private readonly commit: Commit,
  ) {}

  /** Holds (or excludes) a download by `holder`'s IP and `userAgent` at `t`; an allowed IP commits at once. */
  add(holder: GateHolder, userAgent: string, episode: EpisodeTotals, listener: number, day: number, t: number, allowed: boolean): void {
    if (allowed) return this.commit(episode, listener, day);
    if (holder.bucket !== null && t >= holder.bucket.until) this.close(holder);
    holder.bucket ??= this.open(t);
    const b = holder.bucket;
    if (b.over) {
      this.excluded.downloads += 1;
      return;
    }
    b.agents.add(userAgent);
    b.episodes.push(episode);
    b.listeners.push(listener);
    b.days.push(day);
    if (b.agents.size > this.maxUserAgents || b.episodes.length > this.maxDownloads) {
      b.over = true;
      this.excluded.ips += 1;
      this.excluded.downloads += b.episodes.length;
      b.episodes = [];
      b.listeners = [];
      b.days = [];
      b.agents.clear();
    }
  }

  /** Commits the held downloads of `holder`'s window if it ended by `now` (always for Infinity). */
  sweep(holder: GateHolder, now: number): void {
    if (holder.bucket !== null && holder.bucket.until <= now) this.close(holder);
  }

  private open(t: number): Bucket {
    const until = windowEnd(this.window === 'utc-day' ? 'utc-day' : 'rolling-24h', t);
    return { until, agents: new Set(), episodes: [], listeners: [], days: [], over: false };
  }

  private close(holder: GateHolder): void {
    const b = holder.bucket;
    if (b === null) return;
    for (let i = 0; i < b.episodes.length; i += 1) this.commit(b.episodes[i] as EpisodeTotals, b.listeners[i] as number, b.days[i] as number);
    holder.bucket = null;
  }
}
