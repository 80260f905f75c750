// s3-memory: one 2 GiB (× scale) object streamed from S3 through the library (stream mode); the
// server's peak RSS growth over its idle baseline, against the buffering proxy for the same object.
// Also (no target) against a bare GetObject → pipeline(Body, res) in a fresh server process: Node's
// per-read Buffers pile up between GCs (tens of MiB), which is the floor any streaming server has;
// and against the same object fetched through Node's fetch (undici) from a presigned URL and piped
// (/__fetch/): the HTTP client the issue asked to compare, its RSS growth and server CPU per GiB.
import { rssGrowth, type BenchChild } from '../lib/child';
import { expectBody, get, mbps, sleep, type GetResult } from '../lib/client';
import { MiB, type BenchContext, type Fixture } from '../lib/context';
import { metric } from '../lib/report';

const NAME = 's3-memory';

/** Warms the server up on a small object, resets its RSS peak, downloads `obj`, returns the growth. */
async function measure(ctx: BenchContext, child: BenchChild, path: (key: string) => string, warm: Fixture, obj: Fixture) {
  expectBody(`${child.label} warm-up`, await get(child.url + path(warm.key), { hash: true }), 200, warm.size, await warm.sha256());
  await sleep(200);
  const before = await child.resetRss();
  const r: GetResult = await get(child.url + path(obj.key), { hash: true });
  await sleep(150); // one more sample after the last byte
  const after = await child.rss();
  const growth = rssGrowth(before, after);
  const cpuPerGiB = ((after.cpuSeconds - before.cpuSeconds) * 1024 ** 3) / Math.max(1, r.bytes);
  ctx.log(`  ${child.label}: ${growth.text}; ttfb ${r.ttfbMs.toFixed(0)} ms, ${mbps(r.bytes, r.totalMs).toFixed(0)} MB/s, CPU ${cpuPerGiB.toFixed(2)} s/GiB`);
  let ok = true;
  try {
    expectBody(child.label, r, 200, obj.size, await obj.sha256());
  } catch (err) {
    ctx.log(`  ${err instanceof Error ? err.message : String(err)}`);
    ok = false;
  }
  return { growth: growth.mib, ok, ttfb: r.ttfbMs, cpuPerGiB };
}

export async function run(ctx: BenchContext): Promise<void> {
  const obj = await ctx.object('big');
  const warm = await ctx.object('warm');
  await obj.sha256();
  const env = await ctx.s3();
  const lib = await ctx.server('library', { storages: { s3: { kind: 's3' } } });
  const libResult = await measure(ctx, lib, (k) => `/s3/${k}`, warm, obj);
  await lib.stop();
  const proxy = await ctx.proxy();
  const proxyResult = await measure(ctx, proxy, (k) => `/${k}`, warm, obj);
  await proxy.stop();
  const pipe = await ctx.server('bare pipe', { storages: {}, pipe: true });
  const pipeResult = await measure(ctx, pipe, (k) => `/__pipe/${k}`, warm, obj);
  await pipe.stop();
  const undici = await ctx.server('fetch (undici) pipe', { storages: {}, pipe: true });
  const fetchResult = await measure(ctx, undici, (k) => `/__fetch/${k}`, warm, obj);
  await undici.stop();
  ctx.log(`  object ${(obj.size / MiB).toFixed(0)} MiB from ${env.cfg.endpoint}`);
  ctx.emit(
    metric(NAME, 'rss_growth', libResult.growth, 'MiB', {
      baseline: proxyResult.growth,
      target: { on: 'value', op: '<=', limit: 32 },
    }),
  );
  ctx.emit(metric(NAME, 'rss_growth_vs_bare_pipe', libResult.growth, 'MiB', { baseline: pipeResult.growth }));
  ctx.emit(metric(NAME, 'rss_growth_undici_vs_bare_pipe', fetchResult.growth, 'MiB', { baseline: pipeResult.growth }));
  ctx.emit(metric(NAME, 'cpu_seconds_per_gib_undici_vs_bare_pipe', fetchResult.cpuPerGiB, 's', { baseline: pipeResult.cpuPerGiB }));
  ctx.emit(
    metric(NAME, 'checksums_ok', Number(libResult.ok) + Number(proxyResult.ok) + Number(pipeResult.ok) + Number(fetchResult.ok), 'count', {
      target: { on: 'value', op: '==', limit: 4 },
    }),
  );
  ctx.emit(metric(NAME, 'ttfb', libResult.ttfb, 'ms', { baseline: proxyResult.ttfb }));
}
