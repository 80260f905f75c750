// Clients that stop reading, or read slowly, against stream delivery in its own process
// (load-server.ts). (1) N stalled readers (× RELIABILITY_SCALE) on local and S3 files, with a small
// sendTimeoutMs: every download is cut by the server while the client is still connected,
// logged `aborted` with reason `client-stalled`, and fds and S3 sockets return to the baseline.
// (2) With an S3 pool of 4 sockets and M readers that keep pulling, but below the floor rate, a
// fresh client's full download still completes byte-exact: slow readers give their S3 connection
// back. On loopback the kernel wakes the server's writer only once half of its send buffer (up
// to 4 MiB) is free, so a reader of a few bytes every few seconds looks to the server like one
// that does not read at all (released by the no-read rule alone). These readers read fast enough
// for the server to pull more than once per release period, which kept the connection before.
// Timings and memory are reported as figures, never asserted.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { figure, scaled } from './support/fault-figures';
import { createFixtures, KiB, MiB, startLoadServer, type Fixture, type Fixtures, type LoadServer, type LoadStats } from './support/load-kit';

const NAME = 'hostile-slow-readers';
const SEND_TIMEOUT_MS = 1000;
const STALLED_LOCAL = scaled(200, 4);
const STALLED_S3 = scaled(48, 4);
const POOL = 4;
const TRICKLE = scaled(8, POOL + 2);
const RELEASE_AFTER_MS = 2000;
// The readers' pace, and the floor above it (the default, 32 KiB/s, is the same rule for the
// slower readers that real networks' smaller buffers make visible).
const TRICKLE_RATE = 1536 * KiB;
const FLOOR = 4096 * KiB;
const local: Fixture = { storage: 'local', key: 'big.bin', seed: `${NAME}-local`, size: 32 * MiB };
const s3: Fixture = { storage: 's3', key: 'big.bin', seed: `${NAME}-s3`, size: 64 * MiB };
// What the slow readers read: long enough that none of them reaches its end during the test.
const long: Fixture = { storage: 's3', key: 'long.bin', seed: `${NAME}-long`, size: 256 * MiB };
let fixtures: Fixtures;

before(async () => {
  fixtures = await createFixtures(NAME, [local, s3, long]);
});
after(async () => {
  await fixtures?.remove();
});

