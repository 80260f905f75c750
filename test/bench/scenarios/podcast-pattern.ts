// podcast-pattern: 50 virtual podcast-app listeners at once, each on its own keep-alive connection,
// doing what players do with an enclosure: HEAD, then `Range: bytes=0-1`, then sequential 1 MiB
// ranges through a 32 MiB (× scale) episode. Through the library's public enclosure route
// (createStationFiles podcasts(), local storage handed to nginx with X-Accel-Redirect, nginx config
// from nginxConfig, a jsonLinesLog sink as a real panel would keep for podcast statistics) vs nginx
// serving the same file from a plain `alias`. 5 rounds per arm, alternating which goes first, after
// one untimed round of all 50 listeners per arm (a round lasts 1-2 s, and a cold first one, with the
// app's code not yet optimised and nginx's connections to it still being opened, had set the p99 of
// every round pooled); requests/s is the best round, latencies pool every timed round.
// Every answer's status, length and Content-Range are checked; one listener per pass compares
// every byte it gets with the episode's content.
import http from 'node:http';
import path from 'node:path';
import { deterministicRange } from '../../support/s3';
import { get, percentile } from '../lib/client';
import { MiB, type BenchContext, type Fixture } from '../lib/context';
import { settledLineCount } from '../lib/logfile';
import { nginxWorkers, procCpuSeconds } from '../lib/proc-rss';
import { metric } from '../lib/report';
import { BENCH_STATION, type StationServerSpec } from '../lib/storages';

const NAME = 'podcast-pattern';
export const LISTENERS = 50;
const RANGE = MiB;
const ROUNDS = 5;
const USER_AGENT = 'AppleCoreMedia/1.0.0.21A329 (iPhone; U; CPU OS 17_0 like Mac OS X; en_us)';

export interface Latencies {
  small: number[]; // HEAD and bytes=0-1
  range: number[]; // the 1 MiB ranges
}

export interface Pass {
  requests: number;
  bytes: number;
  seconds: number;
  errors: string[];
  lat: Latencies;
  /** CPU seconds used during the pass by the app server, nginx's workers and this client process. */
  cpu: { app: number; nginx: number; client: number };
}

/** Reads the CPU seconds the three parties have used so far. */
export type CpuProbe = () => Promise<{ app: number; nginx: number; client: number }>;

/** One listener: HEAD, bytes=0-1, then every RANGE-sized range in order. Returns requests made. */
async function listen(url: string, file: Fixture, verify: boolean, lat: Latencies, errors: string[]): Promise<{ requests: number; bytes: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const headers = { 'user-agent': USER_AGENT };
  let requests = 0;
  let bytes = 0;
  const fail = (why: string): void => {
    errors.push(why);
  };
  try {
    const head = await get(url, { method: 'HEAD', agent, headers, timeoutMs: 30_000 });
    requests++;
    lat.small.push(head.totalMs);
    if (head.status !== 200 || head.headers['content-length'] !== String(file.size))
      fail(`HEAD: status ${head.status}, content-length ${head.headers['content-length']}`);
    const probe = await get(url, { agent, headers: { ...headers, range: 'bytes=0-1' }, keepBody: verify, timeoutMs: 30_000 });
    requests++;
    bytes += probe.bytes;
    lat.small.push(probe.totalMs);
    if (probe.status !== 206 || probe.bytes !== 2 || probe.headers['content-range'] !== `bytes 0-1/${file.size}`) {
      fail(`bytes=0-1: status ${probe.status}, ${probe.bytes} bytes, content-range ${probe.headers['content-range']}`);
    } else if (verify && !probe.body?.equals(deterministicRange(file.seed, file.size, 0, 1))) fail('bytes=0-1: wrong bytes');
    for (let start = 0; start < file.size; start += RANGE) {
      const end = Math.min(file.size, start + RANGE) - 1;
      const r = await get(url, { agent, headers: { ...headers, range: `bytes=${start}-${end}` }, keepBody: verify, timeoutMs: 30_000 });
      requests++;
      bytes += r.bytes;
      lat.range.push(r.totalMs);
      if (r.status !== 206 || r.bytes !== end - start + 1 || !r.complete || r.headers['content-range'] !== `bytes ${start}-${end}/${file.size}`) {
        fail(`bytes=${start}-${end}: status ${r.status}, ${r.bytes} bytes, content-range ${r.headers['content-range']}`);
      } else if (verify && !r.body?.equals(deterministicRange(file.seed, file.size, start, end))) fail(`bytes=${start}-${end}: wrong bytes`);
    }
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  } finally {
    agent.destroy();
  }
  return { requests, bytes };
}

/**
 * One pass: `listeners` podcast-app listeners at once on `url` (the first compares every byte).
 *
 * @example
 * const p = await pass(`${nginx.url}/station/x/public/podcast/p1/episode/e1/download.mp3`, file, 50);
 */
export async function pass(url: string, file: Fixture, listeners: number, cpuProbe?: CpuProbe): Promise<Pass> {
  const lat: Latencies = { small: [], range: [] };
  const errors: string[] = [];
  const cpu0 = await cpuProbe?.();
  const t0 = performance.now();
  const done = await Promise.all(Array.from({ length: listeners }, (_v, i) => listen(url, file, i === 0, lat, errors)));
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = await cpuProbe?.();
  const used = (k: 'app' | 'nginx' | 'client'): number => (cpu0 && cpu1 ? cpu1[k] - cpu0[k] : Number.NaN);
  return {
    cpu: { app: used('app'), nginx: used('nginx'), client: used('client') },
    requests: done.reduce((a, d) => a + d.requests, 0),
    bytes: done.reduce((a, d) => a + d.bytes, 0),
    seconds,
    errors,
    lat,
  };
}

