// 64 slow clients (× RELIABILITY_SCALE) reading 32 KiB/s each from 1 GiB S3 objects for 20 s,
// while fast clients download 64 MiB S3 objects over and over, against the server in its own
// process (S3 agent with maxSockets 50). Asserted: every byte right (fast bodies hashed, slow ones
// compared as they arrive), every fast download complete and logged `completed`, one result per
// slow client, and after the slow clients hang up, sockets and fds back to the baseline and
// memory bounded. Reported, never asserted (they depend on the machine): the fast clients'
// throughput with the slow clients against without them, and the slow clients' rates.
// LOAD_MAX_SOCKETS overrides the server's S3 maxSockets (50), to tell a starved socket pool from
// CPU contention.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { deterministicRange } from '../support/s3';
import { createFixtures, figure, KiB, MiB, scaled, startLoadServer, type Fixture, type Fixtures, type LoadServer, type LoadStats } from './support/load-kit';

const NAME = 'load-slow-clients';
const SLOW = scaled(64, 4);
const SLOW_SECONDS = scaled(20, 3);
const FAST_SECONDS = scaled(6, 2); // twice: before and after the slow clients
const FAST_CLIENTS = 4;
const RATE = 32 * KiB; // bytes per second per slow client
const MAX_SOCKETS = Number(process.env.LOAD_MAX_SOCKETS ?? 50);
const bigs: Fixture[] = [0, 1].map((i) => ({ storage: 's3', key: `big-${i}.bin`, seed: `${NAME}-big-${i}`, size: scaled(1024, 64) * MiB }));
const fasts: Fixture[] = [0, 1].map((i) => ({ storage: 's3', key: `fast-${i}.bin`, seed: `${NAME}-fast-${i}`, size: scaled(64, 4) * MiB }));
let fixtures: Fixtures;
let server: LoadServer;

before(async () => {
  fixtures = await createFixtures(NAME, [...bigs, ...fasts]);
  server = await startLoadServer({ localRoot: fixtures.localRoot, s3Prefix: fixtures.s3Prefix, maxSockets: MAX_SOCKETS });
});
after(async () => {
  await server?.stop();
  await fixtures?.remove();
});

interface SlowResult {
  status: number;
  received: number;
  /** ms from the request to the response head; null: no head before the client left. */
  headMs: number | null;
  /** ms from the response head to hanging up. */
  readMs: number;
  wrongBytes: boolean;
}

/** Reads `f` at RATE bytes/s (pausing the response between bursts), checking every byte, until `stop`. */
function slowClient(f: Fixture, n: number, stop: AbortSignal): Promise<SlowResult> {
  return new Promise((resolve) => {
    const started = Date.now();
    const out: SlowResult = { status: 0, received: 0, headMs: null, readMs: 0, wrongBytes: false };
    let head = 0;
    const req = http.get(`${server.url}/s3/${f.key}?slow=${n}`, { agent: false });
    const hangUp = (): void => void req.destroy();
    stop.addEventListener('abort', hangUp, { once: true });
    req.on('error', () => {});
    req.on('response', (res) => {
      head = Date.now();
      out.status = res.statusCode ?? 0;
      out.headMs = head - started;
      res.on('error', () => {});
      res.on('data', (chunk: Buffer) => {
        if (!out.wrongBytes && !chunk.equals(deterministicRange(f.seed, f.size, out.received, out.received + chunk.length - 1))) {
          out.wrongBytes = true;
        }
        out.received += chunk.length;
        const wait = head + (out.received / RATE) * 1000 - Date.now();
        if (wait > 0) {
          res.pause();
          setTimeout(() => res.resume(), wait);
        }
      });
    });
    req.on('close', () => {
      if (head) out.readMs = Date.now() - head;
      stop.removeEventListener('abort', hangUp);
      resolve(out);
    });
  });
}