/** Sends a GET and never reads: the server's socket fills up and stays full until it cuts it. */
function stalledReader(base: string, f: Fixture, n: number): net.Socket {
  const { hostname, port } = new URL(base);
  const socket = net.connect(Number(port), hostname);
  socket.on('error', () => undefined);
  socket.write(`GET /${f.storage}/${f.key}?stalled=${n} HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
  socket.pause();
  return socket;
}

const idleFds = (s: LoadStats): number => s.fds - s.s3.free;

describe('stalled readers with sendTimeoutMs', () => {
  let server: LoadServer;
  before(async () => {
    server = await startLoadServer({ localRoot: fixtures.localRoot, s3Prefix: fixtures.s3Prefix, sendTimeoutMs: SEND_TIMEOUT_MS });
  });
  after(async () => {
    await server?.stop();
  });

  for (const [f, count] of [
    [local, STALLED_LOCAL],
    [s3, STALLED_S3],
  ] as const) {
    test(`${count} stalled ${f.storage} downloads are cut, logged client-stalled, and leave nothing behind`, async (t) => {
      await server.settle((s) => s.s3.busy === 0);
      const base = await server.reset();
      const started = Date.now();
      const sockets = Array.from({ length: count }, (_, i) => stalledReader(server.url, f, i));
      let maxFds = 0;
      const cut = await server.settle(
        (s) => {
          maxFds = Math.max(maxFds, idleFds(s));
          return s.results >= count;
        },
        60_000 + count * 100,
      );
      const cutSeconds = (Date.now() - started) / 1000;
      // The clients are all still connected: whatever is freed now, the server freed by itself.
      const settled = await server.settle((s) => s.s3.busy === 0 && idleFds(s) <= idleFds(base) + 3, 15_000);
      const { results } = await server.results();
      const collected = await server.gc();
      for (const s of sockets) s.destroy();

      const label = `${NAME} ${f.storage}`;
      figure(t, label, 'stalled downloads', count, 'clients');
      figure(t, label, `all cut after (sendTimeoutMs ${SEND_TIMEOUT_MS})`, cutSeconds, 's');
      figure(t, label, 'open fds, max while stalled − baseline (idle S3 pool excluded)', maxFds - idleFds(base), 'fds');
      figure(t, label, 'open fds after the cut − baseline', idleFds(settled) - idleFds(base), 'fds');
      figure(t, label, 'S3 sockets busy after the cut', settled.s3.busy, 'sockets');
      figure(t, label, 'peak RSS growth while stalled', Math.round(((cut.memory.peak - base.memory.baseline) / MiB) * 10) / 10, 'MiB');
      figure(t, label, 'RSS after the cut and a GC − baseline', Math.round(((collected.rss - base.memory.baseline) / MiB) * 10) / 10, 'MiB');
      figure(t, label, 'JS heap after the cut and a GC − baseline', Math.round(((collected.heapUsed - base.heapUsed) / MiB) * 10) / 10, 'MiB');
      figure(
        t,
        label,
        'bytes handed to a stalled response, mean',
        Math.round(results.reduce((a, r) => a + (r.bytesSent ?? 0), 0) / Math.max(1, results.length) / KiB),
        'KiB',
      );

      assert.equal(cut.results, count, `${cut.results} of ${count} stalled downloads were cut within the wait (sendTimeoutMs ${SEND_TIMEOUT_MS})`);
      assert.deepEqual(
        results.filter((r) => r.outcome !== 'aborted' || r.reason !== 'client-stalled').map((r) => `${r.url}: ${r.outcome} ${r.reason ?? ''} ${r.error ?? ''}`),
        [],
      );
      assert.ok(
        results.every((r) => (r.bytesSent ?? 0) < f.size),
        'no stalled download got its whole body',
      );
      assert.equal(settled.s3.busy, 0, 'S3 sockets still busy after the cut');
      assert.ok(idleFds(settled) <= idleFds(base) + 3, `fds: ${idleFds(base)} → ${idleFds(settled)} with the stalled clients still connected`);
    });
  }
});

/** Reads at TRICKLE_RATE (pausing the response between reads) until stopped; counts what arrived. */
function trickleReader(base: string, n: number, stop: AbortSignal): { headed: () => boolean; done: Promise<{ received: number; ms: number }> } {
  let headed = false;
  let received = 0;
  const t0 = Date.now();
  const done = new Promise<{ received: number; ms: number }>((resolve) => {
    const req = http.get(`${base}/s3/${long.key}?trickle=${n}`, { agent: false });
    req.on('error', () => undefined);
    stop.addEventListener('abort', () => req.destroy(), { once: true });
    req.on('response', (res) => {
      headed = true;
      res.on('error', () => undefined);
      const head = Date.now();
      res.on('data', (c: Buffer) => {
        received += c.length;
        const wait = head + (received / TRICKLE_RATE) * 1000 - Date.now();
        if (wait > 0) {
          res.pause();
          setTimeout(() => res.resume(), wait);
        }
      });
    });
    req.on('close', () => resolve({ received, ms: Date.now() - t0 }));
  });
  return { headed: () => headed, done };
}

/** A full-speed download, hashed; rejects after `ms` with a clear message instead of waiting forever. */
function freshDownload(url: string, ms: number): Promise<{ status: number; complete: boolean; bytes: number; sha256: string; headMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    let headMs = -1;
    const hash = createHash('sha256');
    let bytes = 0;
    const req = http.get(url, { agent: false });
    const timer = setTimeout(() => {
      req.destroy();
      reject(
        new Error(
          `a fresh client's download did not finish within ${ms / 1000} s (${headMs < 0 ? 'no response head: waiting for an S3 socket' : `${bytes} bytes`}): slow readers hold the S3 pool`,
        ),
      );
    }, ms);
    req.on('error', () => undefined);
    req.on('response', (res) => {
      headMs = Date.now() - t0;
      res.on('data', (c: Buffer) => {
        hash.update(c);
        bytes += c.length;
      });
      res.on('error', () => undefined);
      res.on('close', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, complete: res.complete, bytes, sha256: hash.digest('hex'), headMs });
      });
    });
  });
}

