/**
 * The counting state machine behind countPodcastDownloads: events in, time order restored within
 * `reorderMs`, state kept only for open windows (listeners with bytes adding up or a download's
 * window still open, IPs whose window is open), swept every 6 hours of log time.
 */
import type { DownloadEvent } from '../events';
import { IpGate, type Download } from './ip-gate';
import { episodeMinimum } from './minimum';
import type { PodcastWindow, Settings } from './options';
import { ReorderBuffer } from './reorder';
import { EXCLUSION_REASONS, type ExclusionReason, type EpisodeRequest, readRequest } from './requests';
import { rows, listenerHash, type EpisodeTotals, type PodcastDownloadCount } from './totals';
import { DAY_MS, finished, newListenerState, step, type ListenerState } from './windows';

/** What was not counted, by reason. */
export interface PodcastExclusions {
  /** Episode requests dropped before counting (see ExclusionReason). */
  requests: Record<ExclusionReason, number>;
  /** Listener attempts whose bytes never reached the episode's threshold within 24 h. */
  underMinimum: number;
  /** Downloads dropped because their IP went over `perIp` in a window, and how many IP windows that was. */
  tooManyPerIp: { downloads: number; ips: number };
}

/** The result: per-episode counts, what was excluded, and the settings a report must disclose. */
export interface PodcastCounts {
  episodes: PodcastDownloadCount[];
  excluded: PodcastExclusions;
  window: PodcastWindow;
  redirects: 'exclude' | 'count-requests';
}

/** How often (in log time) closed windows are dropped: memory holds at most this much more than the open windows. */
const SWEEP_MS = 6 * 3_600_000;
const isEpisode = (e: DownloadEvent): boolean => e.kind === 'episode' || e.kind === 'public-episode';

export class PodcastCounter {
  private readonly listeners = new Map<string, ListenerState>();
  private readonly episodes = new Map<string, EpisodeTotals>();
  private readonly reasons = Object.fromEntries(EXCLUSION_REASONS.map((r) => [r, 0])) as Record<ExclusionReason, number>;
  private readonly tally = { under: 0 };
  private readonly gate: IpGate;
  private readonly buffer: ReorderBuffer<{ t: number; e: DownloadEvent }>;
  private now = -Infinity;
  private nextSweep = -Infinity;

  constructor(private readonly s: Settings) {
    this.gate = new IpGate(s.maxUserAgents, s.maxDownloads, s.window, (d) => this.commit(d));
    this.buffer = new ReorderBuffer(s.reorderMs);
  }

  /** Adds an event that may be up to `reorderMs` out of time order. */
  push(e: DownloadEvent): void {
    if (!isEpisode(e)) return;
    const t = Date.parse(e.at);
    if (Number.isNaN(t) || t < this.now) {
      this.exclude(Number.isNaN(t) ? 'bad-event' : 'late');
      return;
    }
    this.buffer.push({ t, e });
    for (let item = this.buffer.shift(this.buffer.floor); item; item = this.buffer.shift(this.buffer.floor)) this.process(item.e, item.t);
  }

  /** Adds an event known to be in time order (no buffering). */
  add(e: DownloadEvent): void {
    if (isEpisode(e)) this.process(e, Date.parse(e.at));
  }

  /** Lets out everything buffered, closes every window and returns the result. */
  finish(): PodcastCounts {
    for (let item = this.buffer.shift(Infinity); item; item = this.buffer.shift(Infinity)) this.process(item.e, item.t);
    this.sweep(Infinity);
    return {
      episodes: rows(this.episodes.values()),
      excluded: { requests: { ...this.reasons }, underMinimum: this.tally.under, tooManyPerIp: { ...this.gate.excluded } },
      window: this.s.window,
      redirects: this.s.countRedirects ? 'count-requests' : 'exclude',
    };
  }

  private process(e: DownloadEvent, t: number): void {
    const r = readRequest(e, t, this.s);
    if (typeof r === 'string' || t < this.now) {
      this.exclude(typeof r === 'string' ? r : 'late');
      return;
    }
    this.now = t;
    if (t >= this.nextSweep) this.sweep(t);
    const episode = this.episode(r);
    const key = `${r.episodeKey}\n${r.ip} ${r.userAgent}`;
    let st = this.listeners.get(key);
    if (st === undefined) {
      st = newListenerState();
      this.listeners.set(key, st);
    }
    if (!step(st, t, r.start, r.end, episode.minimum.bytes, this.s.window, this.tally)) return;
    const d: Download = { episodeKey: r.episodeKey, listener: listenerHash(`${r.ip} ${r.userAgent}`), day: Math.floor(t / DAY_MS) };
    this.gate.add(r.ip, r.userAgent, d, t, r.allowed);
  }

  private exclude(reason: ExclusionReason): void {
    this.reasons[reason] += 1;
  }

  private episode(r: EpisodeRequest): EpisodeTotals {
    let ep = this.episodes.get(r.episodeKey);
    if (ep !== undefined && ep.minimum.bytes === null && r.size !== null) {
      ep.minimum = episodeMinimum(this.s.episodeInfo?.(r.ref), r.size, this.s.minBytes); // the size became known
    }
    if (ep === undefined) {
      const minimum = episodeMinimum(this.s.episodeInfo?.(r.ref), r.size, this.s.minBytes);
      ep = { ref: r.ref, minimum, downloads: 0, days: new Map(), listeners: new Set() };
      this.episodes.set(r.episodeKey, ep);
    }
    return ep;
  }

  private commit(d: Download): void {
    const ep = this.episodes.get(d.episodeKey);
    if (ep === undefined) return;
    ep.downloads += 1;
    ep.days.set(d.day, (ep.days.get(d.day) ?? 0) + 1);
    ep.listeners.add(d.listener);
  }

  private sweep(now: number): void {
    for (const [key, st] of this.listeners) if (finished(st, now, this.tally)) this.listeners.delete(key);
    this.gate.sweep(now);
    this.nextSweep = now + SWEEP_MS;
  }
}
