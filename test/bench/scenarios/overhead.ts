// overhead: what access control and logging add per request. A 4 KiB file, in one server process
// (station-server.ts) and one localStorage object, served three ways:
//   bare        a fileHandler route, no authentication, no permission check, no log
//   noop sink   createStationFiles media(): passport (X-API-Key strategy) + staticPermissions +
//               helmet (its default) + request id + a no-op onDownload sink
//   jsonl sink  the same with jsonLinesLog to a file
// Two loads, each after a 1 s warm-up per arm, 3 rounds per arm in rotating order (a b c, b c a,
// c a b); latencies pool over the rounds:
//   c1   unloaded: 1 client, one request after the other on one keep-alive connection, 3 s
//        (× scale, at least 1 s) per arm and round. Nothing queues, so the added latency is the
//        added work per request. The target applies here: added p50 ≤ 1 ms (both sinks).
//   c16  saturated: 16 keep-alive clients in a closed loop, 5 s (× scale, at least 1 s) per arm
//        and round. Reported only, no target: on a CPU-bound server each request waits behind
//        the other 15, so the added latency there is queueing (up to 16 × the added server time),
//        not the cost of one request. The request rates give that cost: added_server_time =
//        1/rps − 1/rps_bare.
// Metric names carry the load: p50_latency@noop-sink/c1, added_p50@jsonl-sink/c16, … (latency
// lines have the bare arm's figure as baseline). Checks: every answer is 200 with 4096 bytes (the
// first 32 per arm and load byte-for-byte), requests without or with a wrong key get 401, and the
// JSON lines log holds one line per request it served.
import http from 'node:http';
import path from 'node:path';
import { deterministicRange } from '../../support/s3';
import { get, percentile } from '../lib/client';
import type { BenchContext, Fixture } from '../lib/context';
import { settledLineCount } from '../lib/logfile';
import { metric } from '../lib/report';
import { BENCH_API_KEY, BENCH_STATION, type StationServerSpec } from '../lib/storages';

const NAME = 'overhead';
const SIZE = 4096;
const ROUNDS = 3;
/** The two loads: clients in a closed loop, and seconds per arm and round at scale 1. */
const LOADS = [
  { tag: 'c1', clients: 1, seconds: 3, what: 'unloaded: 1 client, sequential requests on one keep-alive connection' },
  { tag: 'c16', clients: 16, seconds: 5, what: '16 keep-alive clients in a closed loop (saturated: added latency is queueing)' },
] as const;
type LoadTag = (typeof LOADS)[number]['tag'];

interface Samples {
  lat: number[];
  rps: number[];
}

interface Arm {
  name: string;
  tag: string;
  url: string;
  headers: http.OutgoingHttpHeaders;
  by: Record<LoadTag, Samples>;
  /** Every request sent (warm-ups too): the JSON lines log must hold as many lines. */
  requests: number;
  errors: number;
  firstError?: string;
}

/** `clients` clients in a closed loop on `arm` for `seconds`; latencies and the rate go to `into` when given. */
async function load(arm: Arm, file: Fixture, clients: number, seconds: number, into?: Samples): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const expected = deterministicRange(file.seed, file.size, 0, file.size - 1);
  let checked = 0;
  let ok = 0;
  const lat: number[] = [];
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const check = checked++ < 32;
      arm.requests++;
      const r = await get(arm.url, { agent, headers: arm.headers, keepBody: check, timeoutMs: 10_000 }).catch((err: unknown) =>
        err instanceof Error ? err : new Error(String(err)),
      );
      let why: string | undefined;
      if (r instanceof Error) why = r.message;
      else if (r.status !== 200 || r.bytes !== SIZE || !r.complete) why = `status ${r.status}, ${r.bytes} bytes`;
      else if (check && !r.body?.equals(expected)) why = 'wrong bytes';
      if (why) {
        arm.errors++;
        arm.firstError ??= why;
      } else {
        ok++;
        if (into && !(r instanceof Error)) lat.push(r.totalMs);
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, worker));
  const elapsed = (performance.now() - t0) / 1000;
  agent.destroy();
  if (into) {
    into.lat.push(...lat);
    into.rps.push(ok / elapsed);
  }
}