describe(`slow readers on an S3 pool of ${POOL} sockets`, () => {
  let server: LoadServer;
  before(async () => {
    server = await startLoadServer({
      localRoot: fixtures.localRoot,
      s3Prefix: fixtures.s3Prefix,
      maxSockets: POOL,
      resume: { releaseAfterMs: RELEASE_AFTER_MS, slowBelowBytesPerSecond: FLOOR },
    });
  });
  after(async () => {
    await server?.stop();
  });

  test(`with ${TRICKLE} readers below the floor rate, a fresh client's full download completes byte-exact`, async (t) => {
    await server.reset();
    const stop = new AbortController();
    const readers = Array.from({ length: TRICKLE }, (_, i) => trickleReader(server.url, i, stop.signal));
    // Let them take the pool and fill their sockets (at least as many answered as there are sockets).
    const deadline = Date.now() + 30_000;
    while (readers.filter((r) => r.headed()).length < POOL && Date.now() < deadline) await sleep(100);
    await sleep(3 * RELEASE_AFTER_MS);
    const headedBefore = readers.filter((r) => r.headed()).length;
    const during = await server.stats();
    const t0 = Date.now();
    let download: Awaited<ReturnType<typeof freshDownload>> | undefined;
    let failure: Error | undefined;
    try {
      download = await freshDownload(`${server.url}/s3/${s3.key}?fresh`, 60_000);
    } catch (err) {
      failure = err as Error;
    }
    const freshSeconds = (Date.now() - t0) / 1000;
    const headedAll = readers.filter((r) => r.headed()).length;
    stop.abort();
    const trickled = await Promise.all(readers.map((r) => r.done));
    const settled = await server.settle((s) => s.s3.busy === 0 && s.s3.queued === 0, 15_000);

    const rates = trickled.filter((r) => r.ms > 0).map((r) => r.received / (r.ms / 1000) / KiB);
    figure(t, NAME, 'slow readers', TRICKLE, 'clients');
    figure(t, NAME, 'slow readers answered before the fresh client started', headedBefore, 'clients');
    figure(t, NAME, 'slow readers answered by the end', headedAll, 'clients');
    figure(t, NAME, 'slow readers: mean read rate', Math.round(rates.reduce((a, b) => a + b, 0) / Math.max(1, rates.length)), 'KiB/s');
    figure(t, NAME, 'S3 sockets busy when the fresh client started', during.s3.busy, 'sockets');
    figure(t, NAME, 'S3 requests queued for a socket when the fresh client started', during.s3.queued, 'requests');
    figure(t, NAME, 'fresh client: response head after', download ? download.headMs / 1000 : -1, 's');
    figure(t, NAME, 'fresh client: whole 64 MiB download', freshSeconds, 's');

    if (failure) throw failure;
    assert.equal(download?.status, 200);
    assert.equal(download?.complete, true);
    assert.equal(download?.bytes, s3.size);
    assert.equal(download?.sha256, s3.sha256, 'byte-exact');
    assert.equal(settled.s3.busy, 0, 'S3 sockets still busy after every client left');
    assert.equal(settled.s3.queued, 0, 'S3 requests still queued after every client left');
  });
});
