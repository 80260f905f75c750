// s3-ttfb: time to first body byte of the library's S3 stream mode vs a direct GetObject (same client
// config, in this process) on objects of 16 MiB, 256 MiB, 1 GiB and 2 GiB (× scale), two ways: `whole`
// (no Range, cut after the first chunk) and `probe` (`Range: bytes=0-1`, as players ask first, read whole).
// Median of max(5, 15 × scale) rounds, alternating which arm goes first; every answer is checked.
// Every request of both arms is on a fresh connection, as a podcast app's first probe is: the
// client's to the library, and the direct client's to S3 (its agent keeps no connection alive).
// The library answers probes of an object read within the last second from its head cache (the
// default); a third arm, `uncached` (`headCache.ms: 0`), measures every probe asking S3, as the
// first probe of an episode no one opened for a second does (report only).
import http from 'node:http';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { get, median, percentile, sleep } from '../lib/client';
import { type BenchContext, type Fixture, MiB } from '../lib/context';
import { directGet } from '../lib/direct-get';
import { metric } from '../lib/report';
import { deterministicRange, s3ClientSettings, type S3TestConfig } from '../../support/s3';

const NAME = 's3-ttfb';
const CASES = ['whole', 'probe'] as const;
type Case = (typeof CASES)[number];
/** Times one request (ms to the first body byte); throws when the answer is wrong. */
type Arm = (obj: Fixture, c: Case) => Promise<number>;

/** Throws unless `chunk` is the object's first bytes. */
function expectStart(what: string, obj: Fixture, chunk: Buffer | undefined): void {
  if (!chunk?.length || !chunk.equals(deterministicRange(obj.seed, obj.size, 0, chunk.length - 1))) {
    throw new Error(`${what}: the first body bytes are not the object's first bytes (${chunk?.length ?? 0} bytes)`);
  }
}

function libraryArm(base: string, storage: string): Arm {
  return async (obj, c) => {
    const url = `${base}/${storage}/${obj.key}`;
    const what = `library (${storage}) ${c} ${obj.key}`;
    if (c === 'whole') {
      const r = await get(url, { firstChunkOnly: true });
      if (r.status !== 200 || r.headers['content-length'] !== String(obj.size)) {
        throw new Error(`${what}: status ${r.status}, Content-Length ${r.headers['content-length']} (want 200, ${obj.size})`);
      }
      expectStart(what, obj, r.firstChunk);
      await sleep(20); // let the server tear the cut S3 read down before the next request
      return r.ttfbMs;
    }
    const r = await get(url, { headers: { range: 'bytes=0-1' }, keepBody: true });
    const want = `bytes 0-1/${obj.size}`;
    if (r.status !== 206 || r.headers['content-range'] !== want || !r.complete) {
      throw new Error(`${what}: status ${r.status}, Content-Range ${r.headers['content-range']}, complete ${r.complete} (want 206, ${want}, complete)`);
    }
    if (!r.body?.equals(deterministicRange(obj.seed, obj.size, 0, 1))) throw new Error(`${what}: body is not the object's bytes 0-1 (${r.bytes} bytes)`);
    return r.ttfbMs;
  };
}

/** The direct arm's client: the bench's S3 settings, a new connection per request. */
function freshConnectionClient(cfg: S3TestConfig): S3Client {
  return new S3Client({
    ...s3ClientSettings(cfg),
    requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: false }) }),
  });
}

function directArm(client: S3Client, bucket: string): Arm {
  return async (obj, c) => {
    const whole = c === 'whole';
    const what = `direct ${c} ${obj.key}`;
    const r = await directGet(client, bucket, obj.key, whole ? { firstOnly: true } : { range: 'bytes=0-1' });
    if (r.status !== (whole ? 200 : 206) || (!whole && (r.bytes !== 2 || !r.complete))) {
      throw new Error(`${what}: status ${r.status}, ${r.bytes} bytes, complete ${r.complete}`);
    }
    expectStart(what, obj, r.firstChunk);
    if (whole) await sleep(20);
    return r.ttfbMs;
  };
}

export async function run(ctx: BenchContext): Promise<void> {
  const env = await ctx.s3();
  const objects: [string, Fixture][] = [
    ['16m', await ctx.objectOfSize('m16', ctx.scaled(16 * MiB))],
    ['256m', await ctx.object('m256')],
    ['1g', await ctx.object('gig')],
    ['2g', await ctx.object('big')],
  ];
  const runs = Math.max(5, Math.round(15 * ctx.scale));
  const lib = await ctx.server('library', { storages: { s3: { kind: 's3' }, uncached: { kind: 's3', headCacheMs: 0 } } });
  const client = freshConnectionClient(env.cfg);
  const arms: [string, Arm][] = [
    ['library', libraryArm(lib.url, 's3')],
    ['uncached', libraryArm(lib.url, 'uncached')],
    ['direct', directArm(client, env.cfg.bucket)],
  ];
  // The uncached arm differs from the library only in probes.
  const armsFor = (c: Case, order: [string, Arm][]): [string, Arm][] => order.filter(([name]) => name !== 'uncached' || c === 'probe');
  const times = new Map<string, number[]>(); // key: `${arm} ${object} ${case}`
  try {
    for (const [, obj] of objects) for (const c of CASES) for (const [, arm] of armsFor(c, arms)) await arm(obj, c); // warm-up, untimed
    for (let i = 0; i < runs; i++) {
      for (const [tag, obj] of objects) {
        for (const c of CASES) {
          for (const [name, arm] of armsFor(c, i % 2 === 0 ? arms : [...arms].reverse())) {
            const key = `${name} ${tag} ${c}`;
            times.set(key, [...(times.get(key) ?? []), await arm(obj, c)]);
          }
        }
      }
    }
  } finally {
    client.destroy();
    await lib.stop();
  }
  for (const [tag, obj] of objects) {
    for (const c of CASES) {
      const [l, d] = [times.get(`library ${tag} ${c}`) ?? [], times.get(`direct ${tag} ${c}`) ?? []];
      const fmt = (xs: number[]): string => `median ${median(xs).toFixed(1)} ms, p90 ${percentile(xs, 90).toFixed(1)} ms`;
      ctx.log(`  ${tag} (${Math.round(obj.size / MiB)} MiB) ${c}: library ${fmt(l)}; direct ${fmt(d)}`);
      ctx.emit(metric(NAME, `ttfb_${c}_${tag}`, median(l), 'ms', { baseline: median(d), target: { on: 'ratio', op: '<=', limit: 1.25 } }));
    }
    const u = times.get(`uncached ${tag} probe`) ?? [];
    ctx.log(`  ${tag} probe, head cache off: ${median(u).toFixed(1)} ms (p90 ${percentile(u, 90).toFixed(1)} ms)`);
    ctx.emit(metric(NAME, `ttfb_probe_uncached_${tag}`, median(u), 'ms', { baseline: median(times.get(`direct ${tag} probe`) ?? []) }));
  }
}
