/** The demo's catalog for station-files: URL ids → file references, from the panel's database. */
import type { Catalog, FileRef } from '../lib';
import type { Db, FileRow } from './db/database';
import { fileUrls } from './urls';

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
  const lookup = async (station: string, kind: FileRow['kind'], id: string): Promise<FileRow | undefined> => {
    if (!ID.test(id)) return undefined;
    const s = await db.station(station);
    if (!s || s.shortcode !== station) return undefined;
    return db.file(s.id, kind, Number(id));
  };
  return {
    recording: async ({ station, streamer, broadcast }) => {
      const row = await lookup(station, 'recording', broadcast);
      return ref(station, row && String(row.streamer_id) === streamer ? row : undefined);
    },
    mediaFile: async ({ station, id }) => ref(station, await lookup(station, 'media', id)),
    episode: async ({ station, podcast, episode }) => {
      const row = await lookup(station, 'episode', episode);
      return ref(station, row && String(row.podcast_id) === podcast ? row : undefined);
    },
    // Lets download events of refused requests say whether the URL's station exists, so the
    // demo keeps requests for made-up stations out of station history (db.recordDownload).
    station: async (id) => (await db.station(id))?.shortcode === id,
  };
}

/** The access-controlled URL of a file (below the app root). */
export const fileUrl = (shortcode: string, row: FileRow): string => fileUrls({ shortcode }, row).url ?? '';

/** The public enclosure URL of an episode (below the app root). */
export const publicEpisodeUrl = (shortcode: string, row: FileRow): string => fileUrls({ shortcode }, row).publicUrl ?? '';
