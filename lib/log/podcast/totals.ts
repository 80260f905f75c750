/** Per-episode results: committed downloads by UTC day and distinct listeners (as 30-bit hashes, not keys). */
import type { Minimum } from './minimum';
import type { EpisodeRef } from './options';
import { DAY_MS } from './windows';

/** Counted downloads of one episode. */
export interface PodcastDownloadCount {
  station: string | null;
  podcast: string | null;
  episode: string;
  downloads: number;
  /** Distinct listeners (truncated IP + user agent, §5.5.4) with a download, over the whole input. */
  listeners: number;
  /** Downloads by the UTC date (`YYYY-MM-DD`) of the request that made each one count. */
  byDay: Record<string, number>;
  /** The byte threshold used for this episode and where it came from. */
  minimum: Minimum;
}

export interface EpisodeTotals {
  ref: EpisodeRef;
  minimum: Minimum;
  downloads: number;
  days: Map<number, number>;
  listeners: Set<number>;
}

/**
 * A 30-bit hash of a listener key (FNV-1a), so a month of listeners costs a small integer each. Two
 * listeners of one episode share a hash with odds n²/2³¹ over n listeners: about 5 of 100,000
 * (0.005 %), 470 of 1,000,000 (0.05 %), by which `listeners` may run low; `downloads` is exact.
 */
export function listenerHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i += 1) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h ^ (h >>> 30)) & 0x3fffffff;
}

/** Counts one committed download of `ep` by `listener` (its hash) on UTC day `day`. */
export function addDownload(ep: EpisodeTotals, listener: number, day: number): void {
  ep.downloads += 1;
  ep.days.set(day, (ep.days.get(day) ?? 0) + 1);
  ep.listeners.add(listener);
}

const order = (a: string | null, b: string | null): number => (a === b ? 0 : a === null || (b !== null && a < b) ? -1 : 1);

/** The rows to return: episodes with downloads, sorted by station (null first), podcast, episode; days in date order. */
export function rows(totals: Iterable<EpisodeTotals>): PodcastDownloadCount[] {
  const out: PodcastDownloadCount[] = [];
  for (const t of totals) {
    if (t.downloads === 0) continue;
    const byDay: Record<string, number> = {};
    for (const day of [...t.days.keys()].sort((x, y) => x - y)) byDay[new Date(day * DAY_MS).toISOString().slice(0, 10)] = t.days.get(day) ?? 0;
    out.push({ ...t.ref, downloads: t.downloads, listeners: t.listeners.size, byDay, minimum: t.minimum });
  }
  return out.sort((a, b) => order(a.station, b.station) || order(a.podcast, b.podcast) || order(a.episode, b.episode));
}
