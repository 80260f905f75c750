/**
 * The demo panel's data model and the `Db` interface every database implements: SQLite
 * (db/sqlite/, the embedded default) and PostgreSQL (db/postgres/, when DATABASE_URL is set).
 * The interface is asynchronous so that both fit: SQLite's methods run synchronously and return
 * resolved promises; PostgreSQL's go over a connection pool. Queries are grouped by tables:
 * stations, users, grants and API keys (`AccountQueries`); streamers, files and podcasts
 * (`CatalogQueries`); download history and refusals (`HistoryQueries`).
 */
import type session from 'express-session';
import type { DownloadEvent, Permission } from '../../lib';

export type FileKind = 'recording' | 'media' | 'episode';
export type StorageName = 'local' | 's3';

export interface Station {
  id: number;
  shortcode: string;
  name: string;
}
export interface User {
  id: number;
  email: string;
  name: string;
  global_admin: number;
}
export interface UserWithHash extends User {
  password_hash: string;
}
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
  id: string;
  at: string;
  station: string | null;
  user_id: string | null;
  user_name: string | null;
  kind: string;
  file_id: string | null;
  outcome: string;
  status: number;
  method: string;
  range: string | null;
  bytes_sent: number | null;
  size: number | null;
  delivery: string | null;
  storage: string | null;
  duration_ms: number;
  ip: string;
  user_agent: string | null;
  referer: string | null;
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
  seq: number;
  id: string;
  at: string;
  station: string | null;
  station_exists: number | null;
  authenticated: number;
  kind: string;
  file_id: string | null;
  outcome: string;
  status: number;
  method: string;
  ip: string;
  user_agent: string | null;
  correlation_id: string | null;
}
export interface ApiKeyRow {
  id: number;
  user_id: number;
  created_at: string;
  key_prefix: string | null;
}
export interface DailyRow {
  day: string;
  downloads: number;
  bytes: number;
}
export interface GrantRow {
  shortcode: string;
  permission: string;
}

/** An express-session store that `close()` stops (timers), leaving the database open. */
export type SessionStore = session.Store & { close(): void };

export interface DatabaseOptions {
  /** How many of the newest refusals (see `isStationHistory`) to keep as rows. @default 1000 */
  refusalRows?: number;
  /** Days of per-day refusal counts to keep. @default 400 */
  refusalDays?: number;
  /** PostgreSQL: an idle pooled connection failed (the server restarted or went away). */
  onConnectionError?: (err: Error) => void;
}

/** Stations, users, grants and API keys (db/sqlite/accounts.ts, db/postgres/accounts.ts). */
export interface AccountQueries {
  stations(): Promise<Station[]>;
  /** A station by numeric id or shortcode. */
  station(ref: string | number): Promise<Station | undefined>;
  addStation(shortcode: string, name: string): Promise<Station>;
  /** Case-insensitive. */
  userByEmail(email: string): Promise<UserWithHash | undefined>;
  userById(id: number): Promise<User | undefined>;
  addUser(u: { email: string; name: string; passwordHash: string; globalAdmin: boolean }): Promise<User>;
  /** Idempotent. */
  grant(userId: number, stationId: number, permission: Permission): Promise<void>;
  allows(user: User, shortcode: string, permission: Permission): Promise<boolean>;
  grantsOf(userId: number): Promise<GrantRow[]>;
  /** Creates an API key for the user; only its hash (and its first characters, to tell keys apart) is stored. */
  createApiKey(userId: number): Promise<string>;
  apiKeys(userId: number): Promise<ApiKeyRow[]>;
  apiKey(id: number): Promise<ApiKeyRow | undefined>;
  /** Deletes the key; true when it existed. Requests with it are refused from then on. */
  revokeApiKey(id: number): Promise<boolean>;
  userByApiKey(key: string): Promise<User | undefined>;
}

/** Streamers, files and podcasts (db/sqlite/catalog.ts, db/postgres/catalog.ts). */
export interface CatalogQueries {
  streamerName(id: number): Promise<string>;
  /** The streamer's id, created if missing (unique per station: safe when the CLI and the server race). */
  streamer(stationId: number, name: string): Promise<number>;
  addFile(f: NewFile): Promise<number>;
  file(stationId: number, kind: FileKind, id: number): Promise<FileRow | undefined>;
  files(stationId: number, kind: FileKind): Promise<FileRow[]>;
  stationFiles(stationId: number): Promise<FileRow[]>;
  episodes(podcastId: number): Promise<FileRow[]>;
  publish(episodeId: number, at: string | null): Promise<void>;
  podcasts(stationId: number): Promise<Podcast[]>;
  podcast(stationId: number, id: number): Promise<Podcast | undefined>;
  addPodcast(p: Omit<Podcast, 'id'>): Promise<number>;
}

/** Download history and the refusals tables (db/sqlite/history.ts, db/postgres/history.ts). */
export interface HistoryQueries {
  /**
   * Stores an event: in the station's history when `isStationHistory`, else as a refusal (the
   * newest `refusalRows` rows, and a count per day). Rejects on a duplicate id.
   */
  recordDownload(e: DownloadEvent): Promise<void>;
  /** The station's history at or after `since`, newest first; `limit` -1 for all. */
  downloads(shortcode: string, since: string, limit?: number): Promise<DownloadRow[]>;
  /** Downloads and bytes per UTC day, aggregated in SQL over every row since `since`. */
  dailyDownloads(shortcode: string, since: string): Promise<DailyRow[]>;
  /** The episode GETs answered 200/206 since `since`, oldest first, read in pages (for countPodcastDownloads). */
  episodeDownloads(shortcode: string, since: string): AsyncIterable<DownloadEvent>;
  /** The newest refusals (kept out of station history), newest first. */
  refusals(limit?: number): Promise<RefusalRow[]>;
  refusalRowCount(): Promise<number>;
  /** Refusals per UTC day on an existing station since `sinceDay` (YYYY-MM-DD); '' for unknown stations. */
  refusalsPerDay(shortcode: string, sinceDay: string): Promise<{ day: string; count: number }[]>;
}

export interface Db extends AccountQueries, CatalogQueries, HistoryQueries {
  readonly kind: 'sqlite' | 'postgres';
  /** Where the data is, for messages: the SQLite file, or the PostgreSQL URL without its password. */
  readonly location: string;
  /**
   * Runs `fn` in one transaction and commits when it resolves (rolls back when it rejects). On
   * PostgreSQL `tx` is bound to one connection; on SQLite (one connection) the write lock is taken
   * first (BEGIN IMMEDIATE) and transactions run one at a time.
   */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /** The express-session store on this database (sessions survive restarts and are shared by instances). */
  sessionStore(onError: (err: Error) => void): SessionStore;
  /** A cheap round trip: resolves when the database answers (used to tell when it is back). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Whether an event belongs to its station's download history: the station exists, and the
 * request was authenticated (a user or a valid signed link) or went to the public enclosure
 * route. Everything else (refusals before authentication, made-up station names) is noise anyone
 * can send in any amount, kept separately and bounded (the `refusals` tables).
 */
export const isStationHistory = (e: Pick<DownloadEvent, 'stationExists' | 'authenticated' | 'kind'>): boolean =>
  e.stationExists === true && (e.authenticated === true || e.kind === 'public-episode');
