// The memory-matrix chart: server peak RSS growth over concurrent downloads, one line per object size
// for the library (solid) and the buffering proxy (dashed), drawn with vega-lite + vega to a
// standalone SVG (headless, no canvas). Cells not run are left out and listed under the plot.
//
// Re-render from a results file:  npx tsx test/bench/lib/chart.ts <latest.jsonl> <out.svg> [--scale=0.05]
// (without --scale the scale is inferred from the largest size, 2 GiB at scale 1).
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { Metric } from './report';

const SCENARIO = 'memory-matrix';
const CONCURRENCY = [1, 4, 16, 64];
/** Object sizes at scale 1, in MiB (the matrix's rows). */
const NOMINAL_MIB = [64, 256, 1024, 2048];
const COLORS = ['#1f77b4', '#2ca02c', '#ff7f0e', '#d62728', '#9467bd', '#8c564b'];
const ARMS = { stream: 'station-files (stream mode)', proxy: 'buffering proxy' } as const;
const TARGET = 'target for station-files';
type Arm = keyof typeof ARMS;
const FONT = 'Helvetica, Arial, sans-serif';
/** Plot area; with the legends on the right the whole image is about 820 px wide. */
const PLOT = { width: 520, height: 360 };

export interface ChartOptions {
  /** The run's --scale (inferred from the largest size when absent). */
  scale?: number;
  /** When the run was made (shown in the footer). */
  date?: Date;
  /** Node version of the run (shown in the footer). */
  node?: string;
}

interface Cell {
  arm: Arm;
  sizeMiB: number;
  concurrency: number;
  growth: number | null;
  skipped?: string;
}

const CELL_RE = /^(stream|proxy)_rss_growth@(\d+(?:\.\d+)?)MiB\/c(\d+)$/;

function cells(lines: Metric[]): Cell[] {
  const out: Cell[] = [];
  for (const m of lines) {
    if (m.scenario !== SCENARIO) continue;
    const x = CELL_RE.exec(m.metric);
    if (!x) continue;
    const value = typeof m.value === 'number' && Number.isFinite(m.value) ? m.value : null;
    out.push({
      arm: x[1] as Arm,
      sizeMiB: Number(x[2]),
      concurrency: Number(x[3]),
      growth: value,
      ...(value === null ? { skipped: m.skipped ?? 'no value' } : {}),
    });
  }
  return out;
}

const sizeText = (mib: number): string => (mib >= 1024 && mib % 1024 === 0 ? `${mib / 1024} GiB` : `${mib} MiB`);
const list = (xs: string[]): string => xs.join(', ');

/** 2 significant digits (scales like 0.05, 0.02, 1). */
const roundScale = (s: number): number => Number(s.toPrecision(2));

/** The nominal (scale 1) size of a row, when the scale makes it recognisable. */
function nominal(sizeMiB: number, scale: number): number | undefined {
  const guess = sizeMiB / scale;
  const best = NOMINAL_MIB.reduce((a, b) => (Math.abs(Math.log(b / guess)) < Math.abs(Math.log(a / guess)) ? b : a));
  return Math.abs(Math.log(best / guess)) < 0.35 ? best : undefined;
}

/** The nearest of 1, 2, 5 × 10^k at or below (`down`) or at or above (`up`) v. */
function niceLog(v: number, dir: 'down' | 'up'): number {
  const d = Math.floor(Math.log10(v));
  const steps = [1, 2, 5, 10].map((m) => m * 10 ** d);
  return dir === 'down' ? Math.max(...steps.filter((s) => s <= v * (1 + 1e-9))) : Math.min(...steps.filter((s) => s >= v * (1 - 1e-9)));
}

/** y tick values 1, 2, 5, 10, 20, 50, … covering [lo, hi]. */
function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let d = Math.floor(Math.log10(lo)); d <= Math.ceil(Math.log10(hi)); d++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** d;
      if (v >= lo && v <= hi) ticks.push(v);
    }
  }
  return ticks;
}

/**
 * Text widths without a canvas. Vega's own estimate (0.8 × font size per character) is far wider
 * than Helvetica/Arial, which leaves big gaps after legends and titles; this is a rough per-character
 * estimate for those fonts instead (relative to the font size).
 */
function charWidth(ch: string): number {
  if (' '.includes(ch)) return 0.28;
  if ("iljI.,:;!|'".includes(ch)) return 0.24;
  if ('ftr()[]-/'.includes(ch)) return 0.34;
  if ('mwMW'.includes(ch)) return 0.84;
  if ('×–—%@'.includes(ch)) return 0.75;
  if (/[0-9]/.test(ch)) return 0.56;
  if (/[A-Z]/.test(ch)) return 0.68;
  return 0.52;
}

interface TextItem {
  fontSize?: number;
  fontWeight?: string | number;
  limit?: number;
}

