/**
 * The demo panel's data: stations, users and grants, API keys, recordings, media, podcasts and
 * episodes, the download history, and sessions, in one SQLite file (WAL, busy timeout) that the
 * server and the CLI share.
 */
import { createHash, randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import type { DownloadEvent, Permission } from '../../lib';
import { SCHEMA } from './schema';

export type FileKind = 'recording' | 'media' | 'episode';
export type StorageName = 'local' | 's3';

export interface Station { id: number; shortcode: string; name: string }
export interface User { id: number; email: string; name: string; global_admin: number }
export interface UserWithHash extends User { password_hash: string }
export interface FileRow {
  id: number;
  station_id: number;
  kind: FileKind;
  title: string;
  storage: StorageName;
  key: string;
  filename: string;
  content_type: string;
  size: number;
  duration_s: number | null;
  created_at: string;
  streamer_id: number | null;
  artist: string | null;
  podcast_id: number | null;
  description: string | null;
  published_at: string | null;
}
export interface Podcast {
  id: number;
  station_id: number;
  title: string;
  description: string;
  author: string;
  language: string;
  category: string;
  explicit: number;
}
export type NewFile = Omit<FileRow, 'id' | 'created_at' | 'streamer_id' | 'artist' | 'podcast_id' | 'description' | 'published_at'> &
  Partial<Pick<FileRow, 'streamer_id' | 'artist' | 'podcast_id' | 'description' | 'published_at' | 'created_at'>>;
export interface DownloadRow {
  id: string; at: string; station: string | null; user_id: string | null; user_name: string | null; kind: string;
  file_id: string | null; outcome: string; status: number; method: string; range: string | null; bytes_sent: number | null;
  size: number | null; delivery: string | null; storage: string | null; duration_ms: number; ip: string;
  user_agent: string | null; referer: string | null;
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** Opens (and creates) the database at `file`. */
export function openDatabase(file: string) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.exec(SCHEMA);

  const q = {
    stations: db.prepare<[], Station>('SELECT id, shortcode, name FROM stations ORDER BY name'),
    stationById: db.prepare<[number], Station>('SELECT id, shortcode, name FROM stations WHERE id = ?'),
    stationByCode: db.prepare<[string], Station>('SELECT id, shortcode, name FROM stations WHERE shortcode = ?'),
    insertStation: db.prepare<[string, string]>('INSERT INTO stations (shortcode, name) VALUES (?, ?)'),
    userByEmail: db.prepare<[string], UserWithHash>('SELECT * FROM users WHERE email = ?'),
    userById: db.prepare<[number], User>('SELECT id, email, name, global_admin FROM users WHERE id = ?'),
    insertUser: db.prepare<[string, string, string, number]>('INSERT INTO users (email, name, password_hash, global_admin) VALUES (?, ?, ?, ?)'),
    grant: db.prepare<[number, number, string]>('INSERT OR IGNORE INTO grants (user_id, station_id, permission) VALUES (?, ?, ?)'),
    allows: db.prepare<[number, string, string], { ok: number }>(
      `SELECT 1 AS ok FROM grants g JOIN stations s ON s.id = g.station_id
       WHERE g.user_id = ? AND s.shortcode = ? AND g.permission IN (?, 'administer all') LIMIT 1`),
    grantsOf: db.prepare<[number], { shortcode: string; permission: string }>(
      'SELECT s.shortcode, g.permission FROM grants g JOIN stations s ON s.id = g.station_id WHERE g.user_id = ?'),
    insertKey: db.prepare<[number, string, string]>('INSERT INTO api_keys (user_id, key_hash, created_at) VALUES (?, ?, ?)'),
    userByKey: db.prepare<[string], User>(
      'SELECT u.id, u.email, u.name, u.global_admin FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = ?'),
    streamerName: db.prepare<[number], { name: string }>('SELECT name FROM streamers WHERE id = ?'),
    streamerByName: db.prepare<[number, string], { id: number }>('SELECT id FROM streamers WHERE station_id = ? AND name = ?'),
    insertStreamer: db.prepare<[number, string]>('INSERT OR IGNORE INTO streamers (station_id, name) VALUES (?, ?)'),
    insertFile: db.prepare(
      `INSERT INTO files (station_id, kind, title, storage, key, filename, content_type, size, duration_s, created_at,
         streamer_id, artist, podcast_id, description, published_at)
       VALUES (@station_id, @kind, @title, @storage, @key, @filename, @content_type, @size, @duration_s, @created_at,
         @streamer_id, @artist, @podcast_id, @description, @published_at)`),
    file: db.prepare<[number, number, string], FileRow>('SELECT * FROM files WHERE id = ? AND station_id = ? AND kind = ?'),
    files: db.prepare<[number, string], FileRow>('SELECT * FROM files WHERE station_id = ? AND kind = ? ORDER BY created_at DESC, id DESC'),
    stationFiles: db.prepare<[number], FileRow>('SELECT * FROM files WHERE station_id = ? ORDER BY kind, id'),
    episodes: db.prepare<[number], FileRow>("SELECT * FROM files WHERE kind = 'episode' AND podcast_id = ? ORDER BY published_at DESC, id DESC"),
    podcasts: db.prepare<[number], Podcast>('SELECT * FROM podcasts WHERE station_id = ? ORDER BY title'),
    podcast: db.prepare<[number, number], Podcast>('SELECT * FROM podcasts WHERE id = ? AND station_id = ?'),
    insertPodcast: db.prepare('INSERT INTO podcasts (station_id, title, description, author, language, category, explicit) VALUES (@station_id, @title, @description, @author, @language, @category, @explicit)'),
    publish: db.prepare<[string | null, number]>("UPDATE files SET published_at = ? WHERE id = ? AND kind = 'episode'"),
    insertDownload: db.prepare(
      `INSERT OR IGNORE INTO downloads (id, at, station, user_id, user_name, kind, file_id, outcome, status, method, range,
         bytes_sent, size, delivery, storage, duration_ms, ip, user_agent, referer)
       VALUES (@id, @at, @station, @user_id, @user_name, @kind, @file_id, @outcome, @status, @method, @range,
         @bytes_sent, @size, @delivery, @storage, @duration_ms, @ip, @user_agent, @referer)`),
    downloads: db.prepare<[string, string, number], DownloadRow>('SELECT * FROM downloads WHERE station = ? AND at >= ? ORDER BY at DESC LIMIT ?'),
    sessionGet: db.prepare<[string, number], { data: string }>('SELECT data FROM sessions WHERE sid = ? AND expires > ?'),
    sessionSet: db.prepare<[string, number, string]>('INSERT INTO sessions (sid, expires, data) VALUES (?, ?, ?) ON CONFLICT(sid) DO UPDATE SET expires = excluded.expires, data = excluded.data'),
    sessionDestroy: db.prepare<[string]>('DELETE FROM sessions WHERE sid = ?'),
    sessionTouch: db.prepare<[number, string]>('UPDATE sessions SET expires = ? WHERE sid = ?'),
    sessionPrune: db.prepare<[number]>('DELETE FROM sessions WHERE expires <= ?'),
  };

  return {
    raw: db,
    close: () => db.close(),
    /** An IMMEDIATE transaction: takes the write lock first, so read-then-write waits for busy_timeout instead of failing. */
    transaction: <T>(fn: () => T): T => db.transaction(fn).immediate(),

    stations: (): Station[] => q.stations.all(),
    /** A station by numeric id or shortcode. */
    station: (ref: string | number): Station | undefined =>
      q.stationByCode.get(String(ref)) ?? (/^\d+$/.test(String(ref)) ? q.stationById.get(Number(ref)) : undefined),
    addStation: (shortcode: string, name: string): Station => {
      const id = Number(q.insertStation.run(shortcode, name).lastInsertRowid);
      return { id, shortcode, name };
    },

    userByEmail: (email: string): UserWithHash | undefined => q.userByEmail.get(email),
    userById: (id: number): User | undefined => q.userById.get(id),
    addUser: (u: { email: string; name: string; passwordHash: string; globalAdmin: boolean }): User => {
      const id = Number(q.insertUser.run(u.email, u.name, u.passwordHash, u.globalAdmin ? 1 : 0).lastInsertRowid);
      return { id, email: u.email, name: u.name, global_admin: u.globalAdmin ? 1 : 0 };
    },
    grant: (userId: number, stationId: number, permission: Permission): void => void q.grant.run(userId, stationId, permission),
    allows: (user: User, shortcode: string, permission: Permission): boolean =>
      user.global_admin === 1 || q.allows.get(user.id, shortcode, permission) !== undefined,
    grantsOf: (userId: number) => q.grantsOf.all(userId),
    /** Creates an API key for the user; only its hash is stored. */
    createApiKey: (userId: number): string => {
      const key = `sfk_${randomBytes(24).toString('base64url')}`;
      q.insertKey.run(userId, sha256(key), new Date().toISOString());
      return key;
    },
    userByApiKey: (key: string): User | undefined => q.userByKey.get(sha256(key)),

    streamerName: (id: number): string => q.streamerName.get(id)?.name ?? '',
    streamer: (stationId: number, name: string): number => {
      q.insertStreamer.run(stationId, name); // unique (station, name): safe when the CLI and the server race
      return (q.streamerByName.get(stationId, name) as { id: number }).id;
    },
    addFile: (f: NewFile): number =>
      Number(q.insertFile.run({
        streamer_id: null, artist: null, podcast_id: null, description: null, published_at: null,
        created_at: new Date().toISOString(), ...f,
      }).lastInsertRowid),
    file: (stationId: number, kind: FileKind, id: number): FileRow | undefined => q.file.get(id, stationId, kind),
    files: (stationId: number, kind: FileKind): FileRow[] => q.files.all(stationId, kind),
    stationFiles: (stationId: number): FileRow[] => q.stationFiles.all(stationId),
    episodes: (podcastId: number): FileRow[] => q.episodes.all(podcastId),
    publish: (episodeId: number, at: string | null): void => void q.publish.run(at, episodeId),

    podcasts: (stationId: number): Podcast[] => q.podcasts.all(stationId),
    podcast: (stationId: number, id: number): Podcast | undefined => q.podcast.get(id, stationId),
    addPodcast: (p: Omit<Podcast, 'id'>): number => Number(q.insertPodcast.run(p).lastInsertRowid),

    recordDownload: (e: DownloadEvent): void => void q.insertDownload.run({
      id: e.id, at: e.at, station: e.station, user_id: e.user?.id ?? null, user_name: e.user?.name ?? null, kind: e.kind,
      file_id: e.fileId, outcome: e.outcome, status: e.status, method: e.method, range: e.range, bytes_sent: e.bytesSent,
      size: e.size, delivery: e.delivery, storage: e.storage, duration_ms: Math.round(e.durationMs), ip: e.ip,
      user_agent: e.userAgent, referer: e.referer,
    }),
    downloads: (shortcode: string, since: string, limit = 10_000): DownloadRow[] => q.downloads.all(shortcode, since, limit),

    sessions: {
      get: (sid: string): string | undefined => q.sessionGet.get(sid, Date.now())?.data,
      set: (sid: string, expires: number, data: string): void => void q.sessionSet.run(sid, expires, data),
      destroy: (sid: string): void => void q.sessionDestroy.run(sid),
      touch: (sid: string, expires: number): void => void q.sessionTouch.run(expires, sid),
      prune: (): void => void q.sessionPrune.run(Date.now()),
    },
  };
}

export type Db = ReturnType<typeof openDatabase>;

/** A DownloadRow back as the DownloadEvent shape (for podcast statistics). */
export function rowToEvent(r: DownloadRow): DownloadEvent {
  return {
    id: r.id, at: r.at, outcome: r.outcome as DownloadEvent['outcome'], status: r.status, station: r.station,
    user: r.user_id ? { id: r.user_id, ...(r.user_name ? { name: r.user_name } : {}) } : null,
    kind: r.kind as DownloadEvent['kind'], fileId: r.file_id, storage: r.storage,
    delivery: r.delivery as DownloadEvent['delivery'], method: r.method, range: r.range, bytesSent: r.bytes_sent,
    size: r.size, durationMs: r.duration_ms, ip: r.ip, userAgent: r.user_agent, referer: r.referer,
  };
}
