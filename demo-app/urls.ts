/**
 * The URLs of a file's download endpoints, built by station-files' own URL builders for the
 * routers the app mounts under /api (createStationFiles gets the same baseUrl).
 */
import { stationFileUrls } from '../lib';
import type { FileRow, Station } from './db/database';

export const API_PREFIX = '/api';

/**
 * The extension the public episode route expects in `download.<ext>`: the file name's, lower
 * case, exactly as lib/routes/endpoint.ts compares it ('' when the name has none).
 */
export function publicExtension(filename: string): string {
  const dot = filename.lastIndexOf('.');
  return dot > 0 ? filename.slice(dot + 1).toLowerCase() : '';
}

export interface FileUrls {
  /** The access-controlled endpoint; null only for rows missing their streamer or podcast. */
  url: string | null;
  /** Episodes only: the public enclosure (answers once the episode is published). */
  publicUrl?: string | null;
}

/** The library's URL builders, below the mount point (the same paths the routers serve). */
export const demoUrls = stationFileUrls({ baseUrl: API_PREFIX });

export function fileUrls(station: Pick<Station, 'shortcode'>, file: Pick<FileRow, 'id' | 'kind' | 'filename' | 'streamer_id' | 'podcast_id'>): FileUrls {
  const ids = { station: station.shortcode, id: String(file.id) };
  switch (file.kind) {
    case 'recording':
      return { url: file.streamer_id === null ? null : demoUrls.recording({ station: ids.station, streamer: String(file.streamer_id), broadcast: ids.id }) };
    case 'media':
      return { url: demoUrls.media(ids) };
    case 'episode': {
      if (file.podcast_id === null) return { url: null, publicUrl: null };
      const episode = { station: ids.station, podcast: String(file.podcast_id), episode: ids.id };
      const ext = publicExtension(file.filename);
      return { url: demoUrls.episode(episode), publicUrl: /^[a-z0-9]{1,16}$/.test(ext) ? demoUrls.publicEpisode({ ...episode, ext }) : null };
    }
  }
}
