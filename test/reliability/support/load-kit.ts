// Shared pieces of the load-* reliability tests: scale, a seeded PRNG, figures (t.diagnostic plus
// one JSON line each in .test-tmp/reliability-figures.jsonl), fixtures on disk and in S3, and the
// server under test in its own process (load-server.ts) with its /__stats, /__results, /__gc.
import { appendFileSync, mkdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import type { ResumeOptions } from '../../../lib/storage/resume';
import type { RssReport } from '../../bench/lib/rss';
import { startChild } from '../../bench/lib/child';
import { REPO_ROOT } from '../../bench/lib/s3env';
import { createTestS3Client, ensureBucket, putObjectStream, s3TestConfig, sha256OfRange, writeDeterministicFile } from '../../support/s3';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const TMP = path.join(REPO_ROOT, '.test-tmp');

/** RELIABILITY_SCALE (default 1): multiplies counts, durations and sizes. */
export const SCALE = ((): number => {
  const s = Number(process.env.RELIABILITY_SCALE ?? '1');
  if (!(s > 0)) throw new Error(`RELIABILITY_SCALE must be a positive number, not ${process.env.RELIABILITY_SCALE}`);
  return s;
})();
/** `n × SCALE`, rounded, at least `min`. */
export const scaled = (n: number, min: number): number => Math.max(min, Math.round(n * SCALE));

/** mulberry32: a small deterministic PRNG; returns floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Reports one achieved figure: t.diagnostic, and a JSON line for the README table. */
export function figure(t: TestContext, test: string, metric: string, value: number, unit: string): void {
  const rounded = Math.round(value * 1000) / 1000;
  t.diagnostic(`${metric}: ${rounded} ${unit}`);
  mkdirSync(TMP, { recursive: true });
  appendFileSync(path.join(TMP, 'reliability-figures.jsonl'), `${JSON.stringify({ test, metric, value: rounded, unit })}\n`);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

// ---- the server under test ----

export interface ResultRecord {
  url: string;
  method: string;
  outcome: string;
  status: number;
  delivery: string | null;
  bytesSent: number | null;
  size: number | null;
  error?: string;
  /** DeliveryResult.reason: why the server cut an aborted download (`client-stalled`). */
  reason?: string;
  /** res.writableFinished when the result came: every byte was flushed to the socket. */
  finished: boolean;
}

export interface Results {
  /** URLs of the requests that reached the app (a client that leaves before sending makes none). */
  arrived: string[];
  results: ResultRecord[];
}

export interface LoadStats {
  rss: number;
  heapUsed: number;
  /** Memory outside the V8 heap (Buffers are in arrayBuffers). */
  external: number;
  arrayBuffers: number;
  /** Entries of /proc/self/fd. */
  fds: number;
  /** The S3 agent: sockets in use, idle in the keep-alive pool, and requests waiting for one (at the socket gate or in the agent). */
  s3: { busy: number; free: number; queued: number };
  /** DeliveryResults by outcome, and the sum of their bytesSent, since the last reset. */
  outcomes: Record<string, number>;
  bytesSent: Record<string, number>;
  results: number;
  /** Requests that reached the app (results < arrived: some are still being served). */
  arrived: number;
  /** RSS sampler (50 ms samples and VmHWM): baseline and peak since the last reset. */
  memory: RssReport;
  /** CPU time (user + system) of the server process so far. */
  cpuMs: number;
  /** The server's event-loop delay since the last reset. */
  loopDelayMs: { p50: number; p99: number; max: number };
}

function call<T>(url: string, method: 'GET' | 'POST'): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as T);
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: timeout`)));
    req.on('error', reject);
    req.end();
  });
}

export interface LoadServer {
  url: string;
  stats(): Promise<LoadStats>;
  results(): Promise<Results>;
  gc(): Promise<LoadStats>;
  reset(): Promise<LoadStats>;
  /** Polls the stats until `done` holds or `ms` pass; returns the last stats either way. */
  settle(done: (s: LoadStats) => boolean, ms?: number): Promise<LoadStats>;
  stop(): Promise<void>;
}

export interface LoadServerSpec {
  localRoot: string;
  s3Prefix: string;
  /** The S3 agent's socket pool. @default 50 */
  maxSockets?: number;
  /** ResponseOptions.sendTimeoutMs of the server's fileHandler. @default 60000 (the library's) */
  sendTimeoutMs?: number;
  /** The S3 storage's resume options. */
  resume?: ResumeOptions;
}

export async function startLoadServer(spec: LoadServerSpec): Promise<LoadServer> {
  // startChild runs test/bench/<script>: the relative path reaches this folder.
  const child = await startChild('load-server', '../reliability/support/load-server.ts', { LOAD_SERVER: JSON.stringify(spec) });
  const stats = (): Promise<LoadStats> => call(`${child.url}/__stats`, 'GET');
  return {
    url: child.url,
    stats,
    results: () => call(`${child.url}/__results`, 'GET'),
    gc: () => call(`${child.url}/__gc`, 'POST'),
    reset: () => call(`${child.url}/__reset`, 'POST'),
    settle: async (done, ms = 10_000) => {
      const deadline = Date.now() + ms;
      for (;;) {
        const s = await stats();
        if (done(s) || Date.now() > deadline) return s;
        await sleep(100);
      }
    },
    stop: () => child.stop(),
  };
}

// ---- fixtures: deterministic bytes (test/support/s3.ts) on disk and in S3 ----

export interface Fixture {
  /** `local` or `s3`: the first URL segment. */
  storage: 'local' | 's3';
  key: string;
  seed: string;
  size: number;
  /** sha256 of the whole file, for sizes of 1–64 MiB (computed once). */
  sha256?: string;
}

export interface Fixtures {
  localRoot: string;
  s3Prefix: string;
  /** Removes the local folder and the S3 objects. */
  remove(): Promise<void>;
}

/** Writes the local fixtures under .test-tmp/<name>-<pid>/ and uploads the S3 ones under <name>-<time>/. */
export async function createFixtures(name: string, files: Fixture[]): Promise<Fixtures> {
  const localRoot = path.join(TMP, `${name}-${process.pid}`);
  const s3Prefix = `${name}-${Date.now().toString(36)}/`;
  mkdirSync(localRoot, { recursive: true });
  const cfg = s3TestConfig();
  const { client } = createTestS3Client({ maxSockets: 8 });
  await ensureBucket(client, cfg.bucket);
  await Promise.all(
    files.map(async (f) => {
      if (f.storage === 'local') await writeDeterministicFile(path.join(localRoot, f.key), f.seed, f.size);
      else await putObjectStream(client, cfg.bucket, s3Prefix + f.key, f.seed, f.size);
      if (f.size >= MiB && f.size <= 64 * MiB) f.sha256 = await sha256OfRange(f.seed, f.size, 0, f.size - 1);
    }),
  );
  return {
    localRoot,
    s3Prefix,
    remove: async () => {
      rmSync(localRoot, { recursive: true, force: true });
      for (const f of files.filter((x) => x.storage === 's3')) {
        await client.send(new DeleteObjectCommand({ Bucket: cfg.bucket, Key: s3Prefix + f.key })).catch(() => {});
      }
      client.destroy();
    },
  };
}
