/**
 * The counting state machine behind countPodcastDownloads: events in, time order restored within
 * `reorderMs`, state kept only for open windows (listeners with bytes adding up or a download's
 * window still open, IPs whose window is open), swept every 6 hours of log time. Built for a month
 * of events at over a million a second: nothing per event is keyed by a built string or allocated
 * (see requests.ts, episodes.ts, listeners.ts, ip-gate.ts, reorder.ts).
 */
import type { DownloadEvent } from '../events';
import { EpisodeTable } from './episodes';
import { IpGate } from './ip-gate';
import { ListenerTable } from './listeners';
import type { PodcastWindow, Settings } from './options';
import { ReorderBuffer } from './reorder';
import { TimeParser } from './times';
import { EXCLUSION_REASONS, type ExclusionReason, RequestReader } from './requests';
import { addDownload, rows, type PodcastDownloadCount } from './totals';
import { DAY_MS, step } from './windows';

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
  private readonly reader: RequestReader;
  private readonly episodes: EpisodeTable;
  private readonly listeners = new ListenerTable(SWEEP_MS);
  private readonly reasons = Object.fromEntries(EXCLUSION_REASONS.map((r) => [r, 0])) as Record<ExclusionReason, number>;
  private readonly tally = { under: 0 };
  private readonly gate: IpGate;
  private readonly buffer: ReorderBuffer<DownloadEvent>;
  /** Bound once: the buffer calls it for every event it lets out. */
  private readonly processOne = (e: DownloadEvent, t: number): void => this.process(e, t);
  private now = -Infinity;
  private nextSweep = -Infinity;
  private readonly times = new TimeParser();

  constructor(private readonly s: Settings) {
    this.reader = new RequestReader(s);
    this.episodes = new EpisodeTable(s);
    this.gate = new IpGate(s.maxUserAgents, s.maxDownloads, s.window, addDownload);
    this.buffer = new ReorderBuffer(s.reorderMs);
  }

  /** Adds an event that may be up to `reorderMs` out of time order. */
  push(e: DownloadEvent): void {
    if (!isEpisode(e)) return;
    const t = this.times.parse(e.at);
    if (Number.isNaN(t) || t < this.now) {
      this.exclude(Number.isNaN(t) ? 'bad-event' : 'late');
      return;
    }
    this.buffer.push(e, t);
    this.buffer.drain(this.buffer.floor, this.processOne);
  }

  /** Adds an event known to be in time order (no buffering). */
  add(e: DownloadEvent): void {
    if (isEpisode(e)) this.process(e, this.times.parse(e.at));
  }

  /** Lets out everything buffered, closes every window and returns the result. */
  finish(): PodcastCounts {
    this.buffer.drain(Infinity, this.processOne);
    this.sweep(Infinity);
    return {
      episodes: rows(this.episodes.all()),
      excluded: { requests: { ...this.reasons }, underMinimum: this.tally.under, tooManyPerIp: { ...this.gate.excluded } },
      window: this.s.window,
      redirects: this.s.countRedirects ? 'count-requests' : 'exclude',
    };
  }

  private process(e: DownloadEvent, t: number): void {
    const reason = this.reader.read(e, t);
    if (reason !== null || t < this.now) {
      this.exclude(reason ?? 'late');
      return;
    }
    const r = this.reader.request;
    this.now = t;
    if (t >= this.nextSweep) this.sweep(t);
    const episode = this.episodes.find(r);
    const client = r.client;
    const address = this.listeners.address(client.truncated, client.address);
    client.address = address;
    const listener = this.listeners.listener(address, r.userAgent);
    const st = this.listeners.state(listener, episode, t);
    if (!step(st, t, r.start, r.end, episode.minimum.bytes, this.s.window, this.tally)) return;
    this.gate.add(address, r.userAgent, episode, listener.hash, Math.floor(t / DAY_MS), t, client.allowed);
    this.listeners.held(address);
  }

  private exclude(reason: ExclusionReason): void {
    this.reasons[reason] += 1;
  }

  private sweep(now: number): void {
    this.listeners.sweep(now, this.tally, this.gate);
    this.nextSweep = now + SWEEP_MS;
  }
}
