// memory-matrix: server peak RSS growth for S3 objects of 64 MiB, 256 MiB, 1 GiB and 2 GiB
// (× scale) downloaded by 1, 4, 16 and 64 clients at once, through the library (fileHandler,
// s3Storage stream mode) and through the buffering proxy. Every cell runs in a fresh server process
// (warm-up on a 1 MiB object, GC, then the peak is reset), with an S3 socket pool of 64 in both
// servers (BENCH_S3_MAX_SOCKETS), so that 64 downloads are really in flight at once rather than
// 50 plus a queue. One body per cell is sha256-checked, every body's status and length.
//
// Cells not run (a JSON line with value null and `skipped`, never left out):
// - proxy cells where size × concurrency × 2 ≥ 12 GiB (the proxy holds each body, and Node often
//   twice): the machine has 24 GiB;
// - cells (both arms) moving more than 16 GiB at scale 1 (size × concurrency, unscaled): the time
//   budget of the full run (1 GiB × 64, 2 GiB × 16 and 2 GiB × 64; the same cells at every scale).
//   BENCH_MATRIX_CELL_GIB=128 runs every cell (224 GiB more through the library: roughly +8 min
//   at scale 1 on a quiet machine).
// Lines: `<arm>_rss_growth@<size>MiB/c<n>` per cell (the library's with the proxy's as baseline),
// `stream_rss_per_download@<size>MiB` (least-squares slope over the concurrencies run; its target
// applies only where they reach 16), and `downloads_ok`. Chart: results/memory-matrix.svg.
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { rssGrowth, type BenchChild } from '../lib/child';
import { expectBody, get, sleep } from '../lib/client';
import { GiB, MiB, type BenchContext, type Fixture, type ObjectName } from '../lib/context';
import { metric, notRun } from '../lib/report';
import { REPO_ROOT } from '../lib/s3env';
import { lineChartSvg, type Series } from '../lib/svg-chart';

const NAME = 'memory-matrix';
const SIZES: { object: ObjectName; nominal: number }[] = [
  { object: 'm64', nominal: 64 * MiB },
  { object: 'm256', nominal: 256 * MiB },
  { object: 'gig', nominal: GiB },
  { object: 'big', nominal: 2 * GiB },
];
const CONCURRENCY = [1, 4, 16, 64];
const PROXY_MEMORY_CAP = 12 * GiB;
const CELL_TIME_BUDGET = (Number(process.env.BENCH_MATRIX_CELL_GIB) > 0 ? Number(process.env.BENCH_MATRIX_CELL_GIB) : 16) * GiB;
const CHILD_ENV = { BENCH_S3_MAX_SOCKETS: '64' };
const COLORS = ['#1f77b4', '#2ca02c', '#ff7f0e', '#d62728'];

type Arm = 'stream' | 'proxy';

interface Cell {
  arm: Arm;
  sizeMiB: number;
  concurrency: number;
  growth: number;
  skipped?: string;
}

