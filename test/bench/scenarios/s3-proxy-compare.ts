// s3-proxy-compare: S3 objects of 256 MiB, 1 GiB and 2 GiB (× scale) downloaded six ways, in
// rotating order, with the same S3 endpoint and credentials everywhere (and the same S3 client
// config, apart from s3proxy's, which builds its own client from the options it is given):
//   stream      the library (fileHandler, s3Storage stream mode) in its own server process
//   direct      a direct GetObject by a client of the same config in this process (no HTTP hop)
//   proxy       the naive buffering proxy (buffering-proxy.ts) in its own process
//   s3proxy     the npm package s3proxy@2.0.1 in Express (s3proxy-server.ts), its own process:
//               an existing streaming S3 proxy middleware (GetObject Body .pipe(res))
//   accel       the library's S3 accel (X-Accel-Redirect to a presigned URL) through nginx
//               (nginxConfig), the app in its own process
//   presigned   nginx proxying the same kind of presigned URL with no app in front: a plain
//               `location / { proxy_pass http://<S3>; }` server, the URL presigned here (SDK presigner)
// Per size: throughput (best of 3 runs below 1 GiB nominal, best of 2 from 1 GiB), time to first
// byte (median of 7 first-chunk probes; the proxy and s3proxy: median of their timed runs, since
// the proxy's first byte comes only after the whole object, and s3proxy's .pipe(res) does not
// destroy the S3 body when a client cuts the transfer, so probes would leave S3 connections open in
// the process being measured), and peak RSS growth of the server process (max over the timed
// runs; the library, the proxy and s3proxy are fresh processes per size). nginx workers' peak RSS
// growth is read through /proc for the two nginx arms. The first size is also downloaded once per
// arm with a sha256 check of the whole body, and one Range request goes through s3proxy (206,
// Content-Range and bytes checked: s3proxy_range_ok); every timed run checks status, length and
// first chunk.
import type { S3Client } from '@aws-sdk/client-s3';
import { deterministicRange } from '../../support/s3';
import { freePort } from '../../support/nginx';
import { rssGrowth, startChild, type BenchChild } from '../lib/child';
import { directGet } from '../lib/direct-get';
import { expectBody, get, mbps, median, sleep } from '../lib/client';
import { GiB, MiB, type BenchContext, type Fixture, type ObjectName } from '../lib/context';
import { presignedServer, presignedUrl } from '../lib/presigned-nginx';
import { procPeak, nginxWorkers, type ProcPeak } from '../lib/proc-rss';
import { metric, notRun } from '../lib/report';
import { benchS3Client } from '../lib/s3env';
import type { ServerSpec } from '../lib/storages';

const NAME = 's3-proxy-compare';
const SIZES: { object: ObjectName; nominal: number }[] = [
  { object: 'm256', nominal: 256 * MiB },
  { object: 'gig', nominal: GiB },
  { object: 'big', nominal: 2 * GiB },
];
const PROBES = 7;

type ArmName = 'stream' | 'direct' | 'proxy' | 's3proxy' | 'accel' | 'presigned';

interface Run {
  status: number;
  bytes: number;
  ms: number;
  ttfbMs: number;
  complete: boolean;
  firstChunk?: Buffer;
  sha256?: string;
  error?: string;
}

interface Arm {
  name: ArmName;
  run(obj: Fixture, hash: boolean): Promise<Run>;
  /** Time to the first body chunk of a request that is then cut (undefined: use the timed runs). */
  probe?(obj: Fixture): Promise<number>;
  /** The server process whose RSS counts (none for the direct GetObject). */
  child?: () => BenchChild;
  nginx?: ProcPeak;
}

const firstChunkOk = (obj: Fixture, chunk: Buffer | undefined): boolean =>
  chunk !== undefined && chunk.length > 0 && chunk.equals(deterministicRange(obj.seed, obj.size, 0, chunk.length - 1));

/** Throws unless a run is a whole, right answer (first chunk compared with the object's bytes). */
function check(arm: ArmName, obj: Fixture, r: Run, sha256?: string): void {
  const problems: string[] = [];
  if (r.status !== 200) problems.push(`status ${r.status}`);
  if (r.bytes !== obj.size) problems.push(`${r.bytes} bytes (want ${obj.size})`);
  if (!r.complete) problems.push(`incomplete${r.error ? `: ${r.error}` : ''}`);
  if (!firstChunkOk(obj, r.firstChunk)) problems.push("first chunk is not the object's first bytes");
  if (sha256 !== undefined && r.sha256 !== sha256) problems.push(`sha256 ${r.sha256?.slice(0, 12)}… (want ${sha256.slice(0, 12)}…)`);
  if (problems.length) throw new Error(`${arm}: ${problems.join(', ')}`);
}

