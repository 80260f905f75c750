// A login flood against the demo panel must not starve file delivery. scrypt (32 MiB per hash)
// runs on libuv's 4-thread pool, where local file open/stat/realpath run too; the demo runs at
// most 2 hashes at once, so the pool keeps threads for files. 16 parallel clients post wrong
// logins from ever-new addresses (X-Forwarded-For through the trusted loopback proxy, so the
// per-IP limit does not stop them; unknown emails hash a dummy, one real account gets locked)
// while one client fetches `bytes=0-1` ranges of a media file through the demo.
// Asserted: every range is 206 with the right two bytes; every login is answered 401 or 429,
// never 5xx. Reported (not asserted): range latencies without and with the flood.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createDemoApp, type DemoApp } from '../../demo-app/app';
import { hashStats, resetHashPeak } from '../../demo-app/auth/passwords';
import { fileUrl } from '../../demo-app/catalog';
import { readConfig } from '../../demo-app/config';
import { request } from '../support/http';
import { figure, scaled } from './support/fault-figures';

const TEST = 'login flood vs. file delivery (demo)';
const FLOODERS = 16;

let dir = '';
let demo: DemoApp;
let server: Server;
let base = '';

before(
  async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'hostile-demo-'));
    demo = await createDemoApp(readConfig({ DATA_DIR: path.join(dir, 'data') }), { accessLog: false });
    server = await new Promise<Server>((resolve) => {
      const s = demo.app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  },
  { timeout: 120_000 },
);

after(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await demo?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const round = (ms: number): number => Math.round(ms * 100) / 100;

test(TEST, { timeout: 600_000 }, async (t) => {
  const alpha = await demo.db.station('alpha');
  assert.ok(alpha);
  const media = (await demo.db.files(alpha.id, 'media'))[0];
  assert.ok(media);
  const url = base + fileUrl('alpha', media);
  const stored = readFileSync(path.join(dir, 'data', 'files', ...media.key.split('/'))).subarray(0, 2);
  const key = await demo.db.createApiKey(1);
  // One kept-alive connection for the ranges, as a player has: the latency is the server's.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const ranges = scaled(300, 20);

  /** At least `ranges` ranges, and on until `more()` is false. */
  const fetchRanges = async (more: () => boolean = () => false): Promise<number[]> => {
    const times: number[] = [];
    for (let i = 0; i < ranges || more(); i++) {
      const t0 = process.hrtime.bigint();
      const r = await request(url, { agent, headers: { 'x-api-key': key, range: 'bytes=0-1' } });
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      assert.equal(r.status, 206, `range ${i}`);
      assert.equal(r.headers['content-range'], `bytes 0-1/${media.size}`);
      assert.ok(r.body.equals(stored), `range ${i}: bytes`);
      assert.ok(r.complete);
    }
    return times.sort((a, b) => a - b);
  };

  const quiet = await fetchRanges();

  let stop = false;
  let next = 0;
  const statuses = new Map<number, number>();
  const flooder = async (w: number): Promise<void> => {
    while (!stop) {
      const n = next++;
      // Every 8th attempt guesses the admin's password (per-account limit); the rest are unknown emails.
      const email = n % 8 === 0 ? 'admin@example.com' : `guess-${w}-${n}@example.com`;
      const r = await request(`${base}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` },
        body: new URLSearchParams({ email, password: `wrong-${n}` }).toString(),
      });
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    }
  };
  resetHashPeak();
  const hashesBefore = hashStats().started;
  const flood = Array.from({ length: FLOODERS }, (_, w) => flooder(w));
  // Let the flood fill the hash slots and queue before measuring.
  while (hashStats().started - hashesBefore < FLOODERS) await new Promise((r) => setTimeout(r, 10));
  const floodStart = Date.now();
  // Measured for as long as the flood has not yet sent `minLogins` (so the account gets locked too).
  const minLogins = scaled(240, 40);
  const loaded = await fetchRanges(() => [...statuses.values()].reduce((a, b) => a + b, 0) < minLogins);
  stop = true;
  await Promise.all(flood);
  const floodSeconds = (Date.now() - floodStart) / 1000;
  agent.destroy();

  const answered = [...statuses.values()].reduce((a, b) => a + b, 0);
  for (const status of statuses.keys()) assert.ok(status === 401 || status === 429, `login answered ${status} (${JSON.stringify([...statuses])})`);
  assert.ok((statuses.get(401) ?? 0) > 0, 'the flood reached the password check');
  assert.ok((statuses.get(429) ?? 0) > 0, 'the attacked account was locked');
  assert.ok(hashStats().peak <= 2, `hash peak ${hashStats().peak}`);

  for (const [name, times] of [
    ['quiet', quiet],
    ['flood', loaded],
  ] as const) {
    figure(t, TEST, `bytes=0-1 latency p50, ${name}`, round(quantile(times, 0.5)), 'ms');
    figure(t, TEST, `bytes=0-1 latency p95, ${name}`, round(quantile(times, 0.95)), 'ms');
    figure(t, TEST, `bytes=0-1 latency max, ${name}`, round(times.at(-1) ?? NaN), 'ms');
  }
  figure(t, TEST, 'ranges fetched, quiet', quiet.length, 'requests');
  figure(t, TEST, 'ranges fetched, flood', loaded.length, 'requests');
  figure(t, TEST, 'flood logins answered', answered, 'requests');
  figure(t, TEST, 'flood logins answered 429', statuses.get(429) ?? 0, 'requests');
  figure(t, TEST, 'flood duration while measuring', round(floodSeconds), 's');
  figure(t, TEST, 'password hashes during the flood', hashStats().started - hashesBefore, 'hashes');
});
