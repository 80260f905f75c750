// local-files: one 1 GiB (× scale) file on disk, four ways:
//   accel          the library's X-Accel-Redirect hand-off through nginx (config from nginxConfig())
//   nginx direct   nginx serving the same file from a plain `alias` (the baseline)
//   express.static in the bench server process
//   stream         the library's stream mode, in the same process as express.static
// Full download: MB/s, best of 3, rotating order. Random 64 KiB ranges: requests/s, p50 and p99
// latency per arm from autocannon (16 keep-alive connections), every answer checked for 206 and its
// Content-Range / Content-Length, and a few ranges per arm checked byte for byte beforehand.
import type { EventEmitter } from 'node:events';
import { deterministicRange } from '../../support/s3';
import { bestThroughput, get, httpArm, percentile } from '../lib/client';
import type { BenchChild } from '../lib/child';
import type { BenchContext, Fixture } from '../lib/context';
import { metric } from '../lib/report';
import type { ServerSpec } from '../lib/storages';

const NAME = 'local-files';
const RANGE = 64 * 1024;
const CONNECTIONS = 16;
/** Ranges per arm fetched with the runner's own client and compared byte for byte before the load. */
const PROBES = 8;

// The part of autocannon's programmatic API used here (the package ships no types).
type AcContext = Record<string, unknown>;
interface AcRequest {
  method?: string;
  headers?: Record<string, string>;
  setupRequest?(req: AcRequest, context: AcContext): AcRequest;
  onResponse?(status: number, body: string, context: AcContext, headers: Record<string, string | string[]>): void;
}
interface AcOptions {
  url: string;
  connections: number;
  duration: number;
  /** Seconds without an answer before a request counts as a timeout. */
  timeout: number;
  requests: AcRequest[];
  /** Called with each connection's client object as it is made. */
  setupClient?(client: AcClient): void;
}
/** The one internal of autocannon's per-connection client touched here (see dropBodies). */
interface AcClient {
  pipelinedRequests?: { addBody?: (data: Buffer) => void };
}
interface AcResult {
  /** One per sampleInt (1 s). */
  samples: number;
  errors: number;
  timeouts: number;
  mismatches: number;
  non2xx: number;
  resets: number;
  statusCodeStats: Record<string, { count: number }>;
  /** Per-sample request counts; `total`: responses over the whole run. */
  requests: { average: number; total: number };
}
type Autocannon = (opts: AcOptions, cb: (err: Error | null, result: AcResult) => void) => EventEmitter;
// A CommonJS package without type declarations: a typed require keeps its types local to this file.
const autocannon = require('autocannon') as Autocannon;

/**
 * autocannon 8 appends every body chunk to a string per response (`body += chunk`, so a utf-8 decode of
 * 64 KiB per answer): measured here, that capped the client at a few hundred 64 KiB answers/s, a fifth
 * to a tenth of what nginx serves. We do not read bodies in the load (status, Content-Range and
 * Content-Length are checked; the probes compare bytes), so each connection's client drops them.
 */
function dropBodies(client: AcClient): void {
  if (typeof client.pipelinedRequests?.addBody !== 'function') {
    throw new Error('autocannon internals changed (no pipelinedRequests.addBody): revisit dropBodies in local-files.ts');
  }
  client.pipelinedRequests.addBody = () => {};
}

export interface Arm {
  name: string;
  /** Metric prefix. */
  key: string;
  url: string;
  /** The library arms: their requests show in the app's outcome counts with this delivery. */
  delivery?: 'accel' | 'stream';
}

export interface RangeResult {
  rps: number;
  p50: number;
  p99: number;
  /** Answers seen (autocannon's count over its whole samples). */
  answers: number;
  errors: number;
  first?: string;
}

const header = (headers: Record<string, string | string[]>, name: string): string | undefined => {
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return Array.isArray(v) ? v.join(', ') : v;
  return undefined;
};

const randomStart = (file: Fixture): number => Math.floor(Math.random() * (file.size - RANGE + 1));

