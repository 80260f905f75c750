/** SQLite: streamers, files (recordings, media, episodes) and podcasts. */
import type Database from 'better-sqlite3';
import type { CatalogQueries, FileRow, Podcast } from '../types';

export function sqliteCatalog(db: Database.Database): CatalogQueries {
  const q = {
    streamerName: db.prepare<[number], { name: string }>('SELECT name FROM streamers WHERE id = ?'),
    streamerByName: db.prepare<[number, string], { id: number }>('SELECT id FROM streamers WHERE station_id = ? AND name = ?'),
    insertStreamer: db.prepare<[number, string]>('INSERT OR IGNORE INTO streamers (station_id, name) VALUES (?, ?)'),
    insertFile: db.prepare(
      `INSERT INTO files (station_id, kind, title, storage, key, filename, content_type, size, duration_s, created_at,
         streamer_id, artist, podcast_id, description, published_at)
       VALUES (@station_id, @kind, @title, @storage, @key, @filename, @content_type, @size, @duration_s, @created_at,
         @streamer_id, @artist, @podcast_id, @description, @published_at)`,
    ),
    file: db.prepare<[number, number, string], FileRow>('SELECT * FROM files WHERE id = ? AND station_id = ? AND kind = ?'),
    files: db.prepare<[number, string], FileRow>('SELECT * FROM files WHERE station_id = ? AND kind = ? ORDER BY created_at DESC, id DESC'),
    stationFiles: db.prepare<[number], FileRow>('SELECT * FROM files WHERE station_id = ? ORDER BY kind, id'),
    episodes: db.prepare<[number], FileRow>("SELECT * FROM files WHERE kind = 'episode' AND podcast_id = ? ORDER BY published_at DESC, id DESC"),
    podcasts: db.prepare<[number], Podcast>('SELECT * FROM podcasts WHERE station_id = ? ORDER BY title'),
    podcast: db.prepare<[number, number], Podcast>('SELECT * FROM podcasts WHERE id = ? AND station_id = ?'),
    insertPodcast: db.prepare(
      `INSERT INTO podcasts (station_id, title, description, author, language, category, explicit)
       VALUES (@station_id, @title, @description, @author, @language, @category, @explicit)`,
    ),
    publish: db.prepare<[string | null, number]>("UPDATE files SET published_at = ? WHERE id = ? AND kind = 'episode'"),
  };
  return {
    streamerName: async (id) => q.streamerName.get(id)?.name ?? '',
    streamer: async (stationId, name) => {
      q.insertStreamer.run(stationId, name);
      return (q.streamerByName.get(stationId, name) as { id: number }).id;
    },
    addFile: async (f) =>
      Number(
        q.insertFile.run({
          streamer_id: null,
          artist: null,
          podcast_id: null,
          description: null,
          published_at: null,
          created_at: new Date().toISOString(),
          ...f,
        }).lastInsertRowid,
      ),
    file: async (stationId, kind, id) => q.file.get(id, stationId, kind),
    files: async (stationId, kind) => q.files.all(stationId, kind),
    stationFiles: async (stationId) => q.stationFiles.all(stationId),
    episodes: async (podcastId) => q.episodes.all(podcastId),
    publish: async (episodeId, at) => void q.publish.run(at, episodeId),
    podcasts: async (stationId) => q.podcasts.all(stationId),
    podcast: async (stationId, id) => q.podcast.get(id, stationId),
    addPodcast: async (p) => Number(q.insertPodcast.run(p).lastInsertRowid),
  };
}