function estimateTextWidth(item: TextItem, text: unknown): number {
  const s = text == null ? '' : String(text).trim();
  const size = item.fontSize ?? 11;
  const bold = item.fontWeight === 'bold' || (typeof item.fontWeight === 'number' && item.fontWeight >= 600);
  let w = 0;
  for (const ch of s) w += charWidth(ch);
  // × 1.08: leaves room for wider fallbacks (DejaVu Sans where Helvetica/Arial are missing)
  return w * size * (bold ? 1.07 : 1) * 1.08;
}

function useTextEstimate(): void {
  const tm = (vega as unknown as { textMetrics?: { width: (item: TextItem, text: unknown) => number } }).textMetrics;
  if (tm) tm.width = estimateTextWidth;
}

/** Says which cells were not run, grouped by reason and by which servers. */
function notRunNote(all: Cell[]): string[] {
  const byCell = new Map<string, { sizeMiB: number; concurrency: number; arms: Set<Arm>; reason: string }>();
  for (const c of all.filter((x) => x.growth === null)) {
    const key = `${c.sizeMiB}/${c.concurrency}`;
    const reason = (c.skipped ?? '').replace(/\s*\(.*$/, '') || 'not run';
    const e = byCell.get(key) ?? { sizeMiB: c.sizeMiB, concurrency: c.concurrency, arms: new Set<Arm>(), reason };
    e.arms.add(c.arm);
    byCell.set(key, e);
  }
  if (byCell.size === 0) return ['Every cell was run.'];
  const groups = new Map<string, string[]>();
  for (const e of [...byCell.values()].sort((a, b) => a.sizeMiB - b.sizeMiB || a.concurrency - b.concurrency)) {
    const who = e.arms.size === 2 ? 'both servers' : e.arms.has('proxy') ? 'proxy only' : 'station-files only';
    const k = `${e.reason} (${who})`;
    groups.set(k, [...(groups.get(k) ?? []), `${sizeText(e.sizeMiB)} × ${e.concurrency}`]);
  }
  return [...groups.entries()].map(([k, v]) => `Not run, ${k}: ${list(v)}.`);
}

/** The vega-lite spec for the memory-matrix lines. */
export function memoryMatrixSpec(lines: Metric[], opts: ChartOptions = {}): TopLevelSpec {
  const all = cells(lines);
  if (all.length === 0) throw new Error(`no ${SCENARIO} cell lines (…_rss_growth@<size>MiB/c<n>)`);
  const sizes = [...new Set(all.map((c) => c.sizeMiB))].sort((a, b) => a - b);
  const largest = sizes[sizes.length - 1] ?? 2048;
  const scale = opts.scale ?? roundScale(largest / 2048);
  const inferred = opts.scale === undefined;
  const values = all
    .filter((c) => c.growth !== null)
    .map((c) => ({
      arm: c.arm,
      armLabel: ARMS[c.arm],
      size: sizeText(c.sizeMiB),
      sizeMiB: c.sizeMiB,
      concurrency: c.concurrency,
      growth: Math.max(c.growth ?? 0, 0.5), // log axis: a growth of ~0 is drawn at its floor
      growthText: (c.growth ?? 0).toFixed(1),
    }));
  const growths = values.map((v) => v.growth);
  const target = CONCURRENCY.map((c) => ({ concurrency: c, growth: 32 + 1.5 * (c - 1) }));
  const yLo = niceLog(Math.min(...growths, 32) / 1.2, 'down');
  const yHi = niceLog(Math.max(...growths, 130) * 1.2, 'up');
  const sizeDomain = sizes.map(sizeText);

  const nominals = sizes.map((s) => nominal(s, scale));
  const scaleText = `scale ${scale}${inferred ? ', inferred from the sizes' : ''}`;
  const sizesLine =
    scale === 1 || nominals.some((n) => n === undefined)
      ? `S3 objects of ${list(sizeDomain)} (${scaleText}).`
      : `S3 objects of ${list(sizeDomain)} (${list(nominals.map((n) => sizeText(n ?? 0)))} × ${scaleText}).`;
  const subtitle = [sizesLine, 'Solid, filled dots: station-files stream mode · dashed, open dots: a proxy buffering each object · log–log'];
  const footer = [
    ...notRunNote(all),
    'Target (dotted): ≤ 32 MiB with one download, ≤ 1.5 MiB more per extra download (least-squares slope).',
    'Growth: peak RSS (max of 50 ms samples and VmHWM) minus idle RSS after a warm-up request and a GC,',
    'in a fresh server process per cell; S3 socket pool of 64 in both servers.',
    [opts.date ? `Run ${opts.date.toISOString().slice(0, 16).replace('T', ' ')} UTC` : '', opts.node ? `Node ${opts.node}` : '', 'drawn with vega-lite']
      .filter(Boolean)
      .join(' · '),
  ];

  const x = {
    field: 'concurrency',
    type: 'quantitative' as const,
    title: 'concurrent downloads of one object',
    scale: { type: 'log' as const, base: 2, domain: [0.8, 80], nice: false },
    axis: { values: CONCURRENCY, format: 'd', grid: true },
  };
  const y = {
    field: 'growth',
    type: 'quantitative' as const,
    title: 'server peak RSS growth (MiB)',
    scale: { type: 'log' as const, domain: [yLo, yHi], nice: false },
    axis: { values: logTicks(yLo, yHi), format: ',', grid: true },
  };
  const color = {
    field: 'size',
    type: 'nominal' as const,
    title: 'object size',
    scale: { domain: sizeDomain, range: sizeDomain.map((_s, i) => COLORS[i % COLORS.length] ?? '#000') },
    legend: { symbolType: 'stroke', symbolStrokeWidth: 3, order: 1 },
  };
  const style = {
    field: 'armLabel',
    type: 'nominal' as const,
    title: 'server',
    scale: {
      domain: [ARMS.stream, ARMS.proxy, TARGET],
      range: [
        [1, 0],
        [7, 4],
        [2, 3],
      ],
    },
    legend: { symbolType: 'stroke', symbolStrokeColor: '#333', symbolStrokeWidth: 2, symbolSize: 500, order: 0 },
  };
  const tooltip = [
    { field: 'armLabel', title: 'server' },
    { field: 'size', title: 'object' },
    { field: 'concurrency', title: 'downloads' },
    { field: 'growthText', title: 'growth (MiB)' },
  ];
  const points = (arm: Arm, filled: boolean) => ({
    data: { values },
    transform: [{ filter: `datum.arm === '${arm}'` }],
    mark: filled
      ? { type: 'point' as const, filled: true, size: 42, opacity: 1 }
      : { type: 'point' as const, filled: false, fill: '#ffffff', size: 42, strokeWidth: 1.6, opacity: 1 },
    encoding: { x, y, color, tooltip },
  });

  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    background: '#ffffff',
    padding: { left: 16, right: 24, top: 16, bottom: 14 },
    width: PLOT.width,
    height: PLOT.height,
    title: {
      text: 'Server memory vs concurrent downloads: station-files vs a buffering proxy',
      subtitle,
      anchor: 'start',
      frame: 'group',
      fontSize: 17,
      subtitleFontSize: 12,
      subtitleColor: '#444',
      subtitlePadding: 6,
      subtitleLineHeight: 16,
      offset: 14,
    },
    layer: [
      {
        data: { values: target.map((t) => ({ ...t, armLabel: TARGET })) },
        mark: { type: 'line', color: '#888', strokeWidth: 1.5 },
        encoding: { x, y, strokeDash: style },
      },
      {
        data: { values },
        mark: { type: 'line', strokeWidth: 2.2 },
        encoding: { x, y, color, detail: { field: 'arm' }, strokeDash: style },
      },
      points('stream', true),
      points('proxy', false),
      {
        // notes under the plot, below the x axis title
        data: { values: footer.map((text, i) => ({ i, text })) },
        mark: { type: 'text', align: 'left', baseline: 'top', color: '#555', fontSize: 11, limit: 0 },
        encoding: {
          x: { value: 0 },
          y: { field: 'footerY', type: 'quantitative', scale: null },
          text: { field: 'text' },
        },
        transform: [{ calculate: `${PLOT.height + 46} + datum.i * 15`, as: 'footerY' }],
      },
    ],
    config: {
      font: FONT,
      view: { stroke: '#bbb' },
      axis: {
        labelFontSize: 12,
        titleFontSize: 12,
        titleFontWeight: 'normal',
        titleColor: '#333',
        labelColor: '#333',
        gridColor: '#e6e6e6',
        domainColor: '#888',
        tickColor: '#888',
      },
      legend: { labelFontSize: 12, titleFontSize: 12, titleFontWeight: 'bold', labelLimit: 400, rowPadding: 5, offset: 16, padding: 4 },
    },
  } as TopLevelSpec;
}

