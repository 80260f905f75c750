// The public new-download limit shared through a REAL PostgreSQL (a throwaway cluster,
// test/support/postgres.ts): exact under concurrency, expired rows swept, one limit across two
// app instances, fail open while PostgreSQL is down, and working again once it is back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import express from 'express';
import pg from 'pg';
import { createStationFiles, localStorage, type DownloadMetrics } from '../../lib';
import { postgresLimitStore, type PostgresLimitStore } from '../../lib/entry/postgres';
import { request } from '../support/http';
import { startTestPostgres, type TestPostgres } from '../support/postgres';

const RULE = { windowMs: 600_000, max: 10 };
let cluster: TestPostgres;
let pool: pg.Pool;
let store: PostgresLimitStore;
let root: string;
const poolErrors: Error[] = [];

before(async () => {
  cluster = await startTestPostgres();
  pool = new pg.Pool({ connectionString: cluster.url(), max: 8, connectionTimeoutMillis: 2000 });
  pool.on('error', (err) => void poolErrors.push(err)); // idle connections dropped by the server stopping
  store = postgresLimitStore({ pool, table: 'public.limits_test' });
  await store.ensureTable();
  await store.ensureTable(); // idempotent: every instance may run it at start
  await mkdir(path.resolve('.test-tmp'), { recursive: true });
  root = await mkdtemp(path.resolve('.test-tmp', 'limit-pg-'));
  for (let n = 1; n <= 20; n++) await writeFile(path.join(root, `${n}.mp3`), Buffer.alloc(1000, n));
});
after(async () => {
  await pool?.end();
  await cluster?.destroy();
  await rm(root, { recursive: true, force: true });
});

describe('postgresLimitStore on PostgreSQL', () => {
  test('exact under concurrency: 40 new episodes at once from one client, exactly max go through', async () => {
    const now = Date.now();
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => store.check('198.51.100.1', `a/1/${i}`, now, RULE)));
    assert.equal(answers.filter((a) => a.ok).length, RULE.max);
    const refused = answers.find((a) => !a.ok);
    assert.deepEqual(refused, { ok: false, retryAfterSeconds: 600 });
  });

  test('an episode already started stays allowed; another client is not affected; a new window starts afresh', async () => {
    const t0 = 1_000_000;
    for (let i = 0; i < RULE.max; i++) assert.equal((await store.check('198.51.100.2', `b/1/${i}`, t0, RULE)).ok, true);
    assert.deepEqual(await store.check('198.51.100.2', 'b/1/99', t0 + 1000, RULE), { ok: false, retryAfterSeconds: 599 });
    assert.deepEqual(await store.check('198.51.100.2', 'b/1/3', t0 + 1000, RULE), { ok: true });
    assert.deepEqual(await store.check('198.51.100.3', 'b/1/99', t0 + 1000, RULE), { ok: true });
    assert.deepEqual(await store.check('198.51.100.2', 'b/1/99', t0 + RULE.windowMs, RULE), { ok: true });
  });

  test('the sweep deletes expired windows only, in bounded batches', async () => {
    const count = async (): Promise<number> => Number((await pool.query('SELECT count(*) AS n FROM public.limits_test')).rows[0].n);
    await pool.query('DELETE FROM public.limits_test');
    for (let i = 0; i < 25; i++) await store.check(`192.0.2.${i}`, 'c/1/1', 0, { windowMs: 1000, max: 1 });
    await store.check('192.0.2.200', 'c/1/1', 10_000, { windowMs: 600_000, max: 1 });
    const batched = postgresLimitStore({ pool, table: 'public.limits_test', sweepBatch: 10 });
    assert.equal(await batched.sweep(5000), 10);
    assert.equal(await batched.sweep(5000), 10);
    assert.equal(await batched.sweep(5000), 5);
    assert.equal(await batched.sweep(5000), 0);
    assert.equal(await count(), 1, 'the live window is kept');
  });
});

/** An app instance whose public limit lives in the shared store. */
async function instance(
  metrics: DownloadMetrics,
  errors: Error[],
): Promise<{ server: Server; url(episode: number, client: string): [string, { headers: Record<string, string> }] }> {
  const files = createStationFiles({
    authorize: () => false,
    storages: { disk: localStorage({ root }) },
    catalog: { episode: ({ episode }) => ({ station: 'alpha', storage: 'disk', key: `${episode}.mp3`, filename: `${episode}.mp3`, public: true }) },
    publicRateLimit: { max: 3, store, storeTimeoutMs: 5000 },
    trustProxy: 'loopback',
    metrics,
    onError: (err) => void errors.push(err),
  });
  const app = express();
  app.use(files.podcasts());
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    server,
    url: (episode, client) => [`${base}/station/alpha/public/podcast/1/episode/${episode}/download.mp3`, { headers: { 'x-forwarded-for': client } }],
  };
}

describe('two app instances on one PostgreSQL store', () => {
  const errors: Error[] = [];
  let storeFailures = 0;
  const metrics: DownloadMetrics = {
    deliveryStarted() {},
    deliveryEnded() {},
    event() {},
    refused() {},
    limitStoreFailed: () => void storeFailures++,
  };
  let a: Awaited<ReturnType<typeof instance>>;
  let b: Awaited<ReturnType<typeof instance>>;
  const get = async (app: typeof a, episode: number, client: string) => request(...app.url(episode, client));

  before(async () => {
    a = await instance(metrics, errors);
    b = await instance(metrics, errors);
  });
  after(async () => {
    for (const app of [a, b]) await new Promise((resolve) => app?.server.close(resolve));
  });

  test('the limit holds across them: the 4th new episode from one client is 429 on either', async () => {
    assert.equal((await get(a, 1, '203.0.113.10')).status, 200);
    assert.equal((await get(b, 2, '203.0.113.10')).status, 200);
    assert.equal((await get(a, 3, '203.0.113.10')).status, 200);
    for (const app of [a, b]) {
      const refused = await get(app, 4, '203.0.113.10');
      assert.equal(refused.status, 429);
      assert.match(String(refused.headers['retry-after']), /^[1-9][0-9]*$/);
    }
    assert.equal((await get(b, 1, '203.0.113.10')).status, 200, 'an episode it started on A may go on through B');
    assert.equal((await get(b, 4, '203.0.113.11')).status, 200, 'another client');
    assert.equal(storeFailures, 0);
  });

  test('PostgreSQL stopped: downloads go on (fail open) and each failure is reported; restarted: the limit works again', async () => {
    await cluster.stop();
    for (let n = 1; n <= 6; n++) {
      const r = await get(n % 2 ? a : b, n, '203.0.113.20');
      assert.equal(r.status, 200, `episode ${n} is served while PostgreSQL is down`);
    }
    assert.equal(storeFailures, 6);
    assert.equal(errors.length, 6);
    assert.ok(errors.every((e) => /publicRateLimit store failed, request let through/.test(e.message)));

    await cluster.start();
    for (let i = 0; ; i++) {
      try {
        await pool.query('SELECT 1');
        break;
      } catch (err) {
        if (i > 100) throw err;
        await sleep(100);
      }
    }
    for (let n = 1; n <= 3; n++) assert.equal((await get(n % 2 ? a : b, n, '203.0.113.21')).status, 200);
    assert.equal((await get(a, 4, '203.0.113.21')).status, 429);
    assert.equal((await get(b, 5, '203.0.113.21')).status, 429);
  });
});
