/** Command results, and the plain-text tables the commands print without --json. */

/** What a command produced: the --json document and the human-readable text. */
export interface Output {
  json: unknown;
  text: string;
}

export interface Column<Row> {
  header: string;
  value: (row: Row) => string | number | null | undefined;
  /** Right-align (numbers). */
  right?: boolean;
  /** Cut longer values to this many characters. */
  max?: number;
}

const cut = (s: string, max: number | undefined): string => (max && [...s].length > max ? `${[...s].slice(0, max - 1).join('')}…` : s);
const width = (s: string): number => [...s].length;

/** An aligned table with a header row; `empty` when there are no rows. */
export function table<Row>(rows: readonly Row[], columns: readonly Column<Row>[], empty = '(none)'): string {
  if (rows.length === 0) return empty;
  const cells = rows.map((row) => columns.map((c) => cut(String(c.value(row) ?? '-'), c.max).replace(/[\r\n\t]/g, ' ')));
  const widths = columns.map((c, i) => Math.max(width(c.header), ...cells.map((r) => width(r[i] ?? ''))));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => {
        const pad = ' '.repeat((widths[i] ?? 0) - width(v));
        return columns[i]?.right ? pad + v : v + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n');
}

/** 1536 → "1.5 KiB". */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}
