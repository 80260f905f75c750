// accel-reports: what nginx's download reports cost. One station server (createStationFiles'
// podcasts() public enclosure route, local storage handed to nginx, a no-op sink) mounted twice:
// /on with createNginxReports (every hand-off's event waits for nginx's syslog line), /off without;
// one nginx from nginxConfig({ report }) in front of both (requests to /off carry no report header,
// so nginx sends no line for them). Random 64 KiB ranges (autocannon, 16 connections, rounds in
// alternating order) and full downloads of the 1 GiB file, on vs off in the same run.
import type { BenchContext } from '../lib/context';
import { bestThroughput, get, httpArm, sleep } from '../lib/client';
import { metric } from '../lib/report';
import { BENCH_STATION, type StationServerSpec } from '../lib/storages';
import { freePort } from '../../support/nginx';
import { probe, rangeLoad, type Arm } from './local-files';

const NAME = 'accel-reports';
const ROUNDS = 3;
const SECRET = 'bench-report-secret-0123456789';

interface Stats {
  reported: number;
  timedOut: number;
  overflowed: number;
  pending: number;
  forged: number;
  garbled: number;
}

export async function run(ctx: BenchContext): Promise<void> {
  const file = await ctx.localFile();
  const listen = `127.0.0.1:${await freePort()}`;
  const storages = { local: { kind: 'local' as const, root: ctx.mediaRoot, accelPrefix: '/_station_files/local' } };
  const spec: StationServerSpec = {
    storages,
    files: { f1: { storage: 'local', key: file.key, filename: file.key } },
    mounts: [
      { at: '/on', router: 'podcasts', log: 'noop', reports: true, noPublicRateLimit: true },
      { at: '/off', router: 'podcasts', log: 'noop', noPublicRateLimit: true },
    ],
    reports: { listen, secret: SECRET },
  };
  const app = await ctx.stationServer('station-files (reports)', spec);
  const nginx = await ctx.nginx(Number(new URL(app.url).port), { storages }, 'keepalive_requests 1000000;\n', { address: listen, secret: SECRET });
  const path = `/station/${BENCH_STATION}/public/podcast/p1/episode/f1/download.bin`;
  const on: Arm = { name: 'accel, reports on', key: 'on', url: `${nginx.url}/on${path}`, delivery: 'accel' };
  const off: Arm = { name: 'accel, reports off', key: 'off', url: `${nginx.url}/off${path}`, delivery: 'accel' };
  try {
    const seconds = Math.max(2, 10 * ctx.scale);
    ctx.log(`  random 64 KiB ranges: autocannon, 16 connections, ${seconds} s per arm × ${ROUNDS} rounds`);
    const rps = new Map<Arm, number[]>([
      [on, []],
      [off, []],
    ]);
    let errors = 0;
    for (const arm of [on, off]) errors += (await probe(arm, file)).length;
    for (let round = 0; round < ROUNDS; round++) {
      for (const arm of round % 2 ? [off, on] : [on, off]) {
        const r = await rangeLoad(arm, file, seconds);
        errors += r.errors;
        rps.get(arm)?.push(r.rps);
        ctx.log(
          `  round ${round + 1}, ${arm.name}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, ${r.errors} errors${r.first ? ` (first: ${r.first})` : ''}`,
        );
      }
    }
    const mean = (xs: number[] = []): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    ctx.emit(
      metric(NAME, 'range_rps_reports_on', mean(rps.get(on)), 'req/s', { baseline: mean(rps.get(off)), target: { on: 'ratio', op: '>=', limit: 0.95 } }),
    );
    const [onMbs = 0, offMbs = 0] = await bestThroughput(
      [httpArm(on.name, on.url), httpArm(off.name, off.url)],
      { bytes: file.size, sha256: await file.sha256() },
      3,
      ctx.log,
    );
    ctx.emit(metric(NAME, 'throughput_reports_on', onMbs, 'MB/s', { baseline: offMbs, target: { on: 'ratio', op: '>=', limit: 0.95 } }));
    ctx.emit(metric(NAME, 'range_errors', errors, 'count', { target: { on: 'value', op: '==', limit: 0 } }));
    await sleep(1000);
    const stats = (await get(`${app.url}/__bench/reports`, { keepBody: true })).body?.toString('utf8') ?? 'null';
    const s = JSON.parse(stats) as Stats;
    ctx.log(`  receiver: ${stats}`);
    ctx.emit(metric(NAME, 'reports_received', s.reported, 'count'));
    // Still waiting: requests autocannon cut at the end of a run before nginx read the app's hand-off
    // (nginx logged a 499 in location /, no report): at most one per connection and run; they would be
    // emitted at the receiver's timeout, marked. Reported, not a target.
    ctx.emit(metric(NAME, 'reports_waiting_after_load', s.pending, 'count'));
    ctx.emit(metric(NAME, 'reports_lost', s.timedOut + s.overflowed + s.forged + s.garbled, 'count', { target: { on: 'value', op: '==', limit: 0 } }));
  } finally {
    await nginx.stop();
    await app.stop();
  }
}