/** One cell in a fresh server: returns the peak RSS growth (MiB) and how many bodies were right. */
async function measure(ctx: BenchContext, arm: Arm, obj: Fixture, warm: Fixture, count: number): Promise<{ growth: number; ok: number }> {
  const child: BenchChild = arm === 'stream'
    ? await ctx.server('library', { storages: { s3: { kind: 's3' } } }, CHILD_ENV)
    : await ctx.proxy(CHILD_ENV);
  const url = (key: string): string => (arm === 'stream' ? `${child.url}/s3/${key}` : `${child.url}/${key}`);
  try {
    expectBody(`${arm} warm-up`, await get(url(warm.key), { hash: true }), 200, warm.size, await warm.sha256());
    await sleep(200);
    const before = await child.resetRss();
    const t0 = performance.now();
    const results = await Promise.all(
      Array.from({ length: count }, (_v, i) => get(url(obj.key), { hash: i === 0 }).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))))),
    );
    const wallMs = performance.now() - t0;
    await sleep(150); // one more sample after the last byte
    const growth = rssGrowth(before, await child.rss());
    const sha = await obj.sha256();
    let ok = 0;
    for (const [i, r] of results.entries()) {
      try {
        if (r instanceof Error) throw r;
        expectBody(`${arm} download ${i}`, r, 200, obj.size, i === 0 ? sha : undefined);
        ok++;
      } catch (err) {
        ctx.log(`  ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    ctx.log(`  ${arm} ${Math.round(obj.size / MiB)} MiB × ${count}: ${growth.text}; ${(wallMs / 1000).toFixed(1)} s, ` +
      `${((obj.size * count) / 1e6 / (wallMs / 1000)).toFixed(0)} MB/s aggregate`);
    return { growth: growth.mib, ok };
  } finally {
    await child.stop();
  }
}

/** Least-squares slope of y over x (NaN with fewer than two points). */
function slope(points: { x: number; y: number }[]): number {
  if (points.length < 2) return Number.NaN;
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  return sxx === 0 ? Number.NaN : points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0) / sxx;
}

function writeChart(ctx: BenchContext, cells: Cell[]): string {
  const sizes = [...new Set(cells.map((c) => c.sizeMiB))];
  const series: Series[] = [];
  for (const arm of ['stream', 'proxy'] as const) {
    sizes.forEach((size, i) => {
      series.push({
        label: `${arm === 'stream' ? 'station-files stream' : 'buffering proxy'}, ${size} MiB`,
        color: COLORS[i % COLORS.length] ?? '#000',
        dashed: arm === 'proxy',
        points: cells.filter((c) => c.arm === arm && c.sizeMiB === size && !c.skipped).map((c) => ({ x: c.concurrency, y: c.growth })),
      });
    });
  }
  series.push({
    label: 'target: 32 MiB + 1.5 MiB per extra download',
    color: '#888',
    reference: true,
    points: CONCURRENCY.map((c) => ({ x: c, y: 32 + 1.5 * (c - 1) })),
  });
  const skipped = cells.filter((c) => c.skipped);
  const notes = [
    'Solid: station-files (stream mode); dashed, open dots: buffering proxy. Fresh server process per cell; peak = max(50 ms samples, VmHWM).',
    `Targets: ≤ 32 MiB with one download at any size; ≤ 1.5 MiB per concurrent download (slope). Not run (${skipped.length}):`,
    ...skipped.map((c) => `  ${c.arm} ${c.sizeMiB} MiB × ${c.concurrency}: ${c.skipped}`),
  ];
  const svg = lineChartSvg({
    title: 'station-files: server peak RSS growth vs concurrent downloads',
    subtitle: `scale ${ctx.scale} · ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · node ${process.version} · log–log`,
    xLabel: 'concurrent downloads of one object',
    yLabel: 'peak RSS growth over idle (MiB)',
    xTicks: CONCURRENCY,
    logX: true,
    logY: true,
    yMin: 1,
    series,
    notes,
  });
  const dir = path.join(REPO_ROOT, 'test', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'memory-matrix.svg');
  writeFileSync(file, svg);
  return file;
}

export async function run(ctx: BenchContext): Promise<void> {
  const warm = await ctx.object('warm');
  const cells: Cell[] = [];
  let ok = 0;
  let expected = 0;
  for (const size of SIZES) {
    const obj = await ctx.object(size.object);
    const sizeMiB = Math.round(obj.size / MiB);
    for (const c of CONCURRENCY) {
      const cellName = (arm: Arm): string => `${arm}_rss_growth@${sizeMiB}MiB/c${c}`;
      const overBudget = size.nominal * c > CELL_TIME_BUDGET
        ? `time budget (${size.nominal / MiB} MiB × ${c} at scale 1 moves more than ${CELL_TIME_BUDGET / GiB} GiB)`
        : undefined;
      const proxySkip = overBudget ?? (obj.size * c * 2 >= PROXY_MEMORY_CAP
        ? `memory cap (${sizeMiB} MiB × ${c} × 2 ≥ ${PROXY_MEMORY_CAP / GiB} GiB)`
        : undefined);
      let proxyGrowth: number | undefined;
      if (proxySkip) {
        cells.push({ arm: 'proxy', sizeMiB, concurrency: c, growth: Number.NaN, skipped: proxySkip });
      } else {
        const r = await measure(ctx, 'proxy', obj, warm, c);
        ok += r.ok;
        expected += c;
        proxyGrowth = r.growth;
        cells.push({ arm: 'proxy', sizeMiB, concurrency: c, growth: r.growth });
      }
      if (overBudget) {
        cells.push({ arm: 'stream', sizeMiB, concurrency: c, growth: Number.NaN, skipped: overBudget });
        ctx.emit(notRun(NAME, cellName('stream'), 'MiB', overBudget));
      } else {
        const r = await measure(ctx, 'stream', obj, warm, c);
        ok += r.ok;
        expected += c;
        cells.push({ arm: 'stream', sizeMiB, concurrency: c, growth: r.growth });
        ctx.emit(metric(NAME, cellName('stream'), r.growth, 'MiB', {
          ...(proxyGrowth !== undefined ? { baseline: proxyGrowth } : {}),
          ...(c === 1 ? { target: { on: 'value' as const, op: '<=' as const, limit: 32 } } : {}),
        }));
      }
      ctx.emit(proxySkip ? notRun(NAME, cellName('proxy'), 'MiB', proxySkip) : metric(NAME, cellName('proxy'), proxyGrowth ?? Number.NaN, 'MiB'));
    }
    // A fit over 1 and 4 downloads only (2 GiB within the default time budget) measures GC noise,
    // not a per-download cost: reported without the target.
    const points = cells.filter((x) => x.arm === 'stream' && x.sizeMiB === sizeMiB && !x.skipped).map((x) => ({ x: x.concurrency, y: x.growth }));
    const spans = Math.max(...points.map((p) => p.x)) >= 16;
    ctx.emit(metric(NAME, `stream_rss_per_download@${sizeMiB}MiB`, slope(points), 'MiB',
      spans ? { target: { on: 'value', op: '<=', limit: 1.5 } } : {}));
  }
  ctx.emit(metric(NAME, 'downloads_ok', ok, 'count', { target: { on: 'value', op: '==', limit: expected } }));
  ctx.log(`  chart: ${path.relative(REPO_ROOT, writeChart(ctx, cells))}`);
}
