/**
 * The PostgreSQL database (DATABASE_URL=postgres://…): a connection pool shared by the panel's
 * queries and its session store (connect-pg-simple), with the schema brought up to date by
 * numbered migrations on open. Several panel instances can share it.
 */
import connectPgSimple from 'connect-pg-simple';
import session from 'express-session';
import pg, { type Pool, type PoolClient, type QueryResultRow } from 'pg';
import { unavailableReason } from '../errors';
import type { DatabaseOptions, Db } from '../types';
import { pgAccounts } from './accounts';
import { pgCatalog } from './catalog';
import { pgHistory } from './history';
import { migrate } from './migrations';
import type { Query } from './query';

export interface PostgresDb extends Db {
  readonly kind: 'postgres';
  readonly pool: Pool;
}

export interface PostgresOptions extends DatabaseOptions {
  /** Connections per process. @default 10 */
  poolSize?: number;
  /** How long a query waits for a connection (then fails as unavailable). @default 5000 */
  connectTimeoutMs?: number;
}

/** 64-bit integers (ids, byte counts, SUMs and COUNTs) as numbers, not strings: all stay far below 2^53. */
const INT8 = 20;
const NUMERIC = 1700;
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 || oid === NUMERIC ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

const queryOn = (run: () => Pool | PoolClient): Query => {
  const query = (async <T extends QueryResultRow>(text: string, values: readonly unknown[] = []) => (await run().query<T>(text, [...values])).rows) as Query;
  query.count = async (text, values = []) => (await run().query(text, [...values])).rowCount ?? 0;
  return query;
};

function queries(q: Query, options: DatabaseOptions) {
  return { ...pgAccounts(q), ...pgCatalog(q), ...pgHistory(q, options) };
}

/** Runs `fn` on one connection between BEGIN and COMMIT; a broken connection is discarded, not reused. */
async function inTransaction<T>(pool: Pool, options: DatabaseOptions, outer: PostgresDb, fn: (tx: Db) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    const tx: PostgresDb = {
      ...outer,
      ...queries(
        queryOn(() => client),
        options,
      ),
      transaction: (inner) => inner(tx),
    };
    const result = await fn(tx);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    broken = unavailableReason(err) !== null;
    if (!broken) await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release(broken);
  }
}

/** Connects, applies missing migrations, and returns the Db. Rejects when PostgreSQL cannot be reached. */
export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<PostgresDb> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    application_name: 'station-files-demo',
    types,
  });
  // An idle connection that PostgreSQL closes (restart, failover) is reported here; without a
  // listener the process would crash. The pool replaces it on next use.
  pool.on('error', (err) => options.onConnectionError?.(err));
  try {
    await migrate(pool);
  } catch (err) {
    await pool.end();
    throw err;
  }
  const db: PostgresDb = {
    kind: 'postgres',
    location: redactUrl(url),
    pool,
    ...queries(
      queryOn(() => pool),
      options,
    ),
    transaction: (fn) => inTransaction(pool, options, db, fn),
    sessionStore: (onError) => {
      const PgStore = connectPgSimple(session);
      return new PgStore({
        pool,
        tableName: 'sessions',
        createTableIfMissing: false,
        pruneSessionInterval: 15 * 60,
        errorLog: (...args: unknown[]) => onError(new Error(args.map(String).join(' '))),
      });
    },
    ping: async () => void (await pool.query('SELECT 1')),
    close: () => pool.end(),
  };
  return db;
}
