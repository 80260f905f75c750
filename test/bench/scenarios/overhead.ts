// overhead: what access control and logging add per request. A 4 KiB file, in one server process
// (station-server.ts) and one localStorage object, served three ways:
//   bare        a fileHandler route, no authentication, no permission check, no log
//   noop sink   createStationFiles media(): passport (X-API-Key strategy) + staticPermissions +
//               helmet (its default) + request id + a no-op onDownload sink
//   jsonl sink  the same with jsonLinesLog to a file
// 16 keep-alive clients in a closed loop for 5 s (× scale, at least 1 s) per arm, 3 rounds in
// rotating order after a 1 s warm-up per arm; latencies pool over the rounds. Reported: p50/p99 per
// arm against bare, the added p50/p99 in ms (target: added p50 ≤ 1 ms), requests/s, and the added
// server time per request implied by the request rates (1/rps − 1/rps_bare: what 16 clients queue
// on). Checks: every answer is 200 with 4096 bytes (the first 32 per arm byte-for-byte), requests
// without or with a wrong key get 401, and the JSON lines log holds one line per request it served.
import http from 'node:http';
import path from 'node:path';
import { deterministicRange } from '../../support/s3';
import { get, percentile } from '../lib/client';
import type { BenchContext, Fixture } from '../lib/context';
import { settledLineCount } from '../lib/logfile';
import { metric } from '../lib/report';
import { BENCH_API_KEY, BENCH_STATION, type StationServerSpec } from '../lib/storages';

const NAME = 'overhead';
const CLIENTS = 16;
const SIZE = 4096;
const ROUNDS = 3;

interface Arm {
  name: string;
  tag: string;
  url: string;
  headers: http.OutgoingHttpHeaders;
  lat: number[];
  rps: number[];
  requests: number;
  errors: number;
  firstError?: string;
}

/** 16 clients in a closed loop on `arm` for `seconds`; latencies are kept when `record`. */
async function load(arm: Arm, file: Fixture, seconds: number, record: boolean): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
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
      const r = await get(arm.url, { agent, headers: arm.headers, keepBody: check, timeoutMs: 10_000 }).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
      let why: string | undefined;
      if (r instanceof Error) why = r.message;
      else if (r.status !== 200 || r.bytes !== SIZE || !r.complete) why = `status ${r.status}, ${r.bytes} bytes`;
      else if (check && !r.body?.equals(expected)) why = 'wrong bytes';
      if (why) {
        arm.errors++;
        arm.firstError ??= why;
      } else {
        ok++;
        if (record && !(r instanceof Error)) lat.push(r.totalMs);
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, worker));
  const elapsed = (performance.now() - t0) / 1000;
  agent.destroy();
  if (record) {
    arm.lat.push(...lat);
    arm.rps.push(ok / elapsed);
  }
}

export async function run(ctx: BenchContext): Promise<void> {
  const file = await ctx.file('overhead/small-4k.mp3', SIZE);
  const logFile = path.join(ctx.runDir, 'overhead-downloads.jsonl');
  const spec: StationServerSpec = {
    storages: { media: { kind: 'local', root: path.join(ctx.mediaRoot, 'overhead') } },
    files: { f4k: { storage: 'media', key: 'small-4k.mp3', filename: 'small-4k.mp3' } },
    mounts: [{ at: '/noop', router: 'media', log: 'noop' }, { at: '/jsonl', router: 'media', log: 'jsonl' }],
    logFile,
    bare: '/bare',
  };
  const app = await ctx.stationServer('station-files (overhead)', spec);
  try {
    const mediaPath = `/station/${BENCH_STATION}/file/f4k/play`;
    const key = { 'x-api-key': BENCH_API_KEY };
    const arm = (name: string, tag: string, url: string, headers: http.OutgoingHttpHeaders): Arm =>
      ({ name, tag, url, headers, lat: [], rps: [], requests: 0, errors: 0 });
    const arms = [
      arm('bare fileHandler', 'bare', `${app.url}/bare/media/small-4k.mp3`, {}),
      arm('createStationFiles, no-op sink', 'noop-sink', `${app.url}/noop${mediaPath}`, key),
      arm('createStationFiles, jsonLinesLog', 'jsonl-sink', `${app.url}/jsonl${mediaPath}`, key),
    ];
    for (const [headers, what] of [[{}, 'no key'], [{ 'x-api-key': 'wrong' }, 'a wrong key']] as const) {
      const r = await get(`${app.url}/noop${mediaPath}`, { headers });
      if (r.status !== 401) throw new Error(`a request with ${what} got ${r.status}, not 401: access control is not in the path`);
    }
    const seconds = Math.max(1, 5 * ctx.scale);
    for (const a of arms) await load(a, file, 1, false);
    ctx.log(`  ${CLIENTS} keep-alive clients, ${seconds} s per arm × ${ROUNDS} rounds, ${SIZE}-byte file`);
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < arms.length; k++) {
        const a = arms[(k + round) % arms.length]!;
        const before = a.lat.length;
        await load(a, file, seconds, true);
        const lat = a.lat.slice(before);
        ctx.log(`  ${a.name} round ${round + 1}: ${a.rps.at(-1)?.toFixed(0)} req/s, p50 ${percentile(lat, 50).toFixed(2)} ms, p99 ${percentile(lat, 99).toFixed(2)} ms`);
      }
    }
    const [bare, ...controlled] = arms;
    const p = (a: Arm, q: number): number => percentile(a.lat, q);
    const rps = (a: Arm): number => Math.max(...a.rps);
    for (const a of controlled) {
      ctx.emit(metric(NAME, `p50_latency@${a.tag}`, p(a, 50), 'ms', { baseline: p(bare!, 50) }));
      ctx.emit(metric(NAME, `p99_latency@${a.tag}`, p(a, 99), 'ms', { baseline: p(bare!, 99) }));
      ctx.emit(metric(NAME, `added_p50@${a.tag}`, p(a, 50) - p(bare!, 50), 'ms', { target: { on: 'value', op: '<=', limit: 1 } }));
      ctx.emit(metric(NAME, `added_p99@${a.tag}`, p(a, 99) - p(bare!, 99), 'ms'));
      ctx.emit(metric(NAME, `rps@${a.tag}`, rps(a), 'req/s', { baseline: rps(bare!) }));
      ctx.emit(metric(NAME, `added_server_time@${a.tag}`, 1000 / rps(a) - 1000 / rps(bare!), 'ms'));
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
