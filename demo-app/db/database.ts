/**
 * The demo panel's data: stations, users and grants, API keys, recordings, media, podcasts and
 * episodes, the download history, and sessions, in one SQLite file (WAL, busy timeout) that the
 * server and the CLI share.
 */
import { createHash, randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import type { DownloadEvent, Permission } from '../../lib';
import { createPrivateFile, restrictFile } from '../data-dir';
import { ADDED_COLUMNS, SCHEMA } from './schema';

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
  /** X-Request-Id from a trusted proxy; null for rows written before it was stored. */
  correlation_id: string | null;
  /** 1 or 0; null for rows written before it was stored. */
  authenticated: number | null;
  station_exists: number | null;
  /** How the request got in (session, authenticate, signed-link, public); null for older rows. */
  via: string | null;
  link_subject: string | null;
  /** The route's ids as JSON; null for older rows. */
  ids: string | null;
  /** The bytes served (inclusive); null when no body was due, and for older rows. */
  served_start: number | null;
  served_end: number | null;
  /** Why the library cut an aborted download (client-stalled), else null. */
  reason: string | null;
}
export interface RefusalRow {
  seq: number; id: string; at: string; station: string | null; station_exists: number | null; authenticated: number;
  kind: string; file_id: string | null; outcome: string; status: number; method: string; ip: string;
  user_agent: string | null; correlation_id: string | null;
}
export interface ApiKeyRow { id: number; user_id: number; created_at: string; key_prefix: string | null }
export interface DatabaseOptions {
  /** How many of the newest refusals (see `isStationHistory`) to keep as rows. @default 1000 */
  refusalRows?: number;
  /** Days of per-day refusal counts to keep. @default 400 */
  refusalDays?: number;
}

/**
 * Whether an event belongs to its station's download history: the station exists, and the
 * request was authenticated (a user or a valid signed link) or went to the public enclosure
 * route. Everything else (refusals before authentication, made-up station names) is noise anyone
 * can send in any amount, kept separately and bounded (the `refusals` tables).
 */
export const isStationHistory = (e: Pick<DownloadEvent, 'stationExists' | 'authenticated' | 'kind'>): boolean =>
  e.stationExists === true && (e.authenticated === true || e.kind === 'public-episode');

/** Statuses, methods and kinds that can count as podcast downloads (countPodcastDownloads reads only these). */
const EPISODE_KINDS = "('episode', 'public-episode')";
const MAX_TEXT = 256;
const cut = (s: string | null, max = MAX_TEXT): string | null => (s === null || s.length <= max ? s : s.slice(0, max));
const bit = (b: boolean | null | undefined): number | null => (b === null || b === undefined ? null : b ? 1 : 0);

