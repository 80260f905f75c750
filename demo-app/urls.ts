/**
 * The paths of a file's download endpoints, as the station-files routers mounted under /api
 * serve them (lib/routes: RECORDING_PATH, MEDIA_PATH, EPISODE_PATH, PUBLIC_EPISODE_PATH).
 */
import type { FileRow, Station } from './db/database';

export const API_PREFIX = '/api';

const seg = (v: string | number): string => encodeURIComponent(String(v));

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

export function fileUrls(station: Pick<Station, 'shortcode'>, file: Pick<FileRow, 'id' | 'kind' | 'filename' | 'streamer_id' | 'podcast_id'>): FileUrls {
  const base = `${API_PREFIX}/station/${seg(station.shortcode)}`;
  switch (file.kind) {
    case 'recording':
      return { url: file.streamer_id === null ? null : `${base}/streamer/${seg(file.streamer_id)}/broadcast/${seg(file.id)}/download` };
    case 'media':
      return { url: `${base}/file/${seg(file.id)}/play` };
    case 'episode': {
      if (file.podcast_id === null) return { url: null, publicUrl: null };
      const ext = publicExtension(file.filename);
      return {
        url: `${base}/podcast/${seg(file.podcast_id)}/episode/${seg(file.id)}/media`,
        publicUrl: ext ? `${base}/public/podcast/${seg(file.podcast_id)}/episode/${seg(file.id)}/download.${seg(ext)}` : null,
      };
    }
  }
}
