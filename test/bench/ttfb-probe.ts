// Time to first byte from S3, by hand (not part of `npm run bench`):
//   npx tsx test/bench/ttfb-probe.ts [--reps=40] [--size-mib=16] [--first-only] [--multipart]
// Without S3_ENDPOINT it starts its own throwaway Ceph (S3_PORT 7490, mons 3310/6799 unless set; see
// lib/s3env.ts) in .test-tmp/ttfb-<pid>/ and stops it at the end. Uploads one object (deterministic
// bytes; one PutObject up to 16 MiB, or with `--multipart` as the demo does: lib-storage's Upload, 5 MiB parts), starts ttfb-server.ts (createStationFiles media() with helmet, and a bare fileHandler, both
// over one s3Storage in stream mode) in its own process, then times, in rotating order, `--reps`
// times each: a direct SDK GetObject in this process (same client config), the createStationFiles
// route and the bare fileHandler route, for the whole object, `bytes=0-1` and `bytes=100-`. A
// library request's TTFB is from the request's start to its first body chunk on a fresh connection
// (like curl); the body is read to the end unless `--first-only`. Every answer's status, length and
// first bytes are checked. Prints per case the median and p90 TTFB, the ratio of the medians to the
// direct GetObject of the same bytes, and the median of the server's marks (ms since the request
// arrived: see ttfb-server.ts), plus `arrive` (request start → arrival at the server, same clock) and
// `deliver` (first socket write → first chunk at the client).
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { deterministicBytes, deterministicRange, putObjectStream } from '../support/s3';
import { startChild } from './lib/child';
import { get, median, percentile, sleep } from './lib/client';
import { benchS3Client, REPO_ROOT, startS3 } from './lib/s3env';

const MiB = 1024 * 1024;
const SEED = 'ttfb-probe';
const RANGES = [
  { name: 'whole', header: undefined, start: 0 },
  { name: '0-1', header: 'bytes=0-1', start: 0 },
  { name: '100-', header: 'bytes=100-', start: 100 },
] as const;
const ARMS = ['direct', 'presigned', 'lib', 'bare'] as const;
const MARKS = ['send', 'sent', 's3Head', 'sdkChunk', 'outChunk', 'head', 'sockWrite'] as const;

type Arm = (typeof ARMS)[number];
type Range = (typeof RANGES)[number];
interface Sample {
  ttfb: number;
  marks?: Record<string, number>;
}

function arg(name: string, fallback: number): number {
  const found = process.argv.find((a) => a.startsWith(`--${name}=`));
  return found ? Number(found.slice(name.length + 3)) : fallback;
}

function shuffled<T>(xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function expectedLength(range: Range, size: number): number {
  return range.name === '0-1' ? 2 : size - range.start;
}

function checkFirst(what: string, size: number, start: number, chunk: Buffer | undefined): void {
  if (!chunk?.equals(deterministicRange(SEED, size, start, start + chunk.length - 1))) throw new Error(`${what}: wrong first bytes`);
}

/** One library request (fresh connection), checked, with the server's marks for it. */
async function viaServer(base: string, arm: Arm, range: Range, size: number, firstOnly: boolean, n: number): Promise<Sample> {
  const id = `${arm}-${range.name}-${n}`;
  const url = arm === 'lib' ? `${base}/lib/station/alpha/file/1/play` : `${base}/bare`;
  const headers: Record<string, string> = { 'x-probe-id': id };
  if (range.header) headers.range = range.header;
  const sent = process.hrtime.bigint();
  const r = await get(url, { headers, firstChunkOnly: firstOnly });
  const want = range.header ? 206 : 200;
  if (r.status !== want || Number(r.headers['content-length']) !== expectedLength(range, size)) {
    throw new Error(`${id}: status ${r.status}, content-length ${r.headers['content-length']}`);
  }
  if (!firstOnly && r.bytes !== expectedLength(range, size)) throw new Error(`${id}: ${r.bytes} bytes`);
  checkFirst(id, size, range.start, r.firstChunk);
  const reply = await get(`${base}/__ttfb/${id}`, { keepBody: true });
  const probe = JSON.parse(reply.body?.toString('utf8') ?? 'null') as { t0: string; marks: Record<string, number> } | null;
  if (!probe) throw new Error(`${id}: no marks`);
  const arrive = Number(BigInt(probe.t0) - sent) / 1e6;
  const marks: Record<string, number> = { ...probe.marks, arrive };
  if (probe.marks.sockWrite !== undefined) marks.deliver = r.ttfbMs - arrive - probe.marks.sockWrite;
  return { ttfb: r.ttfbMs, marks };
}

/** A GET of a presigned URL straight to S3 (node:http, fresh connection, no SDK per request): S3's own time, as curl sees it. */
async function viaPresigned(url: string, range: Range, size: number, firstOnly: boolean): Promise<Sample> {
  const r = await get(url, { headers: range.header ? { range: range.header } : {}, firstChunkOnly: firstOnly });
  if (!firstOnly && r.bytes !== expectedLength(range, size)) throw new Error(`presigned ${range.name}: status ${r.status}, ${r.bytes} bytes`);
  checkFirst(`presigned ${range.name}`, size, range.start, r.firstChunk);
  return { ttfb: r.ttfbMs };
}

/** A direct GetObject in this process: `s3Head` when the SDK resolved (response headers), TTFB at its first body chunk. */
async function viaDirect(range: Range, size: number, firstOnly: boolean, key: string, bucket: string, client: S3Client): Promise<Sample> {
  const t0 = performance.now();
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range.header }));
  const s3Head = performance.now() - t0;
  if (!(out.Body instanceof Readable)) throw new Error('GetObject gave no Node stream');
  let ttfb = Number.NaN;
  let bytes = 0;
  for await (const chunk of out.Body) {
    if (bytes === 0) {
      ttfb = performance.now() - t0;
      checkFirst(`direct ${range.name}`, size, range.start, chunk as Buffer);
    }
    bytes += (chunk as Buffer).length;
    if (firstOnly) break;
  }
  if (!firstOnly && bytes !== expectedLength(range, size)) throw new Error(`direct ${range.name}: ${bytes} bytes`);
  return { ttfb, marks: { s3Head } };
}