/** Fast clients: download the fast objects back to back until `stop`; bytes counted live. */
function fastClients(label: string, stop: AbortSignal): { bytes: () => number; done: Promise<string[]> } {
  let bytes = 0;
  const problems: string[] = [];
  const one = (f: Fixture, url: string): Promise<void> =>
    new Promise((resolve) => {
      let got = 0;
      const hash = createHash('sha256');
      const req = http.get(url, { agent: false });
      req.on('error', (err) => {
        problems.push(`${url}: ${err.message}`);
        resolve();
      });
      req.on('response', (res) => {
        res.on('data', (chunk: Buffer) => {
          got += chunk.length;
          bytes += chunk.length;
          hash.update(chunk);
        });
        res.on('close', () => {
          if (res.statusCode !== 200 || !res.complete || got !== f.size) problems.push(`${url}: ${res.statusCode}, ${got} bytes`);
          else if (f.sha256 && hash.digest('hex') !== f.sha256) problems.push(`${url}: wrong bytes`);
          resolve();
        });
      });
    });
  const done = Promise.all(
    Array.from({ length: FAST_CLIENTS }, async (_, c) => {
      for (let n = 0; !stop.aborted; n++) {
        const f = fasts[(c + n) % fasts.length]!;
        await one(f, `${server.url}/s3/${f.key}?fast=${label}-${c}-${n}`);
      }
    }),
  ).then(() => problems);
  return { bytes: () => bytes, done };
}

/** Runs the fast clients for 1 s + `seconds`; their bytes/s over the last `seconds`. */
async function fastWindow(label: string, seconds: number): Promise<{ rate: number; done: Promise<string[]> }> {
  const stop = new AbortController();
  const run = fastClients(label, stop.signal);
  await sleep(1000);
  const from = run.bytes();
  const t0 = Date.now();
  await sleep(seconds * 1000);
  const rate = (run.bytes() - from) / ((Date.now() - t0) / 1000);
  stop.abort();
  return { rate, done: run.done };
}