export async function run(ctx: BenchContext): Promise<void> {
  const size = ctx.scaled(32 * MiB);
  const file = await ctx.file('podcast/episode.mp3', size);
  const logFile = path.join(ctx.runDir, 'podcast-downloads.jsonl');
  const spec: StationServerSpec = {
    storages: { podcasts: { kind: 'local', root: path.join(ctx.mediaRoot, 'podcast'), accelPrefix: '/_station_files/podcasts' } },
    files: { e1: { storage: 'podcasts', key: 'episode.mp3', filename: 'episode.mp3' } },
    mounts: [{ at: '/', router: 'podcasts', log: 'jsonl' }],
    logFile,
  };
  const app = await ctx.stationServer('station-files (podcasts)', spec);
  const nginx = await ctx.nginx(Number(new URL(app.url).port), { storages: spec.storages });
  const workers = nginxWorkers(nginx.dir);
  const cpuProbe: CpuProbe = async () => {
    const own = process.cpuUsage();
    return { app: (await app.rss()).cpuSeconds, nginx: procCpuSeconds(workers), client: (own.user + own.system) / 1e6 };
  };
  try {
    const arms = [
      { name: 'enclosure via accel', url: `${nginx.url}/station/${BENCH_STATION}/public/podcast/p1/episode/e1/download.mp3`, passes: [] as Pass[] },
      { name: 'nginx direct', url: `${nginx.directUrl}/direct/${file.key}`, passes: [] as Pass[] },
    ];
    let sent = 0; // requests that reached the library (one DownloadEvent each)
    for (const arm of arms) {
      const warm = await pass(arm.url, file, LISTENERS);
      if (warm.errors.length) throw new Error(`${arm.name} warm-up: ${warm.errors[0]}`);
      if (arm === arms[0]) sent += warm.requests;
    }
    ctx.log(`  ${LISTENERS} listeners × (HEAD, bytes=0-1, ${Math.ceil(size / RANGE)} × ${RANGE / MiB} MiB) of a ${size / MiB} MiB episode, ${ROUNDS} rounds`);
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < arms.length; k++) {
        const arm = arms[(k + round) % arms.length]!;
        const p = await pass(arm.url, file, LISTENERS, cpuProbe);
        arm.passes.push(p);
        if (arm === arms[0]) sent += p.requests;
        ctx.log(
          `  ${arm.name} round ${round + 1}: ${(p.requests / p.seconds).toFixed(0)} req/s, ${(p.bytes / 1e6 / p.seconds).toFixed(0)} MB/s, ` +
            `p99 ${percentile([...p.lat.small, ...p.lat.range], 99).toFixed(1)} ms${p.errors.length ? `, ${p.errors.length} errors (${p.errors[0]})` : ''}`,
        );
      }
    }
    const stats = (passes: Pass[]) => {
      const all = passes.flatMap((p) => [...p.lat.small, ...p.lat.range]);
      return {
        rps: Math.max(...passes.map((p) => p.requests / p.seconds)),
        mbps: Math.max(...passes.map((p) => p.bytes / 1e6 / p.seconds)),
        p50: percentile(all, 50),
        p99: percentile(all, 99),
        p99Small: percentile(
          passes.flatMap((p) => p.lat.small),
          99,
        ),
        errors: passes.reduce((a, p) => a + p.errors.length, 0),
        // CPU milliseconds per request, over every round
        cpu: (k: 'app' | 'nginx' | 'client') => (1000 * passes.reduce((a, p) => a + p.cpu[k], 0)) / passes.reduce((a, p) => a + p.requests, 0),
      };
    };
    const [a, d] = [stats(arms[0]!.passes), stats(arms[1]!.passes)];
    ctx.emit(metric(NAME, 'rps', a.rps, 'req/s', { baseline: d.rps, target: { on: 'ratio', op: '>=', limit: 0.9 } }));
    ctx.emit(metric(NAME, 'p99_latency', a.p99, 'ms', { baseline: d.p99 }));
    ctx.emit(metric(NAME, 'p50_latency', a.p50, 'ms', { baseline: d.p50 }));
    ctx.emit(metric(NAME, 'p99_latency_head_and_probe', a.p99Small, 'ms', { baseline: d.p99Small }));
    ctx.emit(metric(NAME, 'throughput', a.mbps, 'MB/s', { baseline: d.mbps }));
    for (const k of ['app', 'nginx', 'client'] as const) ctx.emit(metric(NAME, `cpu_ms_per_request_${k}`, a.cpu(k), 'ms', { baseline: d.cpu(k) }));
    ctx.emit(metric(NAME, 'errors', a.errors, 'count', { baseline: d.errors, target: { on: 'value', op: '==', limit: 0 } }));
    const logged = await settledLineCount(logFile);
    ctx.log(`  download events logged: ${logged} for ${sent} requests to the enclosure route`);
    ctx.emit(metric(NAME, 'events_logged', logged, 'count', { target: { on: 'value', op: '==', limit: sent } }));
  } finally {
    await nginx.stop();
    await app.stop();
  }
}