/** PROBES random ranges through the runner's client, each compared byte for byte. Returns the failures. */
export async function probe(arm: Arm, file: Fixture): Promise<string[]> {
  const bad: string[] = [];
  for (let i = 0; i < PROBES; i++) {
    const start = randomStart(file);
    const end = start + RANGE - 1;
    const r = await get(arm.url, { headers: { range: `bytes=${start}-${end}` }, keepBody: true, timeoutMs: 10_000 }).catch((err: unknown) => err as Error);
    if (r instanceof Error) bad.push(`probe: ${r.message}`);
    else if (r.status !== 206 || !r.complete || r.headers['content-range'] !== `bytes ${start}-${end}/${file.size}`) {
      bad.push(`probe: status ${r.status}, ${r.bytes} bytes, content-range ${r.headers['content-range']}`);
    } else if (!r.body?.equals(deterministicRange(file.seed, file.size, start, end))) bad.push(`probe: wrong bytes for ${start}-${end}`);
  }
  return bad;
}

/** autocannon on `arm.url` for `seconds`, each request a fresh random RANGE-byte range. */
export function rangeLoad(arm: Arm, file: Fixture, seconds: number): Promise<RangeResult> {
  let bad = 0;
  let first: string | undefined;
  const latencies: number[] = [];
  return new Promise<RangeResult>((resolve, reject) => {
    const tracker = autocannon(
      {
        url: arm.url,
        connections: CONNECTIONS,
        duration: seconds,
        timeout: 10,
        setupClient: dropBodies,
        requests: [
          {
            method: 'GET',
            // Called before every request of a connection; with one request per connection in flight
            // (no pipelining), the context still holds this request's start when its answer arrives.
            setupRequest: (req, context) => {
              const start = randomStart(file);
              context.start = start;
              return { ...req, headers: { ...req.headers, range: `bytes=${start}-${start + RANGE - 1}` } };
            },
            onResponse: (status, _body, context, headers) => {
              const start = context.start as number;
              const want = `bytes ${start}-${start + RANGE - 1}/${file.size}`;
              const range = header(headers, 'content-range');
              const length = header(headers, 'content-length');
              if (status !== 206 || range !== want || length !== String(RANGE)) {
                bad++;
                first ??= `status ${status}, content-range ${range} (want ${want}), content-length ${length}`;
              }
            },
          },
        ],
      },
      (err, result) => {
        if (err) return reject(err);
        const rps = result.requests.total / result.samples;
        const errors = bad + result.errors + result.non2xx + result.mismatches + result.resets;
        if (result.errors + result.non2xx > 0)
          first ??= `autocannon: ${result.errors} errors (${result.timeouts} timeouts), ${result.non2xx} non-2xx, statuses ${JSON.stringify(result.statusCodeStats)}`;
        resolve({ rps, answers: latencies.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors, first });
      },
    );
    // autocannon's own latency histogram has 1 ms resolution; record the exact times instead.
    tracker.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => {
      latencies.push(ms);
    });
  });
}

/**
 * Throws unless the app's requests since its last reset were served with `arm.delivery`: completed
 * that way (some), or aborted (by the load's end, which cuts the requests in flight; `-` if that was
 * before the plan), nothing else.
 */
async function expectDelivery(app: BenchChild, arm: Arm): Promise<void> {
  const { outcomes } = await app.rss();
  const fine = new Set([`completed/${arm.delivery}`, `aborted/${arm.delivery}`, 'aborted/-']);
  if (!outcomes[`completed/${arm.delivery}`] || Object.keys(outcomes).some((k) => !fine.has(k))) {
    throw new Error(`${arm.name}: the app served ${JSON.stringify(outcomes)}, want completed/${arm.delivery} (and aborted ones) only`);
  }
}

