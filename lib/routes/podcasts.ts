/**
 * Podcast episodes: the staff endpoint (permission `podcasts`) and the public enclosure podcast
 * apps fetch from RSS feeds (published episodes only; CORS; no cookies).
 */
import type { Catalog, EndpointSpec } from './types';

/** Default paths, the shape radio panels already use. */
export const EPISODE_PATH = '/station/:station/podcast/:podcast/episode/:episode/media';
export const PUBLIC_EPISODE_PATH = '/station/:station/public/podcast/:podcast/episode/:episode/download.:ext';

function episodeLookup(catalog: Catalog): NonNullable<Catalog['episode']> {
  if (!catalog.episode) throw new TypeError('createStationFiles: `catalog.episode` is required for podcasts()');
  return catalog.episode;
}

/**
 * The staff endpoint and the public enclosure endpoint over the host's `catalog.episode`.
 *
 * @example
 * const [staff, enclosure] = podcastEndpoints(catalog);
 * // enclosure: GET /station/1/public/podcast/3/episode/9/download.mp3
 */
export function podcastEndpoints(catalog: Catalog, paths: { episode?: string; publicEpisode?: string } = {}): EndpointSpec[] {
  const lookup = episodeLookup(catalog);
  const ids = (p: Record<string, string>) => ({ station: p.station as string, podcast: p.podcast as string, episode: p.episode as string });
  return [
    {
      kind: 'episode',
      path: paths.episode ?? EPISODE_PATH,
      permission: 'podcasts',
      params: ['station', 'podcast', 'episode'],
      fileParam: 'episode',
      disposition: 'inline',
      lookup: (p, req) => lookup(ids(p), req),
    },
    {
      kind: 'public-episode',
      path: paths.publicEpisode ?? PUBLIC_EPISODE_PATH,
      permission: null,
      params: ['station', 'podcast', 'episode'],
      fileParam: 'episode',
      disposition: 'attachment',
      lookup: (p, req) => lookup(ids(p), req),
    },
  ];
}
