// seek: time to first body byte through the library (S3 stream mode) for `Range: bytes=<95% of size>-`
// vs `bytes=0-` on the 2 GiB (× scale) object; median of 9 each, alternating which goes first.
// Each probe stops after the first chunk, which is checked against the deterministic content.
// The same two ranges are also asked of S3 directly (GetObject by a client of the same config in this
// process), so a far-offset cost that is S3's own shows as such: `direct_ttfb` (S3's far vs near) and
// `ttfb_vs_direct_far` (the library's far seek vs S3's, i.e. the hop through the app).
import type { S3Client } from '@aws-sdk/client-s3';
import { deterministicRange } from '../../support/s3';
import { get, median, sleep } from '../lib/client';
import type { BenchContext, Fixture } from '../lib/context';
import { directGet } from '../lib/direct-get';
import { metric } from '../lib/report';
import { benchS3Client } from '../lib/s3env';

const NAME = 'seek';
const RUNS = 9;

function checkFirst(obj: Fixture, start: number, chunk: Buffer | undefined): void {
  if (!chunk?.equals(deterministicRange(obj.seed, obj.size, start, start + chunk.length - 1))) {
    throw new Error(`bytes=${start}-: the first bytes are not the object's bytes at ${start}`);
  }
}

async function probe(url: string, obj: Fixture, start: number): Promise<number> {
  const r = await get(url, { headers: { range: `bytes=${start}-` }, firstChunkOnly: true });
  const want = `bytes ${start}-${obj.size - 1}/${obj.size}`;
  if (r.status !== 206 || r.headers['content-range'] !== want) {
    throw new Error(`bytes=${start}-: status ${r.status}, content-range ${r.headers['content-range']} (want ${want})`);
  }
  checkFirst(obj, start, r.firstChunk);
  await sleep(20); // let the server tear the aborted S3 read down before the next probe
  return r.ttfbMs;
}

async function probeDirect(client: S3Client, bucket: string, obj: Fixture, start: number): Promise<number> {
  const r = await directGet(client, bucket, obj.key, { range: `bytes=${start}-`, firstOnly: true });
  checkFirst(obj, start, r.firstChunk);
  await sleep(20);
  return r.ttfbMs;
}

export async function run(ctx: BenchContext): Promise<void> {
  const obj = await ctx.object('big');
  const env = await ctx.s3();
  const client = benchS3Client(env.cfg);
  const lib = await ctx.server('library', { storages: { s3: { kind: 's3' } } });
  const url = `${lib.url}/s3/${obj.key}`;
  const far = Math.floor(obj.size * 0.95);
  const arms: [string, (start: number) => Promise<number>][] = [
    ['library', (start) => probe(url, obj, start)],
    ['direct', (start) => probeDirect(client, env.cfg.bucket, obj, start)],
  ];
  try {
    const t: Record<string, { near: number[]; deep: number[] }> = {};
    for (const [name, fn] of arms) {
      await fn(0);
      await fn(far);
      t[name] = { near: [], deep: [] };
    }
    for (let i = 0; i < RUNS; i++) {
      for (const [name, fn] of i % 2 === 0 ? arms : [...arms].reverse()) {
        const rec = t[name] as { near: number[]; deep: number[] };
        if (i % 2 === 0) {
          rec.near.push(await fn(0));
          rec.deep.push(await fn(far));
        } else {
          rec.deep.push(await fn(far));
          rec.near.push(await fn(0));
        }
      }
    }
    for (const [name] of arms) {
      const rec = t[name] as { near: number[]; deep: number[] };
      ctx.log(`  ${name} bytes=0-: ${rec.near.map((x) => x.toFixed(1)).join(' ')} ms`);
      ctx.log(`  ${name} bytes=${far}-: ${rec.deep.map((x) => x.toFixed(1)).join(' ')} ms`);
    }
    const lib9 = t.library as { near: number[]; deep: number[] };
    const dir9 = t.direct as { near: number[]; deep: number[] };
    ctx.emit(metric(NAME, 'ttfb', median(lib9.deep), 'ms', { baseline: median(lib9.near), target: { on: 'ratio', op: '<=', limit: 1.25 } }));
    ctx.emit(metric(NAME, 'direct_ttfb', median(dir9.deep), 'ms', { baseline: median(dir9.near) }));
    ctx.emit(metric(NAME, 'ttfb_vs_direct_far', median(lib9.deep), 'ms', { baseline: median(dir9.deep) }));
  } finally {
    client.destroy();
    await lib.stop();
  }
}