function httpArm(name: ArmName, url: (obj: Fixture) => Promise<string> | string, extra: Partial<Arm> = {}): Arm {
  return {
    name,
    run: async (obj, hash) => {
      const r = await get(await url(obj), { hash });
      return { ...r, ms: r.totalMs, error: r.error?.message };
    },
    probe: async (obj) => {
      const r = await get(await url(obj), { firstChunkOnly: true });
      if (r.status !== 200 || !firstChunkOk(obj, r.firstChunk)) throw new Error(`${name} probe: status ${r.status}, wrong or no first chunk`);
      await sleep(20); // let the server tear the cut transfer down
      return r.ttfbMs;
    },
    ...extra,
  };
}

function directArm(client: S3Client, bucket: string): Arm {
  const fetch = (obj: Fixture, hash: boolean, firstOnly: boolean): Promise<Run> => directGet(client, bucket, obj.key, { hash, firstOnly });
  return {
    name: 'direct',
    run: (obj, hash) => fetch(obj, hash, false),
    probe: async (obj) => {
      const r = await fetch(obj, false, true);
      if (r.status !== 200 || !firstChunkOk(obj, r.firstChunk)) throw new Error(`direct probe: status ${r.status}, wrong or no first chunk`);
      await sleep(20);
      return r.ttfbMs;
    },
  };
}

/**
 * One Range request (a 64 KiB slice from the middle, or what there is) through `url`: 206, the
 * Content-Range and Content-Length it must have, and the object's bytes at that offset.
 */
async function checkRange(url: string, obj: Fixture): Promise<{ ok: boolean; text: string }> {
  const start = Math.floor(obj.size / 3);
  const end = Math.min(obj.size - 1, start + 64 * 1024 - 1);
  const r = await get(url, { headers: { Range: `bytes=${start}-${end}` }, keepBody: true });
  const problems: string[] = [];
  if (r.status !== 206) problems.push(`status ${r.status} (want 206)`);
  const want = `bytes ${start}-${end}/${obj.size}`;
  if (r.headers['content-range'] !== want) problems.push(`Content-Range ${r.headers['content-range'] ?? 'missing'} (want ${want})`);
  if (r.headers['content-length'] !== String(end - start + 1)) problems.push(`Content-Length ${r.headers['content-length'] ?? 'missing'}`);
  if (!r.complete) problems.push(`incomplete${r.error ? `: ${r.error.message}` : ''}`);
  if (!r.body?.equals(deterministicRange(obj.seed, obj.size, start, end))) problems.push(`${r.bytes} body bytes, not the object's bytes ${start}-${end}`);
  return problems.length
    ? { ok: false, text: `bytes=${start}-${end}: ${problems.join(', ')}` }
    : { ok: true, text: `bytes=${start}-${end}: 206, ${want}, ${r.bytes} bytes right` };
}

interface Measured {
  best: number;
  ttfbs: number[];
  probeTtfbs: number[];
  rss: number[];
  nginxRss: number[];
}