/** The memory-matrix chart as an SVG document. */
export async function memoryMatrixSvg(lines: Metric[], opts: ChartOptions = {}): Promise<string> {
  useTextEstimate();
  const spec = vl.compile(memoryMatrixSpec(lines, opts)).spec;
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return svg.endsWith('\n') ? svg : `${svg}\n`;
  } finally {
    view.finalize();
  }
}

/** Reads JSON lines (a results file), keeping the lines that parse. */
export function readResults(file: string): Metric[] {
  const out: Metric[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as Metric);
    } catch {
      // not a result line
    }
  }
  return out;
}

async function main(argv: string[]): Promise<void> {
  const scaleArg = argv.find((a) => a.startsWith('--scale='));
  const [input, output] = argv.filter((a) => !a.startsWith('--'));
  if (!input || !output) throw new Error('usage: npx tsx test/bench/lib/chart.ts <latest.jsonl> <out.svg> [--scale=0.05]');
  const scale = scaleArg ? Number(scaleArg.slice('--scale='.length)) : undefined;
  if (scale !== undefined && !(scale > 0)) throw new Error(`bad ${scaleArg}`);
  const lines = readResults(input).filter((m) => m.scenario === SCENARIO);
  writeFileSync(output, await memoryMatrixSvg(lines, { ...(scale !== undefined ? { scale } : {}), date: statSync(input).mtime }));
  process.stderr.write(`${output}: ${lines.length} ${SCENARIO} lines\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
