// The public enclosure route in its own process with the new-download limit on one store:
// BENCH_LIMIT_STORE=memory (the default store) or postgres (postgresLimitStore on a pg Pool of 10
// connections to DATABASE_URL). The catalog publishes every episode id as one small local file
// (BENCH_LIMIT_FILE, under BENCH_LIMIT_ROOT); clients are told apart by X-Forwarded-For. The limit
// is high enough never to refuse: the benchmark measures what a check costs, not refusals.
// Prints {"port":N,"pid":N} once listening; exits when its stdin closes.
import type { AddressInfo } from 'node:net';
import express from 'express';
import pg from 'pg';
import { createStationFiles, localStorage, type LimitStore } from '../../lib';
import { postgresLimitStore } from '../../lib/entry/postgres';
import { announce, exitWithParent } from './lib/rss';

async function store(): Promise<LimitStore | undefined> {
  if (process.env.BENCH_LIMIT_STORE !== 'postgres') return undefined;
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
  pool.on('error', (err) => process.stderr.write(`limiter-server: pool: ${err.message}\n`));
  const s = postgresLimitStore({ pool, table: 'bench_limits' });
  await s.ensureTable();
  return s;
}

async function main(): Promise<void> {
  exitWithParent();
  const key = process.env.BENCH_LIMIT_FILE ?? 'episode.mp3';
  const limitStore = await store();
  const files = createStationFiles({
    authorize: () => false,
    storages: { disk: localStorage({ root: process.env.BENCH_LIMIT_ROOT ?? '.' }) },
    catalog: { episode: () => ({ station: 'alpha', storage: 'disk', key, filename: 'episode.mp3', public: true }) },
    publicRateLimit: { max: 1_000_000, ...(limitStore ? { store: limitStore } : {}) },
    concurrentDownloads: false,
    trustProxy: 'loopback',
    onError: (err) => process.stderr.write(`limiter-server: ${err.message}\n`),
  });
  const app = express();
  app.use(files.podcasts());
  const server = app.listen(0, '127.0.0.1', () => announce((server.address() as AddressInfo).port));
}

void main();
