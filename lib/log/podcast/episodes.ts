/**
 * The episodes seen so far, found by station, podcast and episode id without building a key string
 * per event: three nested maps keyed by the ids as they come (a missing station or podcast as '',
 * as the joined key had it). Episodes are never dropped: they hold the totals the result is made of.
 */
import { episodeMinimum } from './minimum';
import type { Settings } from './options';
import type { EpisodeRequest } from './requests';
import type { EpisodeTotals } from './totals';

type Level<V> = Map<string, V>;

export class EpisodeTable {
  private readonly stations: Level<Level<Map<string, EpisodeTotals>>> = new Map();
  private readonly list: EpisodeTotals[] = [];

  constructor(private readonly s: Settings) {}

  /** Every episode, in the order first seen. */
  all(): readonly EpisodeTotals[] {
    return this.list;
  }

  /** The request's episode, made on first sight; asks `episodeInfo` then, and again once the size becomes known. */
  find(r: EpisodeRequest): EpisodeTotals {
    let podcasts = this.stations.get(r.station ?? '');
    if (podcasts === undefined) {
      podcasts = new Map();
      this.stations.set(r.station ?? '', podcasts);
    }
    let episodes = podcasts.get(r.podcast ?? '');
    if (episodes === undefined) {
      episodes = new Map();
      podcasts.set(r.podcast ?? '', episodes);
    }
    let ep = episodes.get(r.episode);
    if (ep === undefined) {
      const ref = { station: r.station, podcast: r.podcast, episode: r.episode };
      ep = { ref, minimum: episodeMinimum(this.s.episodeInfo?.(ref), r.size, this.s.minBytes), downloads: 0, days: new Map(), listeners: new Set() };
      episodes.set(r.episode, ep);
      this.list.push(ep);
    } else if (ep.minimum.bytes === null && r.size !== null) {
      ep.minimum = episodeMinimum(this.s.episodeInfo?.(ep.ref), r.size, this.s.minBytes); // the size became known
    }
    return ep;
  }
}
