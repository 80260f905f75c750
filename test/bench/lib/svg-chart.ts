// A small hand-built SVG line chart (no dependency): log or linear axes, one polyline per series
// with dots at the points, a legend, and notes under the plot (e.g. which cells were not run).

export interface Series {
  label: string;
  color: string;
  dashed?: boolean;
  /** A thin dotted reference line without dots (e.g. a target). */
  reference?: boolean;
  points: { x: number; y: number }[];
}

export interface ChartOptions {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  /** x values to label (and the x range). */
  xTicks: number[];
  logX?: boolean;
  logY?: boolean;
  /** Lower bound of the y axis (log axes: values below it are drawn on it). */
  yMin?: number;
  series: Series[];
  notes?: string[];
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (n: number): string => (n >= 10 ? n.toFixed(0) : String(+n.toFixed(1)));

/** Returns the SVG document. */
export function lineChartSvg(o: ChartOptions): string {
  const W = 1060;
  const notes = o.notes ?? [];
  const plot = { left: 80, top: 70, width: 600, height: 380 };
  const H = plot.top + plot.height + 70 + notes.length * 16;
  const ys = o.series.flatMap((s) => s.points.map((p) => p.y)).filter((y) => Number.isFinite(y));
  const yMinRaw = o.yMin ?? (o.logY ? 1 : 0);
  const yMaxRaw = Math.max(yMinRaw * 10, ...ys);
  const tx = (v: number): number => (o.logX ? Math.log10(v) : v);
  const ty = (v: number): number => (o.logY ? Math.log10(Math.max(v, yMinRaw)) : v);
  const [x0, x1] = [tx(Math.min(...o.xTicks)), tx(Math.max(...o.xTicks))];
  // y range: whole decades on a log axis, a rounded top on a linear one
  const y0 = o.logY ? Math.floor(ty(yMinRaw)) : yMinRaw;
  const y1 = o.logY ? Math.ceil(ty(yMaxRaw)) : yMaxRaw * 1.1;
  const px = (v: number): number => plot.left + ((tx(v) - x0) / (x1 - x0 || 1)) * plot.width;
  const py = (v: number): number => plot.top + plot.height - ((ty(v) - y0) / (y1 - y0 || 1)) * plot.height;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${plot.left}" y="28" font-size="17" font-weight="bold">${esc(o.title)}</text>`);
  if (o.subtitle) out.push(`<text x="${plot.left}" y="48" fill="#555">${esc(o.subtitle)}</text>`);
  // y grid and labels
  const yTicks: number[] = [];
  if (o.logY) {
    for (let d = y0; d <= y1; d++) for (const m of [1, 2, 5]) if (d + Math.log10(m) <= y1 + 1e-9) yTicks.push(m * 10 ** d);
  } else {
    const step = 10 ** Math.floor(Math.log10((y1 - y0) / 5 || 1));
    for (let v = y0; v <= y1; v += step * Math.ceil((y1 - y0) / step / 6)) yTicks.push(v);
  }
  for (const v of yTicks) {
    const y = py(v).toFixed(1);
    const major = !o.logY || Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9;
    out.push(`<line x1="${plot.left}" x2="${plot.left + plot.width}" y1="${y}" y2="${y}" stroke="${major ? '#ccc' : '#eee'}"/>`);
    out.push(`<text x="${plot.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" fill="#333">${esc(fmt(v))}</text>`);
  }
  for (const v of o.xTicks) {
    const x = px(v).toFixed(1);
    out.push(`<line x1="${x}" x2="${x}" y1="${plot.top}" y2="${plot.top + plot.height}" stroke="#eee"/>`);
    out.push(`<text x="${x}" y="${plot.top + plot.height + 18}" text-anchor="middle" fill="#333">${esc(String(v))}</text>`);
  }
  out.push(`<rect x="${plot.left}" y="${plot.top}" width="${plot.width}" height="${plot.height}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${plot.left + plot.width / 2}" y="${plot.top + plot.height + 40}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  out.push(`<text transform="translate(22 ${plot.top + plot.height / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`);
  // series
  for (const s of o.series) {
    const pts = s.points.filter((p) => Number.isFinite(p.y)).sort((a, b) => a.x - b.x);
    if (pts.length === 0) continue;
    const d = pts.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ');
    if (s.reference) {
      out.push(`<polyline points="${d}" fill="none" stroke="${s.color}" stroke-width="1.5" stroke-dasharray="2 3"/>`);
      continue;
    }
    out.push(`<polyline points="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    for (const p of pts) {
      out.push(`<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3.5" fill="${s.dashed ? '#fff' : s.color}" stroke="${s.color}" stroke-width="1.5"><title>${esc(`${s.label}: ${p.x} → ${p.y.toFixed(1)}`)}</title></circle>`);
    }
  }
  // legend
  const lx = plot.left + plot.width + 24;
  o.series.forEach((s, i) => {
    const y = plot.top + 8 + i * 20;
    const dash = s.reference ? ' stroke-dasharray="2 3"' : s.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(`<line x1="${lx}" x2="${lx + 28}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="${s.reference ? 1.5 : 2}"${dash}/>`);
    out.push(`<text x="${lx + 36}" y="${y}" dominant-baseline="middle">${esc(s.label)}</text>`);
  });
  notes.forEach((n, i) => {
    out.push(`<text x="${plot.left}" y="${plot.top + plot.height + 64 + i * 16}" fill="#555">${esc(n)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
