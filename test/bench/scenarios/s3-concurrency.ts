// s3-concurrency: 32 (× scale, at least 4) concurrent downloads of a 1 GiB (× scale) object through
// the library (stream mode): the server's peak RSS growth, and every body's sha256.
import { rssGrowth } from '../lib/child';
import { expectBody, get, sleep } from '../lib/client';
import { MiB, type BenchContext } from '../lib/context';
import { metric } from '../lib/report';

const NAME = 's3-concurrency';

export async function run(ctx: BenchContext): Promise<void> {
  const count = Math.max(4, Math.round(32 * ctx.scale));
  const obj = await ctx.object('gig');
  const warm = await ctx.object('warm');
  const expected = await obj.sha256();
  const lib = await ctx.server('library', { storages: { s3: { kind: 's3' } } });
  expectBody('warm-up', await get(`${lib.url}/s3/${warm.key}`, { hash: true }), 200, warm.size, await warm.sha256());
  await sleep(200);
  const before = await lib.resetRss();
  ctx.log(`  ${count} × ${(obj.size / MiB).toFixed(0)} MiB at once`);
  const t0 = performance.now();
  const results = await Promise.all(Array.from({ length: count }, () => get(`${lib.url}/s3/${obj.key}`, { hash: true }).catch((err: unknown) => err as Error)));
  const wallMs = performance.now() - t0;
  await sleep(150);
  const after = await lib.rss();
  await lib.stop();
  let ok = 0;
  let bytes = 0;
  for (const [i, r] of results.entries()) {
    if (r instanceof Error) {
      ctx.log(`  download ${i}: ${r.message}`);
      continue;
    }
    bytes += r.bytes;
    try {
      expectBody(`download ${i}`, r, 200, obj.size, expected);
      ok++;
    } catch (err) {
      ctx.log(`  ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const growth = rssGrowth(before, after);
  ctx.log(`  ${growth.text}; outcomes ${JSON.stringify(after.outcomes)}`);
  ctx.emit(metric(NAME, 'rss_growth', growth.mib, 'MiB', { target: { on: 'value', op: '<=', limit: 96 } }));
  ctx.emit(metric(NAME, 'checksums_ok', ok, 'count', { target: { on: 'value', op: '==', limit: count } }));
  ctx.emit(metric(NAME, 'aggregate_throughput', bytes / 1e6 / (wallMs / 1000), 'MB/s'));
}
