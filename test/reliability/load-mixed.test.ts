// 200 concurrent clients (× RELIABILITY_SCALE) for 60 s, each sending a seeded mix of HEAD,
// `bytes=0-1` probes, random ranges (a-b, a-, -n) and full GETs over local and S3 files of
// 1 KiB … 64 MiB, against the server in its own process. Every response must be a complete 2xx
// with the right headers and bytes (exact compare up to 1 MiB, sha256 above), and the server's
// results must add up to what the clients got.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { deterministicRange, sha256OfRange } from '../support/s3';
import { createFixtures, figure, KiB, MiB, percentile, prng, scaled, startLoadServer, type Fixture, type Fixtures, type LoadServer } from './support/load-kit';

const NAME = 'load-mixed';
const CLIENTS = scaled(200, 8);
const SECONDS = scaled(60, 5);
const SMALL = MiB; // bodies up to this are compared byte by byte and timed to the last byte
const sizes = [KiB, 64 * KiB + 1, MiB - 1, scaled(16, 2) * MiB, scaled(64, 4) * MiB];
const files: Fixture[] = (['local', 's3'] as const).flatMap((storage) =>
  sizes.map((size, i) => ({ storage, key: `file-${i}.bin`, seed: `${NAME}-${storage}-${i}`, size })),
);
let fixtures: Fixtures;
let server: LoadServer;

before(async () => {
  fixtures = await createFixtures(NAME, files);
  server = await startLoadServer({ localRoot: fixtures.localRoot, s3Prefix: fixtures.s3Prefix, maxSockets: 50 });
});
after(async () => {
  await server?.stop();
  await fixtures?.remove();
});

type Kind = 'head' | 'probe' | 'range' | 'full';
interface Planned {
  kind: Kind;
  file: Fixture;
  range?: string;
  start: number;
  end: number;
}

/** One request of the mix: HEAD 20 %, probe 20 %, range 35 % (a-b, a-, -n; log-uniform length), full GET 25 %. */
function plan(rng: () => number): Planned {
  const file = files[Math.floor(rng() * files.length)]!;
  const last = file.size - 1;
  const r = rng();
  if (r < 0.2) return { kind: 'head', file, start: 0, end: last };
  if (r < 0.4) return { kind: 'probe', file, range: 'bytes=0-1', start: 0, end: 1 };
  if (r < 0.75) {
    const length = Math.max(1, Math.floor(Math.exp(rng() * Math.log(file.size))));
    const form = rng();
    if (form < 0.2) return { kind: 'range', file, range: `bytes=-${length}`, start: file.size - length, end: last };
    if (form < 0.4) return { kind: 'range', file, range: `bytes=${file.size - length}-`, start: file.size - length, end: last };
    const start = Math.floor(rng() * (file.size - length + 1));
    return { kind: 'range', file, range: `bytes=${start}-${start + length - 1}`, start, end: start + length - 1 };
  }
  return { kind: 'full', file, start: 0, end: last };
}

interface Done {
  status: number;
  /** ms to the last byte (small bodies, HEAD) or to the first body byte (big bodies). */
  latencyMs: number;
  big: boolean;
  bytes: number;
  problem?: string;
}

/** Sends `p`, checks status, headers, completeness and every byte. */
function send(p: Planned, url: string, agent: http.Agent): Promise<Done> {
  const length = p.end - p.start + 1;
  const head = p.kind === 'head';
  const big = !head && length > SMALL;
  return new Promise((resolve) => {
    const t0 = performance.now();
    let firstByte = 0;
    const req = http.request(url, { method: head ? 'HEAD' : 'GET', agent, headers: p.range ? { Range: p.range } : {}, timeout: 120_000 });
    req.on('timeout', () => req.destroy(new Error('no bytes for 120 s')));
    req.on('error', (err) => resolve({ status: 0, latencyMs: 0, big, bytes: 0, problem: `${err.message}` }));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      const hash = createHash('sha256');
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        firstByte ||= performance.now();
        bytes += c.length;
        if (big) hash.update(c);
        else chunks.push(c);
      });
      res.on('error', () => {});
      res.on('close', () => {
        const latencyMs = (big ? firstByte : performance.now()) - t0;
        const status = res.statusCode ?? 0;
        const done = (problem?: string): void => resolve({ status, latencyMs, big, bytes, problem });
        const want = p.range ? 206 : 200;
        const range = p.range ? `bytes ${p.start}-${p.end}/${p.file.size}` : undefined;
        if (status !== want) return done(`status ${status}, expected ${want}`);
        if (!res.complete) return done(`incomplete after ${bytes} bytes`);
        if (res.headers['content-length'] !== String(length)) return done(`Content-Length ${res.headers['content-length']}`);
        if (res.headers['content-range'] !== range) return done(`Content-Range ${res.headers['content-range']}`);
        if (head) return done(bytes === 0 ? undefined : `HEAD with ${bytes} body bytes`);
        if (bytes !== length) return done(`${bytes} of ${length} bytes`);
        if (!big) return done(Buffer.concat(chunks).equals(deterministicRange(p.file.seed, p.file.size, p.start, p.end)) ? undefined : 'wrong bytes');
        const got = hash.digest('hex');
        const expected = p.kind === 'full' && p.file.sha256 ? Promise.resolve(p.file.sha256) : sha256OfRange(p.file.seed, p.file.size, p.start, p.end);
        void expected.then((want256) => done(got === want256 ? undefined : 'wrong sha256'));
      });
    });
    req.end();
  });
}

