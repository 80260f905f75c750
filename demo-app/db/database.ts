/**
 * The demo panel's database: SQLite in DATA_DIR/panel.db by default (embedded, nothing to run),
 * PostgreSQL when DATABASE_URL is set (shared by several panel instances and the CLI). Both
 * implement the asynchronous `Db` of ./types.ts; pick one with `openDatabase`.
 */
import path from 'node:path';
import type * as PostgresModule from './postgres/open';
import { openSqlite, type SqliteDb } from './sqlite/open';
import type { DatabaseOptions, Db } from './types';

export * from './types';
export { rowToEvent } from './rows';
export { openSqlite, type SqliteDb };

/** The SQLite file of a data folder. */
export const sqliteFile = (dataDir: string): string => path.join(dataDir, 'panel.db');

/**
 * Opens the panel's database: PostgreSQL at `databaseUrl` when given (migrated on open), else
 * SQLite in `dataDir`. Rejects with the reason when it cannot be opened.
 */
export async function openDatabase(where: { dataDir: string; databaseUrl: string | null }, options: DatabaseOptions = {}): Promise<Db> {
  if (where.databaseUrl) {
    // Loaded only when used: `npm run demo` on SQLite never loads pg.
    const { openPostgres } = require('./postgres/open') as typeof PostgresModule;
    return openPostgres(where.databaseUrl, options);
  }
  return openSqlite(sqliteFile(where.dataDir), options);
}

/** Where the data is, for messages (never a password). */
export function describeDatabase(where: { dataDir: string; databaseUrl: string | null }): string {
  if (!where.databaseUrl) return sqliteFile(where.dataDir);
  const { redactUrl } = require('./postgres/open') as typeof PostgresModule;
  return redactUrl(where.databaseUrl);
}
