// seek: time to first body byte through the library (S3 stream mode) for `Range: bytes=<95% of size>-`
// vs `bytes=0-` on the 2 GiB (× scale) object; median of 9 each, alternating which goes first.
// Each probe stops after the first chunk, which is checked against the deterministic content.
import { deterministicRange } from '../../support/s3';
import { get, median, sleep } from '../lib/client';
import type { BenchContext, Fixture } from '../lib/context';
import { metric } from '../lib/report';

const NAME = 'seek';
const RUNS = 9;

async function probe(url: string, obj: Fixture, start: number): Promise<number> {
  const r = await get(url, { headers: { range: `bytes=${start}-` }, firstChunkOnly: true });
  const want = `bytes ${start}-${obj.size - 1}/${obj.size}`;
  if (r.status !== 206 || r.headers['content-range'] !== want || !r.firstChunk) {
    throw new Error(`bytes=${start}-: status ${r.status}, content-range ${r.headers['content-range']} (want ${want})`);
  }
  if (!r.firstChunk.equals(deterministicRange(obj.seed, obj.size, start, start + r.firstChunk.length - 1))) {
    throw new Error(`bytes=${start}-: first ${r.firstChunk.length} bytes are not the object's bytes at ${start}`);
  }
  await sleep(20); // let the server tear the aborted S3 read down before the next probe
  return r.ttfbMs;
}

export async function run(ctx: BenchContext): Promise<void> {
  const obj = await ctx.object('big');
  const lib = await ctx.server('library', { storages: { s3: { kind: 's3' } } });
  const url = `${lib.url}/s3/${obj.key}`;
  const far = Math.floor(obj.size * 0.95);
  try {
    await probe(url, obj, 0);
    await probe(url, obj, far);
    const near: number[] = [];
    const deep: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      if (i % 2 === 0) {
        near.push(await probe(url, obj, 0));
        deep.push(await probe(url, obj, far));
      } else {
        deep.push(await probe(url, obj, far));
        near.push(await probe(url, obj, 0));
      }
    }
    ctx.log(`  bytes=0-: ${near.map((x) => x.toFixed(1)).join(' ')} ms`);
    ctx.log(`  bytes=${far}-: ${deep.map((x) => x.toFixed(1)).join(' ')} ms`);
    ctx.emit(metric(NAME, 'ttfb', median(deep), 'ms', { baseline: median(near), target: { on: 'ratio', op: '<=', limit: 1.25 } }));
  } finally {
    await lib.stop();
  }
}