test(`${SLOW} slow clients and fast clients all get the right bytes, memory stays bounded, and nothing is left behind`, async (t) => {
  const started = Date.now();
  const idleFds = (s: LoadStats): number => s.fds - s.s3.free;
  const mib = (x: number): number => x / MiB;
  // Warm-up: one fast download of each object, then the baseline after a GC.
  const warm = new AbortController();
  const warmRun = fastClients('warm', warm.signal);
  await sleep(200);
  warm.abort();
  assert.deepEqual(await warmRun.done, []);
  await server.settle((s) => s.s3.busy === 0);
  const base = await server.reset();

  // Without slow clients (again after them, below: the baseline is the mean, as the machine drifts).
  const alone1 = await fastWindow('alone-1', FAST_SECONDS);
  const problems = await alone1.done;
  const aloneStats = await server.stats();
  await server.settle((s) => s.s3.busy === 0);
  const quiet = await server.reset();

  // With them: the slow clients start first, the fast ones 2 s later; sample the S3 pool each second.
  const slowStop = new AbortController();
  const slowDone = Promise.all(Array.from({ length: SLOW }, (_, i) => slowClient(bigs[i % bigs.length]!, i, slowStop.signal)));
  await sleep(2000);
  let sampling = true;
  let maxQueued = 0;
  let maxBusy = 0;
  const sampler = (async () => {
    for (; sampling; await sleep(1000)) {
      const s = await server.stats();
      maxQueued = Math.max(maxQueued, s.s3.queued);
      maxBusy = Math.max(maxBusy, s.s3.busy);
    }
  })();
  const withSlow = await fastWindow('with', Math.max(1, SLOW_SECONDS - 3));
  const during = await server.stats();
  slowStop.abort(); // the slow clients hang up
  const slow = await slowDone;
  problems.push(...(await withSlow.done));
  sampling = false;
  await sampler;

  const settled = await server.settle((s) => s.s3.busy === 0 && s.s3.queued === 0 && s.results >= SLOW, 15_000);
  const fdsAfter = await server.settle((s) => idleFds(s) <= idleFds(base) + 3, 10_000);
  const { results } = await server.results();
  const slowResults = results.filter((r) => r.url.includes('?slow='));
  const fastResults = results.filter((r) => r.url.includes('?fast=with-'));
  const headed = slow.filter((s) => s.headMs !== null);
  const rates = headed.filter((s) => s.readMs > 0).map((s) => s.received / (s.readMs / 1000) / KiB);
  const growth = mib(during.memory.peak - quiet.memory.baseline);
  const alone2 = await fastWindow('alone-2', FAST_SECONDS);
  problems.push(...(await alone2.done));
  const fastAlone = (alone1.rate + alone2.rate) / 2;
  const fastWith = withSlow.rate;

  figure(t, NAME, 'slow clients', SLOW, 'clients');
  figure(t, NAME, 'slow clients answered (response head) while connected', headed.length, 'clients');
  figure(t, NAME, 'slow clients: mean read rate', rates.reduce((a, b) => a + b, 0) / Math.max(1, rates.length), 'KiB/s');
  figure(t, NAME, 'S3 sockets busy, max while slow clients read', maxBusy, 'sockets');
  figure(t, NAME, 'S3 requests queued for a socket, max', maxQueued, 'requests');
  figure(t, NAME, 'fast clients alone, before', alone1.rate / 1e6, 'MB/s');
  figure(t, NAME, 'fast clients alone, after', alone2.rate / 1e6, 'MB/s');
  figure(t, NAME, 'fast clients with slow clients', fastWith / 1e6, 'MB/s');
  figure(t, NAME, 'fast-client throughput ratio (with / without slow clients)', fastWith / fastAlone, 'ratio');
  figure(t, NAME, 'peak RSS growth, fast clients alone', mib(aloneStats.memory.peak - base.memory.baseline), 'MiB');
  figure(t, NAME, 'peak RSS growth, slow + fast clients', growth, 'MiB');
  figure(t, NAME, 'open fds after − baseline (idle S3 pool excluded)', idleFds(fdsAfter) - idleFds(base), 'fds');
  figure(t, NAME, 'S3 sockets busy after the slow clients left', settled.s3.busy, 'sockets');
  figure(t, NAME, 'machine load average, 1 min, at the end', loadavg()[0] ?? NaN, 'runnable');
  figure(t, NAME, 'wall time', (Date.now() - started) / 1000, 's');

  assert.deepEqual(problems, [], 'fast downloads');
  assert.deepEqual(
    slow.filter((s) => s.wrongBytes || (s.headMs !== null && s.status !== 200)),
    [],
    'slow clients: wrong bytes or status',
  );
  assert.equal(slowResults.length, SLOW, 'one DeliveryResult per slow client');
  assert.deepEqual(
    slowResults.filter((r) => r.outcome !== 'aborted').map((r) => `${r.url}: ${r.outcome} ${r.error ?? ''}`),
    [],
  );
  assert.ok(fastResults.length > 0, 'fast downloads ran while the slow clients read');
  assert.deepEqual(
    fastResults.filter((r) => r.outcome !== 'completed').map((r) => `${r.url}: ${r.outcome} ${r.error ?? ''}`),
    [],
  );
  assert.equal(settled.s3.busy, 0, 'S3 sockets still busy after the slow clients left');
  assert.equal(settled.s3.queued, 0, 'S3 requests still queued after the slow clients left');
  assert.ok(idleFds(fdsAfter) <= idleFds(base) + 3, `fds: ${idleFds(base)} → ${idleFds(fdsAfter)} (idle S3 sockets excluded)`);
  assert.ok(growth <= 96 + 1.5 * SLOW, `peak RSS growth ${growth.toFixed(1)} MiB > ${96 + 1.5 * SLOW} MiB`);
});
