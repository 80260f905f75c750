/** Per-episode results: committed downloads by UTC day and distinct listeners (as 53-bit hashes, not keys). */
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

/** A 53-bit hash of a listener key (two 32-bit FNV-1a variants), so a month of listeners costs a number each. */
export function listenerHash(key: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < key.length; i += 1) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
  }
  return (a >>> 0) * 0x200000 + ((b >>> 0) & 0x1fffff);
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