const f = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '-');
const ttfbs = (samples: Sample[] | undefined): number[] => (samples ?? []).map((s) => s.ttfb);

/** The medians of the marks the samples carry, as `name value` pairs. */
function markMedians(samples: Sample[]): string {
  return [...MARKS, 'arrive', 'deliver']
    .map((m) => [m, samples.map((s) => s.marks?.[m]).filter((x): x is number => x !== undefined)] as const)
    .filter(([, xs]) => xs.length > 0)
    .map(([m, xs]) => `${m} ${f(median(xs))}`)
    .join(', ');
}

/** Prints a Markdown table: TTFB per case, ratios to the direct GetObject and to the presigned GET of the same bytes, the marks. */
function report(results: Map<string, Sample[]>): void {
  const lines = [
    '| case | median ms | p90 ms | ÷ direct (median / p90) | ÷ presigned (median) | marks: median ms (server: since arrival) |',
    '|---|---:|---:|---:|---:|---|',
  ];
  for (const range of RANGES) {
    const direct = ttfbs(results.get(`direct ${range.name}`));
    const presigned = ttfbs(results.get(`presigned ${range.name}`));
    for (const arm of ARMS) {
      const samples = results.get(`${arm} ${range.name}`) ?? [];
      const t = ttfbs(samples);
      const ratios = `${f(median(t) / median(direct))} / ${f(percentile(t, 90) / percentile(direct, 90))}`;
      lines.push(
        `| ${arm} ${range.name} | ${f(median(t))} | ${f(percentile(t, 90))} | ${ratios} | ${f(median(t) / median(presigned))} | ${markMedians(samples)} |`,
      );
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function measure(base: string, size: number, key: string, bucket: string, reps: number, firstOnly: boolean): Promise<Map<string, Sample[]>> {
  const client = benchS3Client();
  const results = new Map<string, Sample[]>();
  const cases = ARMS.flatMap((arm) => RANGES.map((range) => ({ arm, range })));
  const presigned = await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 3600 });
  const run = (arm: Arm, range: Range, i: number): Promise<Sample> => {
    if (arm === 'direct') return viaDirect(range, size, firstOnly, key, bucket, client);
    if (arm === 'presigned') return viaPresigned(presigned, range, size, firstOnly);
    return viaServer(base, arm, range, size, firstOnly, i);
  };
  try {
    for (let i = -2; i < reps; i++) {
      // A fresh random order every round, so no case always follows the same other one; two untimed warm-up rounds.
      const order = shuffled(cases);
      for (const { arm, range } of order) {
        const s = await run(arm, range, i);
        if (i >= 0) results.set(`${arm} ${range.name}`, [...(results.get(`${arm} ${range.name}`) ?? []), s]);
        if (firstOnly) await sleep(20); // let the server tear the cut S3 read down
      }
    }
  } finally {
    client.destroy();
  }
  return results;
}

async function main(): Promise<void> {
  const reps = arg('reps', 40);
  const size = arg('size-mib', 16) * MiB;
  const firstOnly = process.argv.includes('--first-only');
  const multipart = process.argv.includes('--multipart');
  const runDir = path.join(REPO_ROOT, '.test-tmp', `ttfb-${process.pid}`);
  mkdirSync(runDir, { recursive: true });
  const env = await startS3(runDir, () => {});
  const key = `ttfb-${size}${multipart ? '-multipart' : ''}.bin`;
  const client = benchS3Client(env.cfg);
  try {
    if (multipart) await new Upload({ client, params: { Bucket: env.cfg.bucket, Key: key, Body: deterministicBytes(SEED, size) } }).done();
    else await putObjectStream(client, env.cfg.bucket, key, SEED, size);
    const server = await startChild('ttfb-server', 'ttfb-server.ts', { TTFB_KEY: key });
    try {
      const results = await measure(server.url, size, key, env.cfg.bucket, reps, firstOnly);
      const nodelay = await get(`${server.url}/__ttfb/nodelay`, { keepBody: true });
      process.stdout.write(
        `${reps} reps, ${size / MiB} MiB, ${multipart ? 'multipart upload (5 MiB parts)' : 'one PutObject'}, ${firstOnly ? 'first chunk only' : 'whole body read'}; sockets by TCP_NODELAY: ${nodelay.body?.toString('utf8')}\n`,
      );
      report(results);
    } finally {
      await server.stop();
    }
  } finally {
    await client.send(new DeleteObjectCommand({ Bucket: env.cfg.bucket, Key: key })).catch(() => {});
    client.destroy();
    await env.stop();
    rmSync(runDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`ttfb-probe: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