/** Adds columns that older versions of the demo did not have (one writer at a time: IMMEDIATE). */
function migrate(db: Database.Database): void {
  const missing = (): [string, string, string][] => Object.entries(ADDED_COLUMNS).flatMap(([table, columns]) => {
    const have = new Set((db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name));
    return Object.entries(columns).filter(([name]) => !have.has(name)).map(([name, type]): [string, string, string] => [table, name, type]);
  });
  if (missing().length === 0) return;
  db.transaction(() => {
    for (const [table, name, type] of missing()) db.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${type}`);
  }).immediate();
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/**
 * Opens (and creates) the database at `file`: created 0600 (SQLite gives its -wal and -shm files
 * the same mode), and narrowed to 0600 when an older version left it readable by others.
 */
export function openDatabase(file: string, options: DatabaseOptions = {}) {
  const refusalRows = options.refusalRows ?? 1000;
  const refusalDays = options.refusalDays ?? 400;
  const onDisk = file !== '' && file !== ':memory:' && !file.startsWith('file:');
  if (onDisk) createPrivateFile(file);
  const db = new Database(file);
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.exec(SCHEMA);
  migrate(db);
  if (onDisk) for (const suffix of ['-wal', '-shm']) restrictFile(file + suffix);

  let lastRefusalPrune = '';
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
    insertKey: db.prepare<[number, string, string, string]>('INSERT INTO api_keys (user_id, key_hash, created_at, key_prefix) VALUES (?, ?, ?, ?)'),
    apiKeysOf: db.prepare<[number], ApiKeyRow>('SELECT id, user_id, created_at, key_prefix FROM api_keys WHERE user_id = ? ORDER BY id'),
    apiKeyById: db.prepare<[number], ApiKeyRow>('SELECT id, user_id, created_at, key_prefix FROM api_keys WHERE id = ?'),
    deleteApiKey: db.prepare<[number]>('DELETE FROM api_keys WHERE id = ?'),
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
    // A plain INSERT: ids are generated by station-files, so a duplicate is a bug that must
    // surface (the sink throws, station-files reports it to onError), not a download merged away.
    insertDownload: db.prepare(
      `INSERT INTO downloads (id, at, station, user_id, user_name, kind, file_id, outcome, status, method, range,
         bytes_sent, size, delivery, storage, duration_ms, ip, user_agent, referer, correlation_id, authenticated, station_exists,
         via, link_subject, ids, served_start, served_end, reason)
       VALUES (@id, @at, @station, @user_id, @user_name, @kind, @file_id, @outcome, @status, @method, @range,
         @bytes_sent, @size, @delivery, @storage, @duration_ms, @ip, @user_agent, @referer, @correlation_id, @authenticated, @station_exists,
         @via, @link_subject, @ids, @served_start, @served_end, @reason)`),
    downloads: db.prepare<[string, string, number], DownloadRow>('SELECT * FROM downloads WHERE station = ? AND at >= ? ORDER BY at DESC LIMIT ?'),
    // Daily figures over every row (never a newest-N sample): GETs that sent a body.
    daily: db.prepare<[string, string], { day: string; downloads: number; bytes: number }>(
      `SELECT substr(at, 1, 10) AS day, SUM(status IN (200, 206)) AS downloads, SUM(COALESCE(bytes_sent, 0)) AS bytes
       FROM downloads WHERE station = ? AND at >= ? AND method = 'GET' AND outcome IN ('completed', 'aborted')
       GROUP BY day ORDER BY day`),
    // Only what countPodcastDownloads can count: episode GETs answered 200/206.
    episodeEvents: db.prepare<[string, string], DownloadRow>(
      `SELECT * FROM downloads WHERE station = ? AND at >= ? AND kind IN ${EPISODE_KINDS} AND method = 'GET'
       AND status IN (200, 206) ORDER BY at`),
    insertRefusal: db.prepare(
      `INSERT INTO refusals (id, at, station, station_exists, authenticated, kind, file_id, outcome, status, method, ip, user_agent, correlation_id)
       VALUES (@id, @at, @station, @station_exists, @authenticated, @kind, @file_id, @outcome, @status, @method, @ip, @user_agent, @correlation_id)`),
    trimRefusals: db.prepare<[number]>('DELETE FROM refusals WHERE seq <= ?'),
    countRefusal: db.prepare<[string, string, number]>(
      `INSERT INTO refusal_days (day, station, status, count) VALUES (?, ?, ?, 1)
       ON CONFLICT (day, station, status) DO UPDATE SET count = count + 1`),
    pruneRefusalDays: db.prepare<[string]>('DELETE FROM refusal_days WHERE day < ?'),
    refusals: db.prepare<[number], RefusalRow>('SELECT * FROM refusals ORDER BY seq DESC LIMIT ?'),
    refusalCount: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM refusals'),
    refusalDays: db.prepare<[string, string], { day: string; count: number }>(
      'SELECT day, SUM(count) AS count FROM refusal_days WHERE station = ? AND day >= ? GROUP BY day ORDER BY day'),
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
    /** Creates an API key for the user; only its hash (and its first characters, to tell keys apart) is stored. */
    createApiKey: (userId: number): string => {
      const key = `sfk_${randomBytes(24).toString('base64url')}`;
      q.insertKey.run(userId, sha256(key), new Date().toISOString(), key.slice(0, 10));
      return key;
    },
    apiKeys: (userId: number): ApiKeyRow[] => q.apiKeysOf.all(userId),
    apiKey: (id: number): ApiKeyRow | undefined => q.apiKeyById.get(id),
    /** Deletes the key; true when it existed. Requests with it are refused from then on. */
    revokeApiKey: (id: number): boolean => q.deleteApiKey.run(id).changes === 1,
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

    /**
     * Stores an event: in the station's history when `isStationHistory`, else as a refusal (the
     * newest `refusalRows` rows, and a count per day). Throws on a duplicate id.
     */
    recordDownload: (e: DownloadEvent): void => {
      if (isStationHistory(e)) {
        q.insertDownload.run({
          id: e.id, at: e.at, station: e.station, user_id: e.user?.id ?? null, user_name: e.user?.name ?? null, kind: e.kind,
          file_id: e.fileId, outcome: e.outcome, status: e.status, method: e.method, range: e.range, bytes_sent: e.bytesSent,
          size: e.size, delivery: e.delivery, storage: e.storage, duration_ms: Math.round(e.durationMs), ip: e.ip,
          user_agent: e.userAgent, referer: e.referer, correlation_id: e.correlationId ?? null,
          authenticated: bit(e.authenticated), station_exists: bit(e.stationExists),
          via: e.via ?? null, link_subject: e.linkSubject ?? null, ids: e.ids ? JSON.stringify(e.ids) : null,
          served_start: e.served?.start ?? null, served_end: e.served?.end ?? null, reason: e.reason ?? null,
        });
        return;
      }
      const day = e.at.slice(0, 10);
      db.transaction(() => {
        const seq = Number(q.insertRefusal.run({
          id: e.id, at: e.at, station: cut(e.station, 64), station_exists: bit(e.stationExists), authenticated: e.authenticated ? 1 : 0,
          kind: e.kind, file_id: cut(e.fileId, 64), outcome: e.outcome, status: e.status, method: cut(e.method, 16) ?? '', ip: e.ip,
          user_agent: cut(e.userAgent), correlation_id: e.correlationId ?? null,
        }).lastInsertRowid);
        q.trimRefusals.run(seq - refusalRows);
        // Counted under the station only when it exists: made-up names must not add rows.
        q.countRefusal.run(day, e.stationExists === true && e.station ? e.station : '', e.status);
        if (day !== lastRefusalPrune) {
          lastRefusalPrune = day;
          q.pruneRefusalDays.run(new Date(Date.parse(`${day}T00:00:00Z`) - refusalDays * 86_400_000).toISOString().slice(0, 10));
        }
      })();
    },
    /** The station's history, newest first; `limit` -1 for all. */
    downloads: (shortcode: string, since: string, limit = 10_000): DownloadRow[] => q.downloads.all(shortcode, since, limit),
    /** Downloads and bytes per UTC day, aggregated over every row since `since`. */
    dailyDownloads: (shortcode: string, since: string) => q.daily.all(shortcode, since),
    /** The episode GETs answered 200/206 since `since`, oldest first, one at a time (for countPodcastDownloads). */
    episodeDownloads: function* episodeDownloads(shortcode: string, since: string): Generator<DownloadEvent> {
      for (const row of q.episodeEvents.iterate(shortcode, since)) yield rowToEvent(row);
    },
    /** The newest refusals (kept out of station history), newest first. */
    refusals: (limit = refusalRows): RefusalRow[] => q.refusals.all(limit),
    refusalRowCount: (): number => q.refusalCount.get()?.n ?? 0,
    /** Refusals per UTC day on an existing station since `sinceDay` (YYYY-MM-DD); '' for unknown stations. */
    refusalsPerDay: (shortcode: string, sinceDay: string) => q.refusalDays.all(shortcode, sinceDay),

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

function parseIds(json: string | null): Record<string, string> {
  if (json === null) return {};
  try {
    const v: unknown = JSON.parse(json);
    return v !== null && typeof v === 'object' ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/** A DownloadRow back as the DownloadEvent shape (for podcast statistics). */
export function rowToEvent(r: DownloadRow): DownloadEvent {
  return {
    id: r.id, at: r.at, outcome: r.outcome as DownloadEvent['outcome'], status: r.status, station: r.station,
    user: r.user_id ? { id: r.user_id, ...(r.user_name ? { name: r.user_name } : {}) } : null,
    kind: r.kind as DownloadEvent['kind'], fileId: r.file_id, storage: r.storage,
    delivery: r.delivery as DownloadEvent['delivery'], method: r.method, range: r.range, bytesSent: r.bytes_sent,
    size: r.size, durationMs: r.duration_ms, ip: r.ip, userAgent: r.user_agent, referer: r.referer,
    correlationId: r.correlation_id ?? null, authenticated: r.authenticated === 1, stationExists: r.station_exists === null ? null : r.station_exists === 1,
    via: (r.via ?? null) as DownloadEvent['via'], linkSubject: r.link_subject ?? null, ids: parseIds(r.ids),
    served: r.served_start !== null && r.served_end !== null ? { start: r.served_start, end: r.served_end } : null,
    reason: (r.reason ?? null) as DownloadEvent['reason'],
  };
}