test(`${CLIENTS} clients mixing HEAD, probes, ranges and full GETs for ${SECONDS} s: every answer complete and exact`, async (t) => {
  const started = Date.now();
  const base = await server.reset();
  const clientCpu = process.cpuUsage();
  const clientLoop = monitorEventLoopDelay({ resolution: 10 });
  clientLoop.enable();
  const deadline = Date.now() + SECONDS * 1000;
  const done: (Done & { kind: Kind; storage: string; url: string })[] = [];
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      const rng = prng(0x3a11 + c);
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      for (let n = 0; Date.now() < deadline; n++) {
        const p = plan(rng);
        const path = `/${p.file.storage}/${p.file.key}?c=${c}&n=${n}`;
        done.push({ ...(await send(p, server.url + path, agent)), kind: p.kind, storage: p.file.storage, url: path });
      }
      agent.destroy();
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  const cpu = process.cpuUsage(clientCpu);
  clientLoop.disable();
  const settled = await server.settle((s) => s.results >= s.arrived && s.s3.busy === 0 && s.s3.queued === 0, 15_000);
  const { arrived, results } = await server.results();

  const problems = done.filter((d) => d.problem).map((d) => `${d.url} (${d.kind}): ${d.problem}`);
  const fivexx = done.filter((d) => d.status >= 500).length;
  const incomplete = done.filter((d) => d.problem !== undefined && (d.status === 0 || d.problem.startsWith('incomplete'))).length;
  const bodyBytes = done.reduce((n, d) => n + d.bytes, 0);
  const logged = Object.values(settled.bytesSent).reduce((n, b) => n + b, 0);
  const notCompleted = results.filter((r) => r.outcome !== 'completed').map((r) => `${r.url}: ${r.outcome} ${r.status} ${r.error ?? ''}`);
  const latencies = (big: boolean): number[] =>
    done
      .filter((d) => d.big === big && !d.problem)
      .map((d) => d.latencyMs)
      .sort((a, b) => a - b);
  const small = latencies(false);
  const bigs = latencies(true);

  figure(t, NAME, 'clients', CLIENTS, 'clients');
  figure(t, NAME, 'requests', done.length, 'requests');
  figure(t, NAME, 'throughput', done.length / seconds, 'requests/s');
  figure(t, NAME, 'body throughput', bodyBytes / seconds / 1e6, 'MB/s');
  for (const kind of ['head', 'probe', 'range', 'full'] as const) figure(t, NAME, `${kind} requests`, done.filter((d) => d.kind === kind).length, 'requests');
  figure(t, NAME, 'small (≤ 1 MiB, HEAD) time to last byte p50', percentile(small, 50), 'ms');
  figure(t, NAME, 'small (≤ 1 MiB, HEAD) time to last byte p99', percentile(small, 99), 'ms');
  figure(t, NAME, 'big (> 1 MiB) time to first byte p50', percentile(bigs, 50), 'ms');
  figure(t, NAME, 'big (> 1 MiB) time to first byte p99', percentile(bigs, 99), 'ms');
  for (const storage of ['local', 's3']) {
    const own = done
      .filter((d) => d.storage === storage && !d.big && !d.problem)
      .map((d) => d.latencyMs)
      .sort((a, b) => a - b);
    figure(t, NAME, `${storage}: small time to last byte p99`, percentile(own, 99), 'ms');
  }
  figure(t, NAME, 'server CPU', (settled.cpuMs - base.cpuMs) / 10 / seconds, '% of a core');
  figure(t, NAME, 'server event-loop delay p99', settled.loopDelayMs.p99, 'ms');
  figure(t, NAME, 'clients (test process) CPU', (cpu.user + cpu.system) / 1e4 / seconds, '% of a core');
  figure(t, NAME, 'clients (test process) event-loop delay p99', clientLoop.percentile(99) / 1e6, 'ms');
  figure(t, NAME, 'machine load average, 1 min, at the end', loadavg()[0] ?? NaN, 'runnable');
  figure(t, NAME, '5xx responses', fivexx, 'responses');
  figure(t, NAME, 'incomplete responses', incomplete, 'responses');
  figure(t, NAME, 'wrong or failed responses', problems.length, 'responses');
  figure(t, NAME, 'S3 sockets busy after the run', settled.s3.busy, 'sockets');
  figure(t, NAME, 'load duration', seconds, 's');

  assert.equal(fivexx, 0, '5xx responses');
  assert.deepEqual(problems.slice(0, 20), [], `${problems.length} wrong, incomplete or failed responses`);
  assert.equal(arrived.length, done.length, 'every request reached the app');
  assert.equal(results.length, done.length, 'one DeliveryResult per request');
  assert.deepEqual(notCompleted.slice(0, 20), [], 'results other than completed');
  assert.equal(logged, bodyBytes, 'bytesSent over all results equals the body bytes the clients received');
  assert.equal(settled.s3.busy, 0, 'S3 sockets still busy');
});
