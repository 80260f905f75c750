// accel: the library's X-Accel-Redirect hand-off through nginx (config from the library's nginxConfig) vs nginx serving the
// same 1 GiB (× scale) file directly: throughput (best of 3), and requests/s for random 64 KiB ranges
// from 16 keep-alive clients. Also (no target) S3 accel (nginx fetches a presigned URL) vs S3 stream
// mode, both through the same nginx.
import http from 'node:http';
import { deterministicRange } from '../../support/s3';
import { bestThroughput, get, httpArm } from '../lib/client';
import type { BenchContext, Fixture } from '../lib/context';
import { metric } from '../lib/report';
import type { ServerSpec } from '../lib/storages';

const NAME = 'accel';
const RANGE = 64 * 1024;
const CLIENTS = 16;

/** Requests/s of random RANGE-byte ranges of `file` at `url`; every answer checked, the first 64 byte-for-byte. */
async function rangeRps(url: string, file: Fixture, seconds: number): Promise<{ rps: number; errors: number; first?: string }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  let ok = 0;
  let errors = 0;
  let checked = 0;
  let first: string | undefined;
  const fail = (why: string): void => {
    errors++;
    first ??= why;
  };
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const start = Math.floor(Math.random() * (file.size - RANGE + 1));
      const end = start + RANGE - 1;
      const check = checked++ < 64;
      const r = await get(url, { agent, headers: { range: `bytes=${start}-${end}` }, keepBody: check, timeoutMs: 10_000 }).catch((err: unknown) => err as Error);
      if (r instanceof Error) fail(r.message);
      else if (r.status !== 206 || r.bytes !== RANGE || !r.complete || r.headers['content-range'] !== `bytes ${start}-${end}/${file.size}`) {
        fail(`status ${r.status}, ${r.bytes} bytes, content-range ${r.headers['content-range']}`);
      } else if (check && !r.body?.equals(deterministicRange(file.seed, file.size, start, end))) fail(`wrong bytes for ${start}-${end}`);
      else ok++;
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, worker));
  const elapsed = (performance.now() - t0) / 1000;
  agent.destroy();
  return { rps: ok / elapsed, errors, first };
}

export async function run(ctx: BenchContext): Promise<void> {
  const file = await ctx.localFile();
  const obj = await ctx.object('gig');
  const env = await ctx.s3();
  const withS3 = env.cfg.endpoint.startsWith('http:'); // the shipped location proxies over plain HTTP
  const spec: ServerSpec = {
    storages: {
      local: { kind: 'local', root: ctx.mediaRoot, accelPrefix: '/_station_files/local' },
      ...(withS3 ? { s3: { kind: 's3', accel: true }, s3stream: { kind: 's3' } } : {}),
    },
  };
  const app = await ctx.server('library', spec);
  const nginx = await ctx.nginx(Number(new URL(app.url).port), spec);
  try {
    const expected = { bytes: file.size, sha256: await file.sha256() };
    const [accel, direct] = await bestThroughput(
      [httpArm('nginx accel', `${nginx.url}/local/${file.key}`), httpArm('nginx direct', `${nginx.directUrl}/direct/${file.key}`)],
      expected,
      3,
      ctx.log,
    );
    ctx.emit(metric(NAME, 'throughput', accel ?? 0, 'MB/s', { baseline: direct, target: { on: 'ratio', op: '>=', limit: 0.9 } }));

    const seconds = Math.max(2, 10 * ctx.scale);
    ctx.log(`  random ${RANGE / 1024} KiB ranges, ${CLIENTS} keep-alive clients, ${seconds} s per arm`);
    const a = await rangeRps(`${nginx.url}/local/${file.key}`, file, seconds);
    const d = await rangeRps(`${nginx.directUrl}/direct/${file.key}`, file, seconds);
    ctx.log(`  accel ${a.rps.toFixed(0)} req/s (${a.errors} errors), direct ${d.rps.toFixed(0)} req/s (${d.errors} errors)`);
    ctx.emit(metric(NAME, 'range_rps', a.rps, 'req/s', { baseline: d.rps }));
    if (a.errors + d.errors > 0) {
      ctx.log(`  first range error: ${a.first ?? d.first}`);
      ctx.emit(metric(NAME, 'range_errors', a.errors, 'count', { baseline: d.errors, target: { on: 'value', op: '==', limit: 0 } }));
    }

    if (withS3) {
      const s3Expected = { bytes: obj.size, sha256: await obj.sha256() };
      const [s3Accel, s3Stream] = await bestThroughput(
        [httpArm('nginx S3 accel', `${nginx.url}/s3/${obj.key}`), httpArm('nginx → S3 stream', `${nginx.url}/s3stream/${obj.key}`)],
        s3Expected,
        3,
        ctx.log,
      );
      ctx.emit(metric(NAME, 's3_accel_throughput', s3Accel ?? 0, 'MB/s', { baseline: s3Stream }));
    } else {
      ctx.log(`  S3 accel skipped: ${env.cfg.endpoint} is not plain HTTP (the shipped location proxies over http://)`);
    }
    const served = await app.rss();
    ctx.log(`  app outcomes ${JSON.stringify(served.outcomes)}`);
  } finally {
    await nginx.stop();
    await app.stop();
  }
}
