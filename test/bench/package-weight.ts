// Package weight, by hand:  npx tsx test/bench/package-weight.ts [--before=<git ref>] [--runs=15]
// What a host pays for installing and loading station-files: the checkout is built and packed
// (test/support/pack.ts), and fresh host apps in temp folders `npm install` the tarball with
// express 4 from the registry:
//   local-only: tarball + express   → `du -sk node_modules`, packages, require('station-files') time
//   s3:         + the AWS SDK peers → the same, and require('station-files/s3') time
// Load time is measured inside a fresh `node -e` that has loaded the host's express already (hrtime
// around the require, so node's startup and express are left out), median of --runs runs (before and after interleaved); modules =
// require.cache entries the require added. Figures: root (local-only app), /s3 alone, root + /s3.
// With --before=<ref>, that commit is packed too (git worktree in a temp folder, npm ci, build, pack;
// the worktree is removed afterwards) and every figure gets it as `baseline` (ratio = value / baseline).
// A package without the `./s3` subpath (before the split) had S3 in its root: its /s3 figures are the root's.
// stdout: one JSON line per figure, in the shape of test/bench/run.ts's; stderr: progress and a table.
import { execFileSync, type ExecFileSyncOptions } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { npmEnv, packProject } from '../support/pack';
import { markdownTable, metric, type Metric } from './lib/report';

const REPO = path.resolve(__dirname, '..', '..');
const EXPRESS = 'express@4.22.3';
const SDK = ['@aws-sdk/client-s3@3.1169.0', '@aws-sdk/s3-request-presigner@3.1169.0'];

function args(): { before?: string; runs: number } {
  let before: string | undefined;
  let runs = 15;
  for (const a of process.argv.slice(2)) {
    const m = /^--(before|runs)=(.+)$/.exec(a);
    if (!m) throw new Error('usage: tsx test/bench/package-weight.ts [--before=<git ref>] [--runs=15]');
    if (m[1] === 'before') before = m[2];
    else runs = Number(m[2]);
  }
  if (!(Number.isInteger(runs) && runs > 0)) throw new Error('--runs must be a positive integer');
  return { before, runs };
}

const log = (msg: string): void => {
  process.stderr.write(`package-weight: ${msg}\n`);
};

function sh(cmd: string, argv: string[], cwd: string, opts: ExecFileSyncOptions = {}): string {
  return execFileSync(cmd, argv, { cwd, env: npmEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, ...opts }) as string;
}

/** Packs commit `ref` from a temporary worktree (removed afterwards). */
function packRef(ref: string, dest: string): string {
  const wt = path.join(dest, `worktree-${ref}`);
  sh('git', ['worktree', 'add', '--detach', wt, ref], REPO);
  try {
    log(`npm ci in the ${ref} worktree`);
    sh('npm', ['ci', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], wt);
    return packProject(dest, wt);
  } finally {
    sh('git', ['worktree', 'remove', '--force', wt], REPO);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** A fresh host app in `dir` with `specs` installed. */
function hostApp(dir: string, specs: string[]): { kib: number; packages: number } {
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: path.basename(dir), version: '1.0.0', private: true }));
  sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--save-exact', '--loglevel=error', ...specs], dir);
  const kib = Number(sh('du', ['-sk', 'node_modules'], dir).split(/\s/)[0]);
  const lock = JSON.parse(readFileSync(path.join(dir, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
  return { kib, packages: Object.keys(lock.packages).filter((k) => k !== '').length };
}

/**
 * One timing sample: requiring `entries` in a fresh process that has loaded the host's express already
 * (a panel has): ms, and the modules those requires add to require.cache.
 */
function requireSample(dir: string, entries: string[]): { ms: number; modules: number } {
  const code = `require('express'); const n0 = Object.keys(require.cache).length; const t = process.hrtime.bigint();
    for (const e of ${JSON.stringify(entries)}) require(e);
    const ms = Number(process.hrtime.bigint() - t) / 1e6; console.log(JSON.stringify({ ms, modules: Object.keys(require.cache).length - n0 }));`;
  return JSON.parse(sh(process.execPath, ['-e', code], dir)) as { ms: number; modules: number };
}

type Figures = Record<string, { value: number; unit: string }>;
interface Timing {
  figures: Figures;
  name: string;
  dir: string;
  entries: string[];
  ms: number[];
  modules: number;
}

/** Installs the two host apps for `tarball`; returns the size figures and the timings still to run. */
function install(label: string, tarball: string, tmp: string): { figures: Figures; timings: Timing[] } {
  const local = path.join(tmp, `${label}-local-only`);
  const s3 = path.join(tmp, `${label}-s3`);
  for (const d of [local, s3]) mkdirSync(d, { recursive: true });
  log(`${label}: installing ${path.basename(tarball)} + ${EXPRESS}`);
  const a = hostApp(local, [tarball, EXPRESS]);
  log(`${label}: installing ${path.basename(tarball)} + ${EXPRESS} + ${SDK.join(' ')}`);
  const b = hostApp(s3, [tarball, EXPRESS, ...SDK]);
  const figures: Figures = {
    tarball_size: { value: readFileSync(tarball).length / 1024, unit: 'KiB' },
    'installed_size@local-only': { value: a.kib, unit: 'KiB' },
    'installed_packages@local-only': { value: a.packages, unit: 'count' },
    'installed_size@s3': { value: b.kib, unit: 'KiB' },
    'installed_packages@s3': { value: b.packages, unit: 'count' },
  };
  // Before the split, S3 was in the root: its /s3 figures are the root's (in the app with the SDK).
  const split = existsSync(path.join(s3, 'node_modules', 'station-files', 'dist', 'lib', 'entry', 's3.js'));
  const timing = (name: string, dir: string, entries: string[]): Timing => ({ figures, name, dir, entries, ms: [], modules: 0 });
  return {
    figures,
    timings: [
      timing('root', local, ['station-files']),
      timing('s3', s3, [split ? 'station-files/s3' : 'station-files']),
      timing('root+s3', s3, split ? ['station-files', 'station-files/s3'] : ['station-files']),
    ],
  };
}

/** Runs every timing `runs` times, interleaved in rotating order so load changes hit all alike; medians. */
function time(timings: Timing[], runs: number): void {
  log(`timing requires: ${runs} fresh processes each, interleaved`);
  for (let r = 0; r < runs; r++) {
    for (let k = 0; k < timings.length; k++) {
      const t = timings[(k + r) % timings.length]!;
      const sample = requireSample(t.dir, t.entries);
      t.ms.push(sample.ms);
      t.modules = sample.modules;
    }
  }
  for (const t of timings) {
    t.figures[`require_ms@${t.name}`] = { value: median(t.ms), unit: 'ms' };
    t.figures[`require_modules@${t.name}`] = { value: t.modules, unit: 'count' };
  }
}

function main(): void {
  const { before, runs } = args();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sf-package-weight-'));
  try {
    log(`node ${process.version}; packing the checkout`);
    const after = install('after', packProject(tmp), tmp);
    const base = before ? install('before', packRef(before, tmp), tmp) : undefined;
    time([...after.timings, ...(base?.timings ?? [])], runs);
    const lines: Metric[] = Object.entries(after.figures).map(([name, { value, unit }]) =>
      metric('package-weight', name, value, unit, base?.figures[name] ? { baseline: base.figures[name].value } : {}),
    );
    for (const l of lines) process.stdout.write(`${JSON.stringify(l)}\n`);
    process.stderr.write(`\n${before ? `baseline: ${before}\n\n` : ''}${markdownTable(lines)}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main();
