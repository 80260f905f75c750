// podcast-fleet: the podcast-pattern load (50 listeners at once: HEAD, bytes=0-1, sequential
// 1 MiB ranges through a 32 MiB × scale episode) through nginx in front of one station server vs
// in front of two (nginxConfig({ app: [a, b] }), round robin), the same processes in both arms:
// the public enclosure route, local storage handed to nginx, a jsonLinesLog sink per instance.
// 3 rounds per arm, alternating which goes first; requests/s is the best round. On one machine
// the instances and nginx share its cores, so the ratio shows what a second process buys here,
// not what a second server would. Every answer is checked (see podcast-pattern).
import path from 'node:path';
import { percentile } from '../lib/client';
import { MiB, type BenchContext, type Fixture } from '../lib/context';
import { settledLineCount } from '../lib/logfile';
import { metric } from '../lib/report';
import { BENCH_STATION, type StationServerSpec } from '../lib/storages';
import { LISTENERS, pass, type Pass } from './podcast-pattern';

const NAME = 'podcast-fleet';
const ROUNDS = 3;

function summary(passes: Pass[]): { rps: number; p99: number; errors: number; requests: number } {
  return {
    rps: Math.max(...passes.map((p) => p.requests / p.seconds)),
    p99: percentile(
      passes.flatMap((p) => [...p.lat.small, ...p.lat.range]),
      99,
    ),
    errors: passes.reduce((a, p) => a + p.errors.length, 0),
    requests: passes.reduce((a, p) => a + p.requests, 0),
  };
}

/**
 * Runs the scenario: two station servers, nginx in front of the first alone and in front of both.
 *
 * @example
 * await run(ctx); // emits podcast-fleet rps (2 instances, baseline 1 instance), p99_latency, errors, events_logged
 */
export async function run(ctx: BenchContext): Promise<void> {
  const size = ctx.scaled(32 * MiB);
  const file = await ctx.file('podcast/episode.mp3', size);
  const storages: StationServerSpec['storages'] = {
    podcasts: { kind: 'local', root: path.join(ctx.mediaRoot, 'podcast'), accelPrefix: '/_station_files/podcasts' },
  };
  const spec = (n: number): StationServerSpec => ({
    storages,
    files: { e1: { storage: 'podcasts', key: 'episode.mp3', filename: 'episode.mp3' } },
    mounts: [{ at: '/', router: 'podcasts', log: 'jsonl' }],
    logFile: path.join(ctx.runDir, `podcast-fleet-${n}.jsonl`),
  });
  const servers = [await ctx.stationServer('station-files #1', spec(1)), await ctx.stationServer('station-files #2', spec(2))];
  const ports = servers.map((s) => Number(new URL(s.url).port));
  const route = `/station/${BENCH_STATION}/public/podcast/p1/episode/e1/download.mp3`;
  const arms = [
    { name: '1 instance', nginx: await ctx.nginx(ports[0] as number, { storages }), passes: [] as Pass[] },
    { name: '2 instances', nginx: await ctx.nginx(ports, { storages }), passes: [] as Pass[] },
  ];
  try {
    await measure(
      ctx,
      arms,
      route,
      file,
      [1, 2].map((n) => spec(n).logFile as string),
    );
  } finally {
    for (const arm of arms) await arm.nginx.stop();
    for (const s of servers) await s.stop();
  }
}

interface Arm {
  name: string;
  nginx: { url: string };
  passes: Pass[];
}

/** Warm-up, then ROUNDS alternating passes per arm; emits the figures. */
async function measure(ctx: BenchContext, arms: Arm[], route: string, file: Fixture, logFiles: string[]): Promise<void> {
  let sent = 0;
  for (const arm of arms) {
    const warm = await pass(arm.nginx.url + route, file, 1);
    if (warm.errors.length) throw new Error(`${arm.name} warm-up: ${warm.errors[0]}`);
    sent += warm.requests;
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < arms.length; k++) {
      const arm = arms[(k + round) % arms.length] as Arm;
      const p = await pass(arm.nginx.url + route, file, LISTENERS);
      arm.passes.push(p);
      sent += p.requests;
      ctx.log(
        `  ${arm.name} round ${round + 1}: ${(p.requests / p.seconds).toFixed(0)} req/s${p.errors.length ? `, ${p.errors.length} errors (${p.errors[0]})` : ''}`,
      );
    }
  }
  const [one, two] = arms.map((a) => summary(a.passes)) as [ReturnType<typeof summary>, ReturnType<typeof summary>];
  ctx.emit(metric(NAME, 'rps', two.rps, 'req/s', { baseline: one.rps }));
  ctx.emit(metric(NAME, 'p99_latency', two.p99, 'ms', { baseline: one.p99 }));
  ctx.emit(metric(NAME, 'errors', two.errors, 'count', { baseline: one.errors, target: { on: 'value', op: '==', limit: 0 } }));
  const logged = (await Promise.all(logFiles.map(settledLineCount))).reduce((a, n) => a + n, 0);
  ctx.emit(metric(NAME, 'events_logged', logged, 'count', { target: { on: 'value', op: '==', limit: sent } }));
}
