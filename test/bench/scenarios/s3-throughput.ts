// s3-throughput: a 1 GiB (× scale) object downloaded through the library (stream mode) vs a direct
// GetObject by a client of the same config in this process; best of 3 each, in alternation. Also
// (no target) the library vs a bare GetObject → pipeline(Body, res) in the same server process: the
// direct GetObject has no second Node process on the path, so that ratio isolates the library's cost.
// The server's CPU seconds per GiB sent, library vs bare pipe (same process, timed runs only).
import { bestThroughput, httpArm } from '../lib/client';
import type { BenchChild } from '../lib/child';
import type { BenchContext } from '../lib/context';
import { directGet } from '../lib/direct-get';
import { metric } from '../lib/report';
import { benchS3Client } from '../lib/s3env';

const NAME = 's3-throughput';
const GiB = 1024 ** 3;

type Arm = ReturnType<typeof httpArm>;

/** `arm`, adding the server's CPU seconds and the bytes of each timed (unhashed) run to `total`. */
function withCpu(arm: Arm, server: BenchChild, total: { seconds: number; bytes: number }): Arm {
  return {
    name: arm.name,
    run: async (hash) => {
      const before = (await server.rss()).cpuSeconds;
      const r = await arm.run(hash);
      if (!hash) {
        total.seconds += (await server.rss()).cpuSeconds - before;
        total.bytes += r.bytes;
      }
      return r;
    },
  };
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
  try {
    const libCpu = { seconds: 0, bytes: 0 };
    const pipeCpu = { seconds: 0, bytes: 0 };
    const [libMBps, directMBps, pipeMBps] = await bestThroughput(
      [
        withCpu(httpArm('library', `${lib.url}/s3/${obj.key}`), lib, libCpu),
        direct,
        withCpu(httpArm('bare pipe in server', `${lib.url}/__pipe/${obj.key}`), lib, pipeCpu),
      ],
      expected,
      3,
      ctx.log,
    );
    ctx.emit(metric(NAME, 'throughput', libMBps ?? 0, 'MB/s', { baseline: directMBps, target: { on: 'ratio', op: '>=', limit: 0.85 } }));
    ctx.emit(metric(NAME, 'throughput_vs_bare_pipe', libMBps ?? 0, 'MB/s', { baseline: pipeMBps }));
    const perGiB = (c: { seconds: number; bytes: number }): number => (c.seconds * GiB) / c.bytes;
    ctx.log(`  server CPU per GiB: library ${perGiB(libCpu).toFixed(2)} s, bare pipe ${perGiB(pipeCpu).toFixed(2)} s`);
    ctx.emit(metric(NAME, 'cpu_seconds_per_gib', perGiB(libCpu), 's', { baseline: perGiB(pipeCpu), target: { on: 'ratio', op: '<=', limit: 1.05 } }));
  } finally {
    client.destroy();
    await lib.stop();
  }
}
