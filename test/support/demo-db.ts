/**
 * The demo panel's databases for tests that run on both: SQLite (a copied DATA_DIR) and
 * PostgreSQL (a throwaway cluster, test/support/postgres.ts; each fixture a database copied from
 * a seeded template with CREATE DATABASE … TEMPLATE). A fixture is a DATA_DIR (local files,
 * secrets) plus the environment that points the panel and the CLI at its database.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readConfig } from '../../demo-app/config';
import { openDatabase, type Db, type SqliteDb } from '../../demo-app/db/database';
import type { PostgresDb } from '../../demo-app/db/postgres/open';
import { seedIfEmpty } from '../../demo-app/seed';
import { createDemoStorages } from '../../demo-app/storage';
import { startTestPostgres, type TestPostgres } from './postgres';

export interface DemoFixture {
  dataDir: string;
  /** DATA_DIR, and DATABASE_URL on PostgreSQL. */
  env: Record<string, string>;
  open(): Promise<Db>;
}

export interface DemoBackend {
  readonly name: 'SQLite' | 'PostgreSQL';
  /** Seeds the template (in a `before`). */
  setup(): Promise<void>;
  /** A fresh copy of the seeded panel. */
  fresh(): Promise<DemoFixture>;
  /** Removes every copy (and stops PostgreSQL). */
  teardown(): Promise<void>;
  /** PostgreSQL's cluster, for tests that stop and start it. */
  readonly postgres: TestPostgres | null;
}

async function seed(dataDir: string, databaseUrl: string | null): Promise<void> {
  const config = readConfig({ DATA_DIR: dataDir, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) });
  const storages = createDemoStorages(config);
  await storages.prepare();
  const db = await openDatabase(config);
  try {
    await seedIfEmpty(db, storages);
    if (db.kind === 'sqlite') (db as SqliteDb).raw.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    await db.close();
    storages.close();
  }
}

function backend(name: DemoBackend['name']): DemoBackend {
  const temps: string[] = [];
  let template = '';
  let pg: TestPostgres | null = null;
  let copies = 0;
  const tempDir = async (): Promise<string> => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'demo-db-'));
    temps.push(dir);
    return path.join(dir, 'data');
  };
  return {
    name,
    get postgres() {
      return pg;
    },
    async setup() {
      template = await tempDir();
      if (name === 'PostgreSQL') {
        pg = await startTestPostgres();
        await seed(template, await pg.createDatabase('seeded'));
      } else {
        await seed(template, null);
      }
    },
    async fresh() {
      const dataDir = await tempDir();
      await cp(template, dataDir, { recursive: true });
      const env: Record<string, string> = { DATA_DIR: dataDir };
      if (pg) env.DATABASE_URL = await pg.createDatabase(`copy${++copies}`, 'seeded');
      return { dataDir, env, open: () => openDatabase(readConfig(env)) };
    },
    async teardown() {
      await pg?.destroy();
      await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
    },
  };
}

/** Both databases: SQLite first, then PostgreSQL. */
export const demoBackends = (): DemoBackend[] => [backend('SQLite'), backend('PostgreSQL')];

/** Opens the fixture's database for `fn`, and closes it. */
export async function withDb<T>(fx: DemoFixture, fn: (db: Db) => T | Promise<T>): Promise<T> {
  const db = await fx.open();
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** Raw SQL on either database (`?` placeholders): for checks the Db interface has no method for. */
export async function sqlAll<T>(db: Db, text: string, params: unknown[] = []): Promise<T[]> {
  if (db.kind === 'sqlite') return (db as SqliteDb).raw.prepare(text).all(...params) as T[];
  let n = 0;
  return (
    await (db as PostgresDb).pool.query(
      text.replace(/\?/g, () => `$${++n}`),
      params,
    )
  ).rows as T[];
}
