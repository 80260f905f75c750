/**
 * postgresLimitStore: the public new-download limit's state in PostgreSQL, shared by every app
 * instance on the same table. One row per client: its window's end and the episodes it started
 * in that window. Each check is one statement, an upsert whose conflict branch holds the row's
 * lock, so concurrent checks for one client (from any instance) are applied one after the
 * other and the limit is exact. Expired rows are deleted by a bounded sweep that runs beside
 * the checks (see {@link PostgresLimitStoreOptions.sweepEveryMs}). Needs a `pg` Pool (or
 * anything with pg's `query(text, values)`); this module never loads `pg` itself.
 */
import { OptionsReader } from '../options/reader';
import { type LimitDecision, type LimitStore, secondsLeft } from './rate-limit';

/** The part of a `pg` Pool (or Client) the store uses. */
export interface PostgresQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount?: number | null }>;
}

/** Options for {@link postgresLimitStore}. */
export interface PostgresLimitStoreOptions {
  /** A `pg` Pool. Give it an `error` listener (`pool.on('error', …)`), as every pg Pool needs: an idle connection dropped by a restarting server emits one. */
  pool: PostgresQueryable;
  /** The table (optionally `schema.table`), created by `ensureTable()`. @default 'station_files_limits' */
  table?: string;
  /** How often (at most, per instance) a check also starts a sweep of expired rows. @default 60000 */
  sweepEveryMs?: number;
  /** Rows one sweep statement deletes at most; a full batch starts the next sweep at the next check. @default 5000 */
  sweepBatch?: number;
  /** Sweep failures (the checks report their own through the limiter). @default none */
  onError?: (err: Error) => void;
}

/** A {@link LimitStore} in PostgreSQL. */
export interface PostgresLimitStore extends LimitStore {
  check(client: string, episode: string, now: number, rule: { windowMs: number; max: number }): Promise<LimitDecision>;
  /** Creates the table and its index when missing (`CREATE … IF NOT EXISTS`); safe to call from every instance at start. */
  ensureTable(): Promise<void>;
  /** Deletes up to `sweepBatch` expired rows now; resolves to the number deleted. */
  sweep(now?: number): Promise<number>;
  /** The SQL of `ensureTable()`, for a migration tool. */
  readonly schemaSql: string;
}

const TABLE = /^(?:[a-z_][a-z0-9_]{0,62}\.)?[a-z_][a-z0-9_]{0,62}$/;

/** The statements for one table name (validated: it is spliced into the SQL). */
function statements(table: string): { schema: string; check: string; sweep: string } {
  // An index name cannot be schema-qualified: it goes to the table's schema.
  const index = `${table.replace('.', '_')}_window_end`;
  return {
    schema: [
      `CREATE TABLE IF NOT EXISTS ${table} (client text PRIMARY KEY, window_end bigint NOT NULL, episodes text[] NOT NULL)`,
      `CREATE INDEX IF NOT EXISTS ${index} ON ${table} (window_end)`,
    ].join(';\n'),
    // $1 client, $2 episode, $3 now (ms), $4 window end of a new window, $5 max.
    check: `INSERT INTO ${table} AS w (client, window_end, episodes) VALUES ($1, $4, ARRAY[$2::text])
ON CONFLICT (client) DO UPDATE SET
  window_end = CASE WHEN w.window_end <= $3 THEN EXCLUDED.window_end ELSE w.window_end END,
  episodes = CASE
    WHEN w.window_end <= $3 THEN EXCLUDED.episodes
    WHEN $2 = ANY (w.episodes) OR cardinality(w.episodes) >= $5 THEN w.episodes
    ELSE w.episodes || $2::text END
RETURNING window_end::float8 AS window_end, $2 = ANY (episodes) AS ok`,
    sweep: `DELETE FROM ${table} WHERE client IN (SELECT client FROM ${table} WHERE window_end <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
  };
}

/**
 * Creates the store. Call `ensureTable()` once at start (or run `schemaSql` in a migration).
 * Expired rows go in sweeps: at most every `sweepEveryMs` per instance, one check also starts a
 * `DELETE` of up to `sweepBatch` expired rows, outside the request's path; a full batch makes
 * the next check sweep again, so deletion keeps up with any rate of new clients.
 *
 * @example
 * import { Pool } from 'pg';
 * import { postgresLimitStore } from 'station-files/postgres';
 * const pool = new Pool({ connectionString: process.env.DATABASE_URL });
 * pool.on('error', (err) => log.warn(err.message));
 * const store = postgresLimitStore({ pool });
 * await store.ensureTable();
 * const files = createStationFiles({ ..., publicRateLimit: { max: 60, store } });
 */
export function postgresLimitStore(options: PostgresLimitStoreOptions): PostgresLimitStore {
  const o = OptionsReader.of('postgresLimitStore', options, ['pool', 'table', 'sweepEveryMs', 'sweepBatch', 'onError']);
  const given = o.raw('pool') as Partial<PostgresQueryable> | undefined;
  const pool = typeof given?.query === 'function' ? (given as PostgresQueryable) : o.fail('pool', 'a pg Pool (an object with query(text, values))');
  const table = o.string('table', TABLE, 'a lower-case table name, optionally schema-qualified', 'station_files_limits');
  const sweepEveryMs = o.integer('sweepEveryMs', { min: 1, max: 86_400_000 }, 60_000);
  const sweepBatch = o.integer('sweepBatch', { min: 1, max: 1_000_000 }, 5000);
  const onError = o.optionalFunction<(err: Error) => void>('onError') ?? (() => {});
  const sql = statements(table);
  let nextSweep = 0;
  let sweeping = false;

  const sweep = async (now = Date.now()): Promise<number> => {
    const r = await pool.query(sql.sweep, [now, sweepBatch]);
    return r.rowCount ?? 0;
  };
  const maybeSweep = (now: number): void => {
    if (sweeping || now < nextSweep) return;
    sweeping = true;
    nextSweep = now + sweepEveryMs;
    sweep(now)
      .then(
        (n) => {
          if (n >= sweepBatch) nextSweep = 0;
        },
        (err: unknown) => onError(err instanceof Error ? err : new Error(String(err))),
      )
      .finally(() => {
        sweeping = false;
      });
  };
  return {
    schemaSql: `${sql.schema};`,
    ensureTable: async () => {
      for (const statement of sql.schema.split(';\n')) await pool.query(statement);
    },
    sweep,
    async check(client, episode, now, rule) {
      maybeSweep(now);
      const { rows } = await pool.query(sql.check, [client, episode, now, now + rule.windowMs, rule.max]);
      const row = rows[0] as { window_end: number; ok: boolean } | undefined;
      if (!row) throw new Error('postgresLimitStore: the upsert returned no row');
      return row.ok ? { ok: true } : { ok: false, retryAfterSeconds: secondsLeft(row.window_end, now) };
    },
  };
}
