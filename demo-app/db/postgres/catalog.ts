/** PostgreSQL: streamers, files (recordings, media, episodes) and podcasts. */
import type { CatalogQueries, FileRow, Podcast } from '../types';
import { isInt4, params, type Query } from './query';

const FILE_COLUMNS = [
  'station_id',
  'kind',
  'title',
  'storage',
  'key',
  'filename',
  'content_type',
  'size',
  'duration_s',
  'created_at',
  'streamer_id',
  'artist',
  'podcast_id',
  'description',
  'published_at',
] as const;

export function pgCatalog(q: Query): CatalogQueries {
  const one = async <T extends object>(text: string, values: readonly unknown[]): Promise<T | undefined> => (await q<T>(text, values))[0];
  return {
    streamerName: async (id) => (!isInt4(id) ? '' : ((await one<{ name: string }>('SELECT name FROM streamers WHERE id = $1', [id]))?.name ?? '')),
    streamer: async (stationId, name) => {
      // Unique (station, name): safe when the CLI and the servers race.
      await q.count('INSERT INTO streamers (station_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING', [stationId, name]);
      return (await one<{ id: number }>('SELECT id FROM streamers WHERE station_id = $1 AND name = $2', [stationId, name]))?.id ?? 0;
    },
    addFile: async (f) => {
      const row: Record<string, unknown> = {
        streamer_id: null,
        artist: null,
        podcast_id: null,
        description: null,
        published_at: null,
        created_at: new Date().toISOString(),
        ...f,
      };
      const inserted = await one<{ id: number }>(
        `INSERT INTO files (${FILE_COLUMNS.join(', ')}) VALUES (${params(FILE_COLUMNS.length)}) RETURNING id`,
        FILE_COLUMNS.map((c) => row[c] ?? null),
      );
      return inserted?.id ?? 0;
    },
    file: async (stationId, kind, id) =>
      !isInt4(id) ? undefined : one<FileRow>('SELECT * FROM files WHERE id = $1 AND station_id = $2 AND kind = $3', [id, stationId, kind]),
    files: (stationId, kind) => q<FileRow>('SELECT * FROM files WHERE station_id = $1 AND kind = $2 ORDER BY created_at DESC, id DESC', [stationId, kind]),
    stationFiles: (stationId) => q<FileRow>('SELECT * FROM files WHERE station_id = $1 ORDER BY kind, id', [stationId]),
    episodes: async (podcastId) =>
      !isInt4(podcastId)
        ? []
        : q<FileRow>("SELECT * FROM files WHERE kind = 'episode' AND podcast_id = $1 ORDER BY published_at DESC NULLS LAST, id DESC", [podcastId]),
    publish: async (episodeId, at) => void (await q.count("UPDATE files SET published_at = $1 WHERE id = $2 AND kind = 'episode'", [at, episodeId])),
    podcasts: (stationId) => q<Podcast>('SELECT * FROM podcasts WHERE station_id = $1 ORDER BY title', [stationId]),
    podcast: async (stationId, id) => (!isInt4(id) ? undefined : one<Podcast>('SELECT * FROM podcasts WHERE id = $1 AND station_id = $2', [id, stationId])),
    addPodcast: async (p) =>
      (
        await one<{ id: number }>(
          `INSERT INTO podcasts (station_id, title, description, author, language, category, explicit)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
          [p.station_id, p.title, p.description, p.author, p.language, p.category, p.explicit],
        )
      )?.id ?? 0,
  };
}
