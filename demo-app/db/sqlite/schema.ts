/** The demo panel's SQLite schema (one file under DATA_DIR, WAL mode so the CLI and the server share it). */

/** Columns added after the first release: added to older databases on open (see migrate in open.ts). */
export const ADDED_COLUMNS: Record<string, Record<string, string>> = {
  downloads: {
    correlation_id: 'TEXT',
    authenticated: 'INTEGER',
    station_exists: 'INTEGER',
    via: 'TEXT',
    link_subject: 'TEXT',
    ids: 'TEXT',
    served_start: 'INTEGER',
    served_end: 'INTEGER',
    reason: 'TEXT',
  },
  api_keys: { key_prefix: 'TEXT' },
};

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS stations (
  id INTEGER PRIMARY KEY,
  shortcode TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE COLLATE NOCASE,
  name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  global_admin INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS grants (
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  station_id INTEGER NOT NULL REFERENCES stations(id) ON DELETE CASCADE,
  permission TEXT NOT NULL,
  PRIMARY KEY (user_id, station_id, permission)
);
CREATE TABLE IF NOT EXISTS api_keys (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  key_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  key_prefix TEXT
);
CREATE TABLE IF NOT EXISTS streamers (
  id INTEGER PRIMARY KEY,
  station_id INTEGER NOT NULL REFERENCES stations(id) ON DELETE CASCADE,
  name TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS streamers_station_name ON streamers (station_id, name);
CREATE TABLE IF NOT EXISTS files (
  id INTEGER PRIMARY KEY,
  station_id INTEGER NOT NULL REFERENCES stations(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('recording', 'media', 'episode')),
  title TEXT NOT NULL,
  storage TEXT NOT NULL CHECK (storage IN ('local', 's3')),
  key TEXT NOT NULL,
  filename TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  duration_s REAL,
  created_at TEXT NOT NULL,
  -- recordings
  streamer_id INTEGER REFERENCES streamers(id),
  -- media
  artist TEXT,
  -- episodes
  podcast_id INTEGER REFERENCES podcasts(id),
  description TEXT,
  published_at TEXT
);
CREATE INDEX IF NOT EXISTS files_station_kind ON files (station_id, kind);
CREATE TABLE IF NOT EXISTS podcasts (
  id INTEGER PRIMARY KEY,
  station_id INTEGER NOT NULL REFERENCES stations(id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  description TEXT NOT NULL,
  author TEXT NOT NULL,
  language TEXT NOT NULL DEFAULT 'en',
  category TEXT NOT NULL DEFAULT 'Music',
  explicit INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS downloads (
  id TEXT PRIMARY KEY,
  at TEXT NOT NULL,
  station TEXT,
  user_id TEXT,
  user_name TEXT,
  kind TEXT NOT NULL,
  file_id TEXT,
  outcome TEXT NOT NULL,
  status INTEGER NOT NULL,
  method TEXT NOT NULL,
  range TEXT,
  bytes_sent INTEGER,
  size INTEGER,
  delivery TEXT,
  storage TEXT,
  duration_ms INTEGER NOT NULL,
  ip TEXT NOT NULL,
  user_agent TEXT,
  referer TEXT,
  correlation_id TEXT,
  authenticated INTEGER,
  station_exists INTEGER,
  via TEXT,
  link_subject TEXT,
  ids TEXT,
  served_start INTEGER,
  served_end INTEGER,
  reason TEXT
);
CREATE INDEX IF NOT EXISTS downloads_station_at ON downloads (station, at);
-- Requests refused before authentication, and requests naming stations that do not exist: kept
-- out of station history (anyone can send them, for any station name). The newest few rows...
CREATE TABLE IF NOT EXISTS refusals (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  at TEXT NOT NULL,
  station TEXT,
  station_exists INTEGER,
  authenticated INTEGER NOT NULL,
  kind TEXT NOT NULL,
  file_id TEXT,
  outcome TEXT NOT NULL,
  status INTEGER NOT NULL,
  method TEXT NOT NULL,
  ip TEXT NOT NULL,
  user_agent TEXT,
  correlation_id TEXT
);
-- ...and a count per UTC day, station (only existing ones; '' for the rest) and status.
CREATE TABLE IF NOT EXISTS refusal_days (
  day TEXT NOT NULL,
  station TEXT NOT NULL,
  status INTEGER NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (day, station, status)
);
CREATE TABLE IF NOT EXISTS sessions (
  sid TEXT PRIMARY KEY,
  expires INTEGER NOT NULL,
  data TEXT NOT NULL
);
`;
