// Benchmark runner:  npx tsx test/bench/run.ts [scenario ...] [--scale=0.1]   (see test/bench/README.md)
// stdout: one JSON line per metric; stderr: progress, then a Markdown table (also written to
// test/bench/results/latest.md, with the JSON lines in latest.jsonl). Exit status 1 when a scenario
// failed or missed its target, 130/143 on SIGINT/SIGTERM (after cleaning up).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { killAllChildren } from './lib/child';
import { createContext, type BenchContext } from './lib/context';
import { markdownTable, metric, writeResults } from './lib/report';
import { cleanStaleRuns, REPO_ROOT } from './lib/s3env';
import * as accelReports from './scenarios/accel-reports';
import * as limiterStore from './scenarios/limiter-store';
import * as localFiles from './scenarios/local-files';
import * as memoryMatrix from './scenarios/memory-matrix';
import * as overhead from './scenarios/overhead';
import * as podcastCounting from './scenarios/podcast-counting';
import * as podcastFleet from './scenarios/podcast-fleet';
import * as podcastPattern from './scenarios/podcast-pattern';
import * as s3Accel from './scenarios/s3-accel';
import * as s3Concurrency from './scenarios/s3-concurrency';
import * as s3Listeners from './scenarios/s3-listeners';
import * as s3Memory from './scenarios/s3-memory';
import * as s3ProxyCompare from './scenarios/s3-proxy-compare';
import * as s3Throughput from './scenarios/s3-throughput';
import * as s3Ttfb from './scenarios/s3-ttfb';
import * as seek from './scenarios/seek';

const SCENARIOS: Record<string, (ctx: BenchContext) => Promise<void>> = {
  's3-memory': s3Memory.run,
  's3-concurrency': s3Concurrency.run,
  's3-throughput': s3Throughput.run,
  seek: seek.run,
  's3-ttfb': s3Ttfb.run,
  'local-files': localFiles.run,
  's3-accel': s3Accel.run,
  's3-proxy-compare': s3ProxyCompare.run,
  'memory-matrix': memoryMatrix.run,
  's3-listeners': s3Listeners.run,
  'podcast-pattern': podcastPattern.run,
  'podcast-fleet': podcastFleet.run,
  overhead: overhead.run,
  'podcast-counting': podcastCounting.run,
  'accel-reports': accelReports.run,
  'limiter-store': limiterStore.run,
};

function parseArgs(argv: string[]): { names: string[]; scale: number } {
  let scale = 1;
  const names: string[] = [];
  for (const arg of argv) {
    const m = /^--scale=(.+)$/.exec(arg);
    if (m) {
      scale = Number(m[1]);
      if (!(scale > 0 && scale <= 4)) throw new Error(`--scale must be a number in (0, 4], got ${m[1]}`);
    } else if (arg === '--help' || arg === '-h') {
      throw new Error(`usage: tsx test/bench/run.ts [${Object.keys(SCENARIOS).join('|')} ...] [--scale=0.05]`);
    } else if (SCENARIOS[arg]) {
      names.push(arg);
    } else {
      throw new Error(`unknown scenario "${arg}"; known: ${Object.keys(SCENARIOS).join(', ')}`);
    }
  }
  return { names: names.length ? names : Object.keys(SCENARIOS), scale };
}

async function main(): Promise<number> {
  const { names, scale } = parseArgs(process.argv.slice(2));
  const tmpRoot = path.join(REPO_ROOT, '.test-tmp');
  mkdirSync(tmpRoot, { recursive: true });
  await cleanStaleRuns(tmpRoot);
  const runDir = mkdtempSync(path.join(tmpRoot, 'bench-'));
  // Marks the run as alive for other runners' cleanStaleRuns, also when it starts no Ceph.
  writeFileSync(path.join(runDir, 'runner.pid'), String(process.pid));
  const ctx = createContext(scale, runDir);
  const started = Date.now();
  let interrupted = 0;
  const onSignal = (sig: NodeJS.Signals, code: number): void => {
    if (interrupted) return;
    interrupted = code;
    ctx.log(`${sig}: cleaning up`);
    void ctx.cleanup().finally(() => {
      killAllChildren();
      process.exit(code);
    });
  };
  process.on('SIGINT', () => onSignal('SIGINT', 130));
  process.on('SIGTERM', () => onSignal('SIGTERM', 143));

  ctx.log(`station-files bench: ${names.join(', ')} at scale ${scale} (node ${process.version}, ${os.cpus().length} CPUs)`);
  try {
    for (const name of names) {
      const t = Date.now();
      ctx.log(`── ${name}`);
      try {
        await SCENARIOS[name]?.(ctx);
      } catch (err) {
        if (interrupted) break;
        ctx.log(`${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        ctx.emit({ ...metric(name, 'error', 1, 'count'), pass: false });
      }
      ctx.log(`── ${name} done in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    }
  } finally {
    await ctx.cleanup(); // memoized: after a signal, this waits for the cleanup the handler began
  }
  const wall = (Date.now() - started) / 1000;
  const header =
    `# station-files benchmark\n\n${new Date().toISOString()} · scale ${scale} · ${names.join(', ')} · ` +
    `wall ${wall.toFixed(0)} s · node ${process.version} · ${os.cpus().length} CPUs`;
  writeResults(path.join(REPO_ROOT, 'test', 'bench', 'results'), ctx.lines, header);
  process.stderr.write(`\n${header}\n\n${markdownTable(ctx.lines)}`);
  if (interrupted) return interrupted;
  return ctx.lines.some((m) => m.pass === false) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
