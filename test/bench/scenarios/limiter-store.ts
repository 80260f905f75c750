// limiter-store: what the public new-download limit's store costs. The public enclosure route
// (limiter-server.ts, its own process) with the limit in memory vs in PostgreSQL
// (postgresLimitStore on a throwaway local cluster, test/support/postgres.ts), under podcast-app
// traffic: 16 keep-alive clients in a closed loop, each playing listeners one after the other;
// a listener (a fresh X-Forwarded-For address, one of 200 episodes) sends a HEAD, a bytes=0-1
// probe and six 16 KiB range GETs of a 128 KiB file, so every GET is one limit check. Two rounds
// per arm in rotating order, 10 s × scale (at least 2 s) each; the figure is the request rate
// over both rounds, the PostgreSQL arm's with the memory arm's as baseline (ratio). Checks: every
// answer is 200/206 with the asked bytes (nothing refused: the limit is set above the load).
import http from 'node:http';
import { get } from '../lib/client';
import type { BenchContext } from '../lib/context';
import { metric } from '../lib/report';
import { startChild, type BenchChild } from '../lib/child';
import { startTestPostgres } from '../../support/postgres';

const NAME = 'limiter-store';
const SIZE = 128 * 1024;
const CLIENTS = 16;
const RANGE = 16 * 1024;

interface Arm {
  name: 'memory' | 'postgres';
  child: BenchChild;
  requests: number;
  ms: number;
  errors: number;
  firstError?: string;
}

/** One listener's requests: HEAD, a 2-byte probe, six 16 KiB ranges. */
function listenerRequests(): { method: 'GET' | 'HEAD'; range?: string; status: number; bytes: number }[] {
  const ranges = Array.from({ length: 6 }, (_, i) => ({
    method: 'GET' as const,
    range: `bytes=${i * RANGE}-${(i + 1) * RANGE - 1}`,
    status: 206,
    bytes: RANGE,
  }));
  return [{ method: 'HEAD', status: 200, bytes: 0 }, { method: 'GET', range: 'bytes=0-1', status: 206, bytes: 2 }, ...ranges];
}

async function round(arm: Arm, seconds: number, listenerBase: { next: number }): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const n = listenerBase.next++;
      const ip = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
      const url = `${arm.child.url}/station/alpha/public/podcast/1/episode/${n % 200}/download.mp3`;
      for (const r of listenerRequests()) {
        const headers: http.OutgoingHttpHeaders = { 'x-forwarded-for': ip, 'user-agent': 'AppleCoreMedia/1.0.0', ...(r.range ? { range: r.range } : {}) };
        const res = await get(url, { method: r.method, agent, headers, timeoutMs: 10_000 }).catch((err: unknown) => err as Error);
        arm.requests++;
        const why =
          res instanceof Error ? res.message : res.status !== r.status || res.bytes !== r.bytes ? `status ${res.status}, ${res.bytes} bytes` : undefined;
        if (why) {
          arm.errors++;
          arm.firstError ??= why;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, worker));
  arm.ms += performance.now() - t0;
  agent.destroy();
}

export async function run(ctx: BenchContext): Promise<void> {
  const file = await ctx.file('limiter/episode.mp3', SIZE);
  const seconds = Math.max(2, 10 * ctx.scale);
  const cluster = await startTestPostgres();
  const arms: Arm[] = [];
  try {
    const env = { BENCH_LIMIT_ROOT: ctx.mediaRoot, BENCH_LIMIT_FILE: file.key, DATABASE_URL: cluster.url() };
    for (const name of ['memory', 'postgres'] as const) {
      arms.push({ name, child: await startChild(`limiter-${name}`, 'limiter-server.ts', { ...env, BENCH_LIMIT_STORE: name }), requests: 0, ms: 0, errors: 0 });
    }
    const listeners = { next: 1 };
    for (const arm of arms) await round(arm, 1, listeners); // warm-up: JIT, pool connections, the table's first pages
    for (const arm of arms) Object.assign(arm, { requests: 0, ms: 0 });
    for (let r = 0; r < 2; r++) {
      for (const arm of r % 2 ? [...arms].reverse() : arms) {
        ctx.log(`${NAME}: ${arm.name} round ${r + 1}, ${seconds} s`);
        await round(arm, seconds, listeners);
      }
    }
  } finally {
    for (const arm of arms) await arm.child.stop();
    await cluster.destroy();
  }
  for (const arm of arms) {
    if (arm.errors > 0) throw new Error(`${NAME}: ${arm.name}: ${arm.errors} bad answers, first: ${arm.firstError}`);
  }
  const [memory, postgres] = arms as [Arm, Arm];
  const rps = (a: Arm): number => a.requests / (a.ms / 1000);
  ctx.emit(metric(NAME, 'podcast_rps@memory', rps(memory), 'req/s'));
  ctx.emit(metric(NAME, 'podcast_rps@postgres', rps(postgres), 'req/s', { baseline: rps(memory) }));
}
