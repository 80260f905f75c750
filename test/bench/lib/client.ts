// The benchmark's HTTP client (node:http, in the parent process): counts body bytes, optionally
// hashes them (sha256), and times the first body byte and the end of the body.
import { createHash } from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface GetOptions {
  /** @default 'GET' (HEAD: no body expected) */
  method?: 'GET' | 'HEAD';
  headers?: http.OutgoingHttpHeaders;
  /** false (default): a fresh connection. */
  agent?: http.Agent | false;
  /** Hash the body with sha256 (costs ~0.55 ms per MB of client CPU). */
  hash?: boolean;
  /** Stop (destroy the request) once the first body chunk arrived: time-to-first-byte probes. */
  firstChunkOnly?: boolean;
  /** Keep the whole body (small responses only). */
  keepBody?: boolean;
  /** Socket inactivity timeout. @default 120000 */
  timeoutMs?: number;
}

export interface GetResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  bytes: number;
  sha256?: string;
  /** ms from the request until the first body byte (NaN if none). */
  ttfbMs: number;
  /** ms from the request until the body ended (or was cut). */
  totalMs: number;
  /** The body arrived whole and the message ended properly. */
  complete: boolean;
  firstChunk?: Buffer;
  body?: Buffer;
  error?: Error;
}

export function get(url: string, opts: GetOptions = {}): Promise<GetResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const hash = opts.hash ? createHash('sha256') : undefined;
    const chunks: Buffer[] = [];
    let bytes = 0;
    let ttfbMs = Number.NaN;
    let firstChunk: Buffer | undefined;
    let error: Error | undefined;
    let responded = false;
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: opts.agent ?? false, timeout: opts.timeoutMs ?? 120_000 });
    req.end();
    req.on('timeout', () => req.destroy(new Error(`${url}: no data for ${opts.timeoutMs ?? 120_000} ms`)));
    req.on('error', (err) => {
      if (responded) error ??= err;
      else reject(err);
    });
    req.on('response', (res) => {
      responded = true;
      res.on('error', (err) => {
        error ??= err;
      });
      res.on('data', (chunk: Buffer) => {
        if (firstChunk === undefined) {
          ttfbMs = performance.now() - t0;
          firstChunk = chunk;
        }
        bytes += chunk.length;
        hash?.update(chunk);
        if (opts.keepBody) chunks.push(chunk);
        if (opts.firstChunkOnly) req.destroy();
      });
      res.on('close', () => {
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          bytes,
          sha256: hash?.digest('hex'),
          ttfbMs,
          totalMs: performance.now() - t0,
          complete: res.complete && !error,
          firstChunk,
          body: opts.keepBody ? Buffer.concat(chunks) : undefined,
          error,
        });
      });
    });
  });
}

/** Throws unless the response is `status` with exactly `bytes` body bytes (and `sha256`, when given). */
export function expectBody(what: string, r: GetResult, status: number, bytes: number, sha256?: string): void {
  const problems: string[] = [];
  if (r.status !== status) problems.push(`status ${r.status} (want ${status})`);
  if (r.bytes !== bytes) problems.push(`${r.bytes} bytes (want ${bytes})`);
  if (!r.complete) problems.push(`incomplete${r.error ? `: ${r.error.message}` : ''}`);
  if (sha256 !== undefined && r.sha256 !== sha256) problems.push(`sha256 ${r.sha256?.slice(0, 12)}… (want ${sha256.slice(0, 12)}…)`);
  if (problems.length) throw new Error(`${what}: ${problems.join(', ')}`);
}

/** MB/s (10^6 bytes per second). */
export const mbps = (bytes: number, ms: number): number => bytes / 1e6 / (ms / 1000);

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? Number.NaN) + (s[mid] ?? Number.NaN)) / 2;
}

/** The `p`-th percentile (0–100, nearest rank) of `xs`; NaN when empty. */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Best-of-`rounds` throughput of several arms measured in alternation (a b c, b c a, c a b, …), after one
 * untimed, hashed warm-up per arm that checks the body. Timed runs only count bytes, so the
 * client's hashing never caps the figure. Returns MB/s per arm.
 */
export async function bestThroughput(
  arms: { name: string; run(hash: boolean): Promise<{ bytes: number; ms: number; sha256?: string }> }[],
  expected: { bytes: number; sha256: string },
  rounds: number,
  log: (msg: string) => void,
): Promise<number[]> {
  for (const arm of arms) {
    const r = await arm.run(true);
    if (r.bytes !== expected.bytes || r.sha256 !== expected.sha256) {
      throw new Error(`${arm.name}: warm-up body wrong (${r.bytes} bytes, sha256 ${r.sha256?.slice(0, 12)}…)`);
    }
  }
  const best = arms.map(() => 0);
  for (let round = 0; round < rounds; round++) {
    // Rotate who goes first, so a backend warming up (or tiring) over the rounds favours no arm.
    for (let k = 0; k < arms.length; k++) {
      const i = (k + round) % arms.length;
      const arm = arms[i]!;
      const r = await arm.run(false);
      if (r.bytes !== expected.bytes) throw new Error(`${arm.name}: ${r.bytes} bytes (want ${expected.bytes})`);
      const speed = mbps(r.bytes, r.ms);
      log(`  ${arm.name} run ${round + 1}: ${speed.toFixed(1)} MB/s`);
      best[i] = Math.max(best[i] ?? 0, speed);
    }
  }
  return best;
}

/** An arm that GETs `url` through this client (fresh connection), for bestThroughput. */
export function httpArm(
  name: string,
  url: string,
  status = 200,
): { name: string; run(hash: boolean): Promise<{ bytes: number; ms: number; sha256?: string }> } {
  return {
    name,
    run: async (hash) => {
      const r = await get(url, { hash });
      if (r.status !== status || !r.complete) throw new Error(`${name}: status ${r.status}, complete ${r.complete} ${r.error?.message ?? ''}`);
      return { bytes: r.bytes, ms: r.totalMs, sha256: r.sha256 };
    },
  };
}