export async function run(ctx: BenchContext): Promise<void> {
  const env = await ctx.s3();
  const warm = await ctx.object('warm');
  const withAccel = env.cfg.endpoint.startsWith('http:'); // the shipped location proxies over plain HTTP
  const client = benchS3Client(env.cfg);
  const accelSpec: ServerSpec = { storages: { s3: { kind: 's3', accel: true } } };
  let accelApp: BenchChild | undefined;
  let nginx: Awaited<ReturnType<BenchContext['nginx']>> | undefined;
  let lib: BenchChild | undefined;
  let proxy: BenchChild | undefined;
  let s3proxy: BenchChild | undefined;
  let checksums = 0;
  let rangeOk = 0;
  let checked = 0;
  try {
    let presignedBase = '';
    let accelPeak: ProcPeak | undefined;
    let presignedPeak: ProcPeak | undefined;
    if (withAccel) {
      accelApp = await ctx.server('library (S3 accel)', accelSpec);
      const presignedPort = await freePort();
      nginx = await ctx.nginx(Number(new URL(accelApp.url).port), accelSpec, presignedServer(presignedPort, new URL(env.cfg.endpoint).host));
      presignedBase = `http://127.0.0.1:${presignedPort}`;
      const workers = nginxWorkers(nginx.dir);
      accelPeak = procPeak(workers);
      presignedPeak = procPeak(workers);
      if (!accelPeak.reset()) ctx.log(`  nginx workers ${workers.join(',') || '?'}: cannot reset their peak RSS; nginx figures are since start`);
    } else {
      ctx.log(`  accel arms skipped: ${env.cfg.endpoint} is not plain HTTP (the shipped location proxies over http://)`);
    }

    for (const [index, size] of SIZES.entries()) {
      const obj = await ctx.object(size.object);
      const label = `${Math.round(obj.size / MiB)}MiB`;
      const rounds = size.nominal >= GiB ? 2 : 3;
      lib = await ctx.server('library', { storages: { s3: { kind: 's3' } } });
      proxy = await ctx.proxy();
      s3proxy = await startChild('s3proxy', 's3proxy-server.ts', {}); // S3_* env: set by ctx.s3()
      const libChild = lib;
      const proxyChild = proxy;
      const s3proxyChild = s3proxy;
      for (const c of [libChild, proxyChild, s3proxyChild]) {
        const path = c === libChild ? `/s3/${warm.key}` : `/${warm.key}`;
        expectBody(`${c.label} warm-up`, await get(c.url + path, { hash: true }), 200, warm.size, await warm.sha256());
      }
      const arms: Arm[] = [
        httpArm('stream', (o) => `${libChild.url}/s3/${o.key}`, { child: () => libChild }),
        directArm(client, env.cfg.bucket),
        { ...httpArm('proxy', (o) => `${proxyChild.url}/${o.key}`, { child: () => proxyChild }), probe: undefined },
        { ...httpArm('s3proxy', (o) => `${s3proxyChild.url}/${o.key}`, { child: () => s3proxyChild }), probe: undefined },
      ];
      if (nginx && accelApp && accelPeak && presignedPeak) {
        const app = accelApp;
        const nginxUrl = nginx.url;
        arms.push(httpArm('accel', (o) => `${nginxUrl}/s3/${o.key}`, { child: () => app, nginx: accelPeak }));
        arms.push(httpArm('presigned', (o) => presignedUrl(presignedBase, client, env.cfg.bucket, o.key), { nginx: presignedPeak }));
      }
      const m = new Map<ArmName, Measured>(arms.map((a) => [a.name, { best: 0, ttfbs: [], probeTtfbs: [], rss: [], nginxRss: [] }]));

      if (index === 0) {
        const sha = await obj.sha256();
        for (const arm of arms) {
          checked++;
          try {
            check(arm.name, obj, await arm.run(obj, true), sha);
            checksums++;
          } catch (err) {
            ctx.log(`  ${err instanceof Error ? err.message : String(err)}`);
          }
        }
        const range = await checkRange(`${s3proxyChild.url}/${obj.key}`, obj);
        ctx.log(`  s3proxy Range: ${range.text}`);
        rangeOk = range.ok ? 1 : 0;
      }

      const probing = arms.filter((a) => a.probe);
      for (let i = 0; i < PROBES; i++) {
        for (let k = 0; k < probing.length; k++) {
          const arm = probing[(k + i) % probing.length]!;
          m.get(arm.name)!.probeTtfbs.push(await arm.probe!(obj));
        }
      }

      for (let round = 0; round < rounds; round++) {
        for (let k = 0; k < arms.length; k++) {
          const arm = arms[(k + round) % arms.length]!;
          const child = arm.child?.();
          const before = child ? await child.resetRss() : undefined;
          arm.nginx?.reset();
          const r = await arm.run(obj, false);
          if (child || arm.nginx) await sleep(150); // one more RSS sample after the last byte
          check(arm.name, obj, r);
          const rec = m.get(arm.name)!;
          const speed = mbps(r.bytes, r.ms);
          rec.best = Math.max(rec.best, speed);
          rec.ttfbs.push(r.ttfbMs);
          let note = '';
          if (child && before) {
            const g = rssGrowth(before, await child.rss());
            rec.rss.push(g.mib);
            note += `, ${child.label} RSS +${g.mib.toFixed(1)} MiB`;
          }
          if (arm.nginx) {
            const g = arm.nginx.growthMiB();
            rec.nginxRss.push(g);
            note += `, nginx workers +${g.toFixed(1)} MiB`;
          }
          ctx.log(`  ${label} ${arm.name} run ${round + 1}: ${speed.toFixed(1)} MB/s, ttfb ${r.ttfbMs.toFixed(1)} ms${note}`);
        }
      }
      await lib.stop();
      await proxy.stop();
      await s3proxy.stop();
      lib = proxy = s3proxy = undefined;

      const of = (a: ArmName): Measured => m.get(a) ?? { best: Number.NaN, ttfbs: [], probeTtfbs: [], rss: [], nginxRss: [] };
      const ttfb = (a: ArmName): number => {
        const x = of(a);
        return median(x.probeTtfbs.length ? x.probeTtfbs : x.ttfbs);
      };
      const maxOf = (xs: number[]): number => (xs.length ? Math.max(...xs) : Number.NaN);
      const [stream, direct, prox, s3p] = [of('stream'), of('direct'), of('proxy'), of('s3proxy')];
      ctx.emit(metric(NAME, `stream_throughput@${label}`, stream.best, 'MB/s', { baseline: direct.best, target: { on: 'ratio', op: '>=', limit: 0.85 } }));
      ctx.emit(metric(NAME, `stream_ttfb@${label}`, ttfb('stream'), 'ms', { baseline: ttfb('direct'), target: { on: 'ratio', op: '<=', limit: 1.25 } }));
      ctx.emit(
        metric(NAME, `stream_rss_growth@${label}`, maxOf(stream.rss), 'MiB', { baseline: maxOf(prox.rss), target: { on: 'value', op: '<=', limit: 32 } }),
      );
      ctx.emit(metric(NAME, `stream_vs_proxy_throughput@${label}`, stream.best, 'MB/s', { baseline: prox.best }));
      ctx.emit(metric(NAME, `stream_vs_proxy_ttfb@${label}`, ttfb('stream'), 'ms', { baseline: ttfb('proxy') }));
      ctx.emit(metric(NAME, `stream_vs_s3proxy_throughput@${label}`, stream.best, 'MB/s', { baseline: s3p.best }));
      ctx.emit(metric(NAME, `stream_vs_s3proxy_ttfb@${label}`, ttfb('stream'), 'ms', { baseline: ttfb('s3proxy') }));
      ctx.emit(metric(NAME, `stream_vs_s3proxy_rss_growth@${label}`, maxOf(stream.rss), 'MiB', { baseline: maxOf(s3p.rss) }));
      if (m.has('accel')) {
        const [accel, pre] = [of('accel'), of('presigned')];
        ctx.emit(metric(NAME, `accel_throughput@${label}`, accel.best, 'MB/s', { baseline: pre.best, target: { on: 'ratio', op: '>=', limit: 0.95 } }));
        ctx.emit(metric(NAME, `accel_ttfb@${label}`, ttfb('accel'), 'ms', { baseline: ttfb('presigned') }));
        ctx.emit(metric(NAME, `accel_app_rss_growth@${label}`, maxOf(accel.rss), 'MiB'));
        ctx.emit(metric(NAME, `accel_nginx_rss_growth@${label}`, maxOf(accel.nginxRss), 'MiB', { baseline: maxOf(pre.nginxRss) }));
      } else {
        for (const n of ['accel_throughput', 'accel_ttfb', 'accel_app_rss_growth', 'accel_nginx_rss_growth']) {
          ctx.emit(notRun(NAME, `${n}@${label}`, n.endsWith('throughput') ? 'MB/s' : n.endsWith('ttfb') ? 'ms' : 'MiB', 'S3 endpoint is not plain HTTP'));
        }
      }
    }
    ctx.emit(metric(NAME, 'checksums_ok', checksums, 'count', { target: { on: 'value', op: '==', limit: checked } }));
    ctx.emit(metric(NAME, 's3proxy_range_ok', rangeOk, 'count', { target: { on: 'value', op: '==', limit: 1 } }));
  } finally {
    client.destroy();
    await lib?.stop();
    await proxy?.stop();
    await s3proxy?.stop();
    await nginx?.stop();
    await accelApp?.stop();
  }
}
