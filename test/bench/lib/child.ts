// Runs a benchmark server (server.ts, buffering-proxy.ts) in its own Node process, so its RSS is its
// own: reads the port it announces, queries/resets its RSS sampler, and stops it.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { RssReport } from './rss';
import { REPO_ROOT } from './s3env';

/** Peak RSS growth over the baseline of the reset, MiB, and a one-line account of it for the log. */
export function rssGrowth(before: RssReport, after: RssReport): { mib: number; text: string } {
  const mib = (x: number): string => (x / 1024 / 1024).toFixed(1);
  const hwm = after.hwm === null ? 'n/a' : mib(after.hwm - before.baseline);
  return {
    mib: (after.peak - before.baseline) / 1024 / 1024,
    text:
      `baseline ${mib(before.baseline)} MiB, peak +${mib(after.peak - before.baseline)} MiB ` +
      `(50 ms samples +${mib(after.sampledPeak - before.baseline)}, kernel VmHWM +${hwm}, ${after.samples} samples)`,
  };
}

export interface BenchChild {
  label: string;
  url: string;
  pid: number;
  rss(): Promise<RssReport>;
  resetRss(): Promise<RssReport>;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
/** Kills every child still running (SIGKILL): the last resort on exit. */
export function killAllChildren(): void {
  for (const c of live) c.kill('SIGKILL');
}
process.once('exit', killAllChildren);

function rssCall(url: string, method: 'GET' | 'POST'): Promise<RssReport> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as RssReport);
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

/**
 * Starts `test/bench/<script>` with Node (`--expose-gc`, tsx's CommonJS hook, and the flags in
 * BENCH_NODE_ARGS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the servers) and `env` added.
 */
export async function startChild(label: string, script: string, env: Record<string, string>): Promise<BenchChild> {
  const extra = (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, ['--expose-gc', ...extra, '--require', 'tsx/cjs', path.join(REPO_ROOT, 'test', 'bench', script)], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  live.add(child);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      live.delete(child);
      resolve();
    }),
  );
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label}: no port announced within 30 s`)), 30_000);
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      clearTimeout(timer);
      const parsed = JSON.parse(line) as { port?: unknown };
      if (typeof parsed.port === 'number') resolve(parsed.port);
      else reject(new Error(`${label}: bad announcement ${line}`));
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${label}: exited (${child.exitCode ?? child.signalCode}) before listening`));
    });
  }).catch(async (err: unknown) => {
    child.kill('SIGKILL');
    await exited;
    throw err;
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    label,
    url,
    pid: child.pid ?? 0,
    rss: () => rssCall(`${url}/__bench/rss`, 'GET'),
    resetRss: () => rssCall(`${url}/__bench/rss-reset`, 'POST'),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin?.end();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
