// s3-throughput: a 1 GiB (× scale) object downloaded through the library (stream mode) vs a direct
// GetObject by a client of the same config in this process; best of 3 each, in alternation. Also
// (no target) the library vs a bare GetObject → pipeline(Body, res) in the same server process: the
// direct GetObject has no second Node process on the path, so that ratio isolates the library's cost.
// The server's CPU seconds per GiB sent, library vs bare pipe (same process, timed runs only), and,
// reported only beside it: the npm package s3proxy (s3proxy-server.ts, its own process) and nginx
// proxying a presigned URL with no app in front (lib/presigned-nginx.ts; master + workers from
// /proc/<pid>/stat), each with the bare pipe as the baseline. Those two arms join the same rotation
// and checks (hashed warm-up, byte count of every timed run).
import type { S3Client } from '@aws-sdk/client-s3';
import type { NginxInstance } from '../../support/nginx';
import { bestThroughput, httpArm } from '../lib/client';
import { startChild, type BenchChild } from '../lib/child';
import type { BenchContext } from '../lib/context';
import { directGet } from '../lib/direct-get';
import { nginxProcesses, presignedUrl, startPresignedNginx } from '../lib/presigned-nginx';
import { procCpuSeconds } from '../lib/proc-rss';
import { metric, notRun } from '../lib/report';
import { benchS3Client, type S3Env } from '../lib/s3env';

const NAME = 's3-throughput';
const GiB = 1024 ** 3;

type Arm = ReturnType<typeof httpArm>;
interface CpuTotal {
  seconds: number;
  bytes: number;
}

const perGiB = (c: CpuTotal): number => (c.seconds * GiB) / c.bytes;

/** CPU seconds of a bench child since its last reset, as its sampler reports them. */
function childCpu(c: BenchChild): () => Promise<number> {
  return async () => (await c.rss()).cpuSeconds;
}

/** `arm`, adding the CPU seconds `cpu()` counts over each timed (unhashed) run, and its bytes, to `total`. */
function withCpu(arm: Arm, cpu: () => Promise<number> | number, total: CpuTotal): Arm {
  return {
    name: arm.name,
    run: async (hash) => {
      const before = await cpu();
      const r = await arm.run(hash);
      if (!hash) {
        total.seconds += (await cpu()) - before;
        total.bytes += r.bytes;
      }
      return r;
    },
  };
}

/** nginx proxying a presigned URL for `key`, its CPU (master + workers) counted into `total`. */
async function presignedArm(nginx: NginxInstance, env: S3Env, client: S3Client, key: string, total: CpuTotal): Promise<Arm> {
  const pids = await nginxProcesses(nginx.dir);
  if (!pids.length) throw new Error(`nginx in ${nginx.dir}: master or workers not found`);
  const url = await presignedUrl(nginx.url, client, env.cfg.bucket, key);
  return withCpu(httpArm('nginx presigned', url), () => procCpuSeconds(pids), total);
}

/** The four CPU-per-GiB lines: the library's (target) and the two report-only comparisons, all against the bare pipe. */
function emitCpu(ctx: BenchContext, cpu: Record<'lib' | 'pipe' | 's3proxy' | 'nginx', CpuTotal>, nginxRan: boolean): void {
  const pipe = perGiB(cpu.pipe);
  const nginx = nginxRan ? `${perGiB(cpu.nginx).toFixed(2)} s` : 'not run';
  ctx.log(
    `  server CPU per GiB: library ${perGiB(cpu.lib).toFixed(2)} s, bare pipe ${pipe.toFixed(2)} s, ` +
      `s3proxy ${perGiB(cpu.s3proxy).toFixed(2)} s, nginx presigned ${nginx}`,
  );
  ctx.emit(metric(NAME, 'cpu_seconds_per_gib', perGiB(cpu.lib), 's', { baseline: pipe, target: { on: 'ratio', op: '<=', limit: 1.05 } }));
  ctx.emit(metric(NAME, 'cpu_seconds_per_gib_s3proxy', perGiB(cpu.s3proxy), 's', { baseline: pipe }));
  ctx.emit(
    nginxRan
      ? metric(NAME, 'cpu_seconds_per_gib_nginx_presigned', perGiB(cpu.nginx), 's', { baseline: pipe })
      : notRun(NAME, 'cpu_seconds_per_gib_nginx_presigned', 's', 'S3 endpoint is not plain HTTP'),
  );
}

export async function run(ctx: BenchContext): Promise<void> {
  const obj = await ctx.object('gig');
  const env = await ctx.s3();
  const expected = { bytes: obj.size, sha256: await obj.sha256() };
  const lib = await ctx.server('library', { storages: { s3: { kind: 's3' } }, pipe: true });
  const client = benchS3Client(env.cfg);
  const direct = {
    name: 'direct GetObject',
    run: async (hash: boolean) => {
      const r = await directGet(client, env.cfg.bucket, obj.key, { hash });
      return { bytes: r.bytes, ms: r.ms, sha256: r.sha256 };
    },
  };
  let s3proxy: BenchChild | undefined;
  let nginx: NginxInstance | undefined;
  try {
    const none = (): CpuTotal => ({ seconds: 0, bytes: 0 });
    const cpu = { lib: none(), pipe: none(), s3proxy: none(), nginx: none() };
    s3proxy = await startChild('s3proxy', 's3proxy-server.ts', {}); // S3_* env: set by ctx.s3()
    const arms = [
      withCpu(httpArm('library', `${lib.url}/s3/${obj.key}`), childCpu(lib), cpu.lib),
      direct,
      withCpu(httpArm('bare pipe in server', `${lib.url}/__pipe/${obj.key}`), childCpu(lib), cpu.pipe),
      withCpu(httpArm('s3proxy', `${s3proxy.url}/${obj.key}`), childCpu(s3proxy), cpu.s3proxy),
    ];
    if (env.cfg.endpoint.startsWith('http:')) {
      nginx = await startPresignedNginx(env.cfg.endpoint); // proxy_pass http:// only
      arms.push(await presignedArm(nginx, env, client, obj.key, cpu.nginx));
    } else {
      ctx.log(`  nginx presigned arm skipped: ${env.cfg.endpoint} is not plain HTTP`);
    }
    const [libMBps, directMBps, pipeMBps] = await bestThroughput(arms, expected, 3, ctx.log);
    ctx.emit(metric(NAME, 'throughput', libMBps ?? 0, 'MB/s', { baseline: directMBps, target: { on: 'ratio', op: '>=', limit: 0.85 } }));
    ctx.emit(metric(NAME, 'throughput_vs_bare_pipe', libMBps ?? 0, 'MB/s', { baseline: pipeMBps }));
    emitCpu(ctx, cpu, nginx !== undefined);
  } finally {
    client.destroy();
    await nginx?.stop();
    await s3proxy?.stop();
    await lib.stop();
  }
}
