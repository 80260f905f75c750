/** The demo's catalog for station-files: URL ids → file references, from SQLite. */
import type { Catalog, FileRef } from '../lib';
import type { Db, FileRow } from './db/database';

const ID = /^\d{1,12}$/;

function ref(station: string, row: FileRow | undefined): FileRef | null {
  if (!row) return null;
  return {
    station,
    storage: row.storage,
    key: row.key,
    filename: row.filename,
    contentType: row.content_type,
    public: row.kind === 'episode' ? row.published_at !== null : undefined,
  };
}

export function demoCatalog(db: Db): Catalog {
  const lookup = (station: string, kind: FileRow['kind'], id: string): FileRow | undefined => {
    const s = db.station(station);
    if (!s || s.shortcode !== station || !ID.test(id)) return undefined;
    return db.file(s.id, kind, Number(id));
  };
  return {
    recording: ({ station, streamer, broadcast }) => {
      const row = lookup(station, 'recording', broadcast);
      return ref(station, row && String(row.streamer_id) === streamer ? row : undefined);
    },
    mediaFile: ({ station, id }) => ref(station, lookup(station, 'media', id)),
    episode: ({ station, podcast, episode }) => {
      const row = lookup(station, 'episode', episode);
      return ref(station, row && String(row.podcast_id) === podcast ? row : undefined);
    },
  };
}

/** The access-controlled URL of a file (below the app root). */
export function fileUrl(shortcode: string, row: FileRow): string {
  switch (row.kind) {
    case 'recording': return `/api/station/${shortcode}/streamer/${row.streamer_id}/broadcast/${row.id}/download`;
    case 'media': return `/api/station/${shortcode}/file/${row.id}/play`;
    case 'episode': return `/api/station/${shortcode}/podcast/${row.podcast_id}/episode/${row.id}/media`;
  }
}

/** The public enclosure URL of an episode (below the app root). */
export function publicEpisodeUrl(shortcode: string, row: FileRow): string {
  const dot = row.filename.lastIndexOf('.');
  const ext = dot > 0 ? row.filename.slice(dot + 1).toLowerCase() : 'bin';
  return `/api/station/${shortcode}/public/podcast/${row.podcast_id}/episode/${row.id}/download.${ext}`;
}
