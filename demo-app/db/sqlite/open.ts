/**
 * The SQLite database: one file under DATA_DIR (WAL, busy timeout) that the server and the CLI
 * share. Its methods run synchronously (better-sqlite3) and return resolved promises.
 */
import Database from 'better-sqlite3';
import { createPrivateFile, restrictFile } from '../../data-dir';
import type { DatabaseOptions, Db } from '../types';
import { sqliteAccounts } from './accounts';
import { sqliteCatalog } from './catalog';
import { sqliteHistory } from './history';
import { ADDED_COLUMNS, SCHEMA } from './schema';
import { SqliteSessionStore } from './sessions';

/** The SQLite Db, with the better-sqlite3 handle for SQLite-only work (tests, checkpoints). */
export interface SqliteDb extends Db {
  readonly kind: 'sqlite';
  readonly raw: Database.Database;
}

/** Adds columns that older versions of the demo did not have (one writer at a time: IMMEDIATE). */
function migrate(db: Database.Database): void {
  const missing = (): [string, string, string][] =>
    Object.entries(ADDED_COLUMNS).flatMap(([table, columns]) => {
      const have = new Set((db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name));
      return Object.entries(columns)
        .filter(([name]) => !have.has(name))
        .map(([name, type]): [string, string, string] => [table, name, type]);
    });
  if (missing().length === 0) return;
  db.transaction(() => {
    for (const [table, name, type] of missing()) db.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${type}`);
  }).immediate();
}

/**
 * Transactions one at a time (SQLite has one connection here): BEGIN IMMEDIATE takes the write
 * lock first, so a read-then-write waits for busy_timeout instead of failing with SQLITE_BUSY.
 */
function serialTransactions(raw: Database.Database, self: () => Db): Db['transaction'] {
  let queue: Promise<unknown> = Promise.resolve();
  return <T>(fn: (tx: Db) => Promise<T>): Promise<T> => {
    const run = async (): Promise<T> => {
      raw.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(self());
        raw.exec('COMMIT');
        return result;
      } catch (err) {
        if (raw.inTransaction) raw.exec('ROLLBACK');
        throw err;
      }
    };
    const result = queue.then(run, run);
    queue = result.catch(() => undefined);
    return result;
  };
}

/**
 * Opens (and creates) the database at `file`: created 0600 (SQLite gives its -wal and -shm files
 * the same mode), and narrowed to 0600 when an older version left it readable by others.
 */
export function openSqlite(file: string, options: DatabaseOptions = {}): SqliteDb {
  const onDisk = file !== '' && file !== ':memory:' && !file.startsWith('file:');
  if (onDisk) createPrivateFile(file);
  const raw = new Database(file);
  raw.pragma('busy_timeout = 5000');
  raw.pragma('journal_mode = WAL');
  raw.pragma('foreign_keys = ON');
  raw.exec(SCHEMA);
  migrate(raw);
  if (onDisk) for (const suffix of ['-wal', '-shm']) restrictFile(file + suffix);

  const db: SqliteDb = {
    kind: 'sqlite',
    location: file,
    raw,
    ...sqliteAccounts(raw),
    ...sqliteCatalog(raw),
    ...sqliteHistory(raw, options),
    transaction: serialTransactions(raw, () => db),
    sessionStore: () => new SqliteSessionStore(raw),
    ping: async () => void raw.prepare('SELECT 1').get(),
    close: async () => void raw.close(),
  };
  return db;
}