export async function run(ctx: BenchContext): Promise<void> {
  const file = await ctx.localFile();
  const spec: ServerSpec = {
    storages: {
      local: { kind: 'local', root: ctx.mediaRoot, accelPrefix: '/_station_files/local' },
      stream: { kind: 'local', root: ctx.mediaRoot },
    },
    staticRoot: ctx.mediaRoot,
  };
  const app = await ctx.server('library', spec);
  // nginx closes a keep-alive connection after keepalive_requests (default 1000) answers; autocannon
  // then loses track of which request an answer belongs to (its latencies skew), so the load test
  // gets connections that stay open, for both nginx arms alike.
  const nginx = await ctx.nginx(Number(new URL(app.url).port), spec, 'keepalive_requests 1000000;\n');
  try {
    const arms: Arm[] = [
      { name: 'nginx accel', key: 'accel', url: `${nginx.url}/local/${file.key}`, delivery: 'accel' },
      { name: 'nginx direct', key: 'nginx', url: `${nginx.directUrl}/direct/${file.key}` },
      { name: 'express.static', key: 'static', url: `${app.url}/__static/${file.key}` },
      { name: 'library stream', key: 'stream', url: `${app.url}/stream/${file.key}`, delivery: 'stream' },
    ];
    const [accel, direct, stat, stream] = arms as [Arm, Arm, Arm, Arm];

    const expected = { bytes: file.size, sha256: await file.sha256() };
    await app.resetRss();
    const mbs = await bestThroughput(
      arms.map((a) => httpArm(a.name, a.url)),
      expected,
      3,
      ctx.log,
    );
    const [accelMbs = 0, directMbs = 0, staticMbs = 0, streamMbs = 0] = mbs;
    ctx.log(`  app outcomes (full downloads) ${JSON.stringify((await app.rss()).outcomes)}`);
    ctx.emit(metric(NAME, 'accel_throughput', accelMbs, 'MB/s', { baseline: directMbs, target: { on: 'ratio', op: '>=', limit: 0.9 } }));
    ctx.emit(metric(NAME, 'stream_throughput', streamMbs, 'MB/s', { baseline: staticMbs, target: { on: 'ratio', op: '>=', limit: 0.95 } }));
    ctx.emit(metric(NAME, 'stream_throughput_vs_nginx', streamMbs, 'MB/s', { baseline: directMbs }));
    ctx.emit(metric(NAME, 'static_throughput_vs_nginx', staticMbs, 'MB/s', { baseline: directMbs }));

    const seconds = Math.max(2, 10 * ctx.scale);
    ctx.log(`  random ${RANGE / 1024} KiB ranges: autocannon, ${CONNECTIONS} connections, ${seconds} s per arm`);
    const ranges = new Map<Arm, RangeResult>();
    for (const arm of [direct, accel, stat, stream]) {
      await app.resetRss();
      const bad = await probe(arm, file);
      const r = await rangeLoad(arm, file, seconds);
      if (arm.delivery) await expectDelivery(app, arm);
      r.errors += bad.length;
      r.first ??= bad[0];
      ranges.set(arm, r);
      ctx.log(
        `  ${arm.name}: ${r.rps.toFixed(0)} req/s (${r.answers} answers), p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ${r.errors} errors${r.first ? ` (first: ${r.first})` : ''}`,
      );
    }
    const base = ranges.get(direct)!;
    for (const arm of [accel, stat, stream]) {
      const r = ranges.get(arm)!;
      ctx.emit(metric(NAME, `${arm.key}_range_rps`, r.rps, 'req/s', { baseline: base.rps }));
      ctx.emit(metric(NAME, `${arm.key}_range_p50`, r.p50, 'ms', { baseline: base.p50 }));
      ctx.emit(metric(NAME, `${arm.key}_range_p99`, r.p99, 'ms', { baseline: base.p99 }));
    }
    const errors = [...ranges.values()].reduce((n, r) => n + r.errors, 0);
    ctx.emit(metric(NAME, 'range_errors', errors, 'count', { target: { on: 'value', op: '==', limit: 0 } }));
  } finally {
    await nginx.stop();
    await app.stop();
  }
}
