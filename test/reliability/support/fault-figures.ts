// Reliability-suite helpers: the RELIABILITY_SCALE factor for counts, and figures reported both as
// test diagnostics and as JSON lines in .test-tmp/reliability-figures.jsonl ({ test, metric, value, unit }).
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const FIGURES = path.join(REPO_ROOT, '.test-tmp', 'reliability-figures.jsonl');

/** RELIABILITY_SCALE (default 1): a multiplier for counts and sizes. */
export function reliabilityScale(): number {
  const raw = process.env.RELIABILITY_SCALE;
  const n = raw === undefined || raw === '' ? 1 : Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`RELIABILITY_SCALE must be a positive number, not "${raw}"`);
  return n;
}

/** `n` times the scale, rounded, at least `min`. */
export function scaled(n: number, min = 1): number {
  return Math.max(min, Math.round(n * reliabilityScale()));
}

interface Diagnostics {
  diagnostic(message: string): void;
}

/** Prints a figure with t.diagnostic and appends it to .test-tmp/reliability-figures.jsonl. */
export function figure(t: Diagnostics, test: string, metric: string, value: number, unit: string): void {
  t.diagnostic(`${metric}: ${value} ${unit}`);
  mkdirSync(path.dirname(FIGURES), { recursive: true });
  appendFileSync(FIGURES, `${JSON.stringify({ test, metric, value, unit })}\n`);
}
