// Result lines: one JSON object per metric on stdout, a Markdown table at the end (stderr + results/).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Metric {
  scenario: string;
  metric: string;
  value: number;
  unit: string;
  /** The same figure for the thing we compare against (the proxy, express.static, plain nginx, …). */
  baseline?: number;
  /** value / baseline. */
  ratio?: number;
  /** What passes, e.g. "value <= 32" or "ratio >= 0.85". */
  target?: string;
  pass?: boolean;
  /** Set when the measurement was not run (value is null): why, e.g. "memory cap: …". */
  skipped?: string;
}

export type Op = '<=' | '>=' | '==';
export interface Target {
  on: 'value' | 'ratio';
  op: Op;
  limit: number;
}

/** Rounds to `digits` decimals (3 significant digits below 1). */
export function round(n: number, digits = 2): number {
  if (!Number.isFinite(n)) return n;
  const d = Math.abs(n) < 1 && n !== 0 ? Math.max(digits, 3 - Math.floor(Math.log10(Math.abs(n))) - 1) : digits;
  const f = 10 ** d;
  return Math.round(n * f) / f;
}

function holds(x: number, op: Op, limit: number): boolean {
  if (!Number.isFinite(x)) return false;
  return op === '<=' ? x <= limit : op === '>=' ? x >= limit : x === limit;
}

/** Builds a metric line; pass is judged on the rounded figures so the table reads consistently. */
export function metric(scenario: string, name: string, value: number, unit: string, opts: { baseline?: number; target?: Target } = {}): Metric {
  const m: Metric = { scenario, metric: name, value: round(value), unit };
  if (opts.baseline !== undefined) {
    m.baseline = round(opts.baseline);
    m.ratio = round(opts.baseline === 0 ? Number.NaN : value / opts.baseline, 3);
  }
  if (opts.target) {
    const { on, op, limit } = opts.target;
    m.target = `${on} ${op} ${limit}`;
    const x = on === 'value' ? m.value : m.ratio;
    m.pass = x !== undefined && holds(x, op, limit);
  }
  return m;
}

/** A line for a measurement that was deliberately not run: value null, `skipped` says why. */
export function notRun(scenario: string, name: string, unit: string, why: string): Metric {
  return { scenario, metric: name, value: Number.NaN, unit, skipped: why };
}

/** JSON has no NaN: non-finite numbers become null. */
export function jsonLine(m: Metric): string {
  return JSON.stringify(m, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v));
}

const cell = (v: number | string | boolean | undefined): string =>
  v === undefined ? '' : typeof v === 'boolean' ? (v ? 'pass' : '**FAIL**') : typeof v === 'number' && !Number.isFinite(v) ? 'n/a' : String(v);

export function markdownTable(lines: Metric[]): string {
  const head = '| scenario | metric | value | unit | baseline | ratio | target | result |\n|---|---|---:|---|---:|---:|---|---|\n';
  return (
    head +
    lines
      .map(
        (m) =>
          `| ${[m.scenario, m.metric, m.value, m.unit, m.baseline, m.ratio, m.target].map(cell).join(' | ')} | ${m.skipped ? `not run: ${m.skipped}` : cell(m.pass)} |`,
      )
      .join('\n') +
    '\n'
  );
}

/** Writes results/latest.md and results/latest.jsonl next to this directory; returns the Markdown. */
export function writeResults(dir: string, lines: Metric[], header: string): string {
  mkdirSync(dir, { recursive: true });
  const md = `${header}\n\n${markdownTable(lines)}`;
  writeFileSync(path.join(dir, 'latest.md'), md);
  writeFileSync(path.join(dir, 'latest.jsonl'), lines.map(jsonLine).join('\n') + (lines.length ? '\n' : ''));
  return md;
}