export async function run(ctx: BenchContext): Promise<void> {
  const file = await ctx.file('overhead/small-4k.mp3', SIZE);
  const logFile = path.join(ctx.runDir, 'overhead-downloads.jsonl');
  const spec: StationServerSpec = {
    storages: { media: { kind: 'local', root: path.join(ctx.mediaRoot, 'overhead') } },
    files: { f4k: { storage: 'media', key: 'small-4k.mp3', filename: 'small-4k.mp3' } },
    mounts: [
      { at: '/noop', router: 'media', log: 'noop' },
      { at: '/jsonl', router: 'media', log: 'jsonl' },
    ],
    logFile,
    bare: '/bare',
  };
  const app = await ctx.stationServer('station-files (overhead)', spec);
  try {
    const mediaPath = `/station/${BENCH_STATION}/file/f4k/play`;
    const key = { 'x-api-key': BENCH_API_KEY };
    const arm = (name: string, tag: string, url: string, headers: http.OutgoingHttpHeaders): Arm => ({
      name,
      tag,
      url,
      headers,
      by: { c1: { lat: [], rps: [] }, c16: { lat: [], rps: [] } },
      requests: 0,
      errors: 0,
    });
    const arms = [
      arm('bare fileHandler', 'bare', `${app.url}/bare/media/small-4k.mp3`, {}),
      arm('createStationFiles, no-op sink', 'noop-sink', `${app.url}/noop${mediaPath}`, key),
      arm('createStationFiles, jsonLinesLog', 'jsonl-sink', `${app.url}/jsonl${mediaPath}`, key),
    ];
    for (const [headers, what] of [
      [{}, 'no key'],
      [{ 'x-api-key': 'wrong' }, 'a wrong key'],
    ] as const) {
      const r = await get(`${app.url}/noop${mediaPath}`, { headers });
      if (r.status !== 401) throw new Error(`a request with ${what} got ${r.status}, not 401: access control is not in the path`);
    }
    const [bare, ...controlled] = arms as [Arm, ...Arm[]];
    for (const l of LOADS) {
      const seconds = Math.max(1, l.seconds * ctx.scale);
      for (const a of arms) await load(a, file, l.clients, 1);
      ctx.log(`  ${l.tag}, ${l.what}: ${seconds} s per arm × ${ROUNDS} rounds, ${SIZE}-byte file`);
      for (let round = 0; round < ROUNDS; round++) {
        for (let k = 0; k < arms.length; k++) {
          const a = arms[(k + round) % arms.length]!;
          const s = a.by[l.tag];
          const before = s.lat.length;
          await load(a, file, l.clients, seconds, s);
          const lat = s.lat.slice(before);
          ctx.log(
            `  ${l.tag} ${a.name} round ${round + 1}: ${s.rps.at(-1)?.toFixed(0)} req/s, p50 ${percentile(lat, 50).toFixed(3)} ms, p99 ${percentile(lat, 99).toFixed(3)} ms`,
          );
        }
      }
      const p = (a: Arm, q: number): number => percentile(a.by[l.tag].lat, q);
      const rps = (a: Arm): number => Math.max(...a.by[l.tag].rps);
      // The target is the unloaded figure; under saturation the added latency is queueing.
      const target = l.tag === 'c1' ? { target: { on: 'value', op: '<=', limit: 1 } as const } : {};
      for (const a of controlled) {
        const cell = `${a.tag}/${l.tag}`;
        ctx.emit(metric(NAME, `p50_latency@${cell}`, p(a, 50), 'ms', { baseline: p(bare, 50) }));
        ctx.emit(metric(NAME, `p99_latency@${cell}`, p(a, 99), 'ms', { baseline: p(bare, 99) }));
        ctx.emit(metric(NAME, `added_p50@${cell}`, p(a, 50) - p(bare, 50), 'ms', target));
        ctx.emit(metric(NAME, `added_p99@${cell}`, p(a, 99) - p(bare, 99), 'ms'));
        if (l.tag === 'c16') {
          ctx.emit(metric(NAME, `rps@${cell}`, rps(a), 'req/s', { baseline: rps(bare) }));
          ctx.emit(metric(NAME, `added_server_time@${cell}`, 1000 / rps(a) - 1000 / rps(bare), 'ms'));
        }
      }
    }
    const errors = arms.reduce((n, a) => n + a.errors, 0);
    if (errors) ctx.log(`  errors: ${arms.map((a) => `${a.name} ${a.errors}${a.firstError ? ` (${a.firstError})` : ''}`).join(', ')}`);
    ctx.emit(metric(NAME, 'errors', errors, 'count', { target: { on: 'value', op: '==', limit: 0 } }));
    const jsonl = arms[2]!;
    const logged = await settledLineCount(logFile);
    ctx.log(`  JSON lines log: ${logged} lines for ${jsonl.requests} requests`);
    ctx.emit(metric(NAME, 'events_logged', logged, 'count', { target: { on: 'value', op: '==', limit: jsonl.requests } }));
  } finally {
    await app.stop();
  }
}
