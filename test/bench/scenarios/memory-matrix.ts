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
// applies only where they reach 16), and `downloads_ok`. Chart (lib/chart.ts, vega-lite): results/memory-matrix.svg,
// and at scale 1 also test/bench/memory-matrix.svg (tracked; the README shows it).
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { memoryMatrixSvg } from '../lib/chart';
import { rssGrowth, type BenchChild } from '../lib/child';
import { expectBody, get, sleep } from '../lib/client';
import { GiB, MiB, type BenchContext, type Fixture, type ObjectName } from '../lib/context';
import { metric, notRun } from '../lib/report';
import { REPO_ROOT } from '../lib/s3env';

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
  const child: BenchChild = arm === 'stream' ? await ctx.server('library', { storages: { s3: { kind: 's3' } } }, CHILD_ENV) : await ctx.proxy(CHILD_ENV);
  const url = (key: string): string => (arm === 'stream' ? `${child.url}/s3/${key}` : `${child.url}/${key}`);
  try {
    expectBody(`${arm} warm-up`, await get(url(warm.key), { hash: true }), 200, warm.size, await warm.sha256());
    await sleep(200);
    const before = await child.resetRss();
    const t0 = performance.now();
    const results = await Promise.all(
      Array.from({ length: count }, (_v, i) =>
        get(url(obj.key), { hash: i === 0 }).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err)))),
      ),
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
    ctx.log(
      `  ${arm} ${Math.round(obj.size / MiB)} MiB × ${count}: ${growth.text}; ${(wallMs / 1000).toFixed(1)} s, ` +
        `${((obj.size * count) / 1e6 / (wallMs / 1000)).toFixed(0)} MB/s aggregate`,
    );
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

/**
 * The chart of this run's cells (lines emitted so far): always results/memory-matrix.svg, and at
 * scale 1 also test/bench/memory-matrix.svg, the tracked copy the README shows.
 */
async function writeChart(ctx: BenchContext): Promise<string[]> {
  const svg = await memoryMatrixSvg(
    ctx.lines.filter((m) => m.scenario === NAME),
    { scale: ctx.scale, date: new Date(), node: process.version },
  );
  const bench = path.join(REPO_ROOT, 'test', 'bench');
  const files = [path.join(bench, 'results', 'memory-matrix.svg'), ...(ctx.scale === 1 ? [path.join(bench, 'memory-matrix.svg')] : [])];
  for (const file of files) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, svg);
  }
  return files;
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
      const overBudget =
        size.nominal * c > CELL_TIME_BUDGET
          ? `time budget (${size.nominal / MiB} MiB × ${c} at scale 1 moves more than ${CELL_TIME_BUDGET / GiB} GiB)`
          : undefined;
      const proxySkip =
        overBudget ?? (obj.size * c * 2 >= PROXY_MEMORY_CAP ? `memory cap (${sizeMiB} MiB × ${c} × 2 ≥ ${PROXY_MEMORY_CAP / GiB} GiB)` : undefined);
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
        ctx.emit(
          metric(NAME, cellName('stream'), r.growth, 'MiB', {
            ...(proxyGrowth !== undefined ? { baseline: proxyGrowth } : {}),
            ...(c === 1 ? { target: { on: 'value' as const, op: '<=' as const, limit: 32 } } : {}),
          }),
        );
      }
      ctx.emit(proxySkip ? notRun(NAME, cellName('proxy'), 'MiB', proxySkip) : metric(NAME, cellName('proxy'), proxyGrowth ?? Number.NaN, 'MiB'));
    }
    // A fit over 1 and 4 downloads only (2 GiB within the default time budget) measures GC noise,
    // not a per-download cost: reported without the target.
    const points = cells.filter((x) => x.arm === 'stream' && x.sizeMiB === sizeMiB && !x.skipped).map((x) => ({ x: x.concurrency, y: x.growth }));
    const spans = Math.max(...points.map((p) => p.x)) >= 16;
    ctx.emit(metric(NAME, `stream_rss_per_download@${sizeMiB}MiB`, slope(points), 'MiB', spans ? { target: { on: 'value', op: '<=', limit: 1.5 } } : {}));
  }
  ctx.emit(metric(NAME, 'downloads_ok', ok, 'count', { target: { on: 'value', op: '==', limit: expected } }));
  ctx.log(`  chart: ${(await writeChart(ctx)).map((f) => path.relative(REPO_ROOT, f)).join(', ')}`);
}
