/** `downloads`: a station's download history, newest first. */
import type { DownloadRow } from '../db/database';
import { defineCommand } from './command';
import { usageError } from './errors';
import { formatBytes, table } from './output';

const USAGE = 'downloads --station ID_OR_SHORTCODE [--since ISO-DATE] [--limit N] [--json]';

/** A download row with camelCase keys. */
export interface DownloadListing {
  id: string;
  at: string;
  station: string | null;
  userId: string | null;
  userName: string | null;
  kind: string;
  fileId: string | null;
  outcome: string;
  status: number;
  method: string;
  range: string | null;
  bytesSent: number | null;
  size: number | null;
  delivery: string | null;
  storage: string | null;
  durationMs: number;
  ip: string;
  userAgent: string | null;
  referer: string | null;
}

export const toListing = (r: DownloadRow): DownloadListing => ({
  id: r.id,
  at: r.at,
  station: r.station,
  userId: r.user_id,
  userName: r.user_name,
  kind: r.kind,
  fileId: r.file_id,
  outcome: r.outcome,
  status: r.status,
  method: r.method,
  range: r.range,
  bytesSent: r.bytes_sent,
  size: r.size,
  delivery: r.delivery,
  storage: r.storage,
  durationMs: r.duration_ms,
  ip: r.ip,
  userAgent: r.user_agent,
  referer: r.referer,
});

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * An ISO 8601 date or date-time as a UTC ISO string (what the download log stores), or null.
 * `2026-05-01` is midnight UTC; a time without an offset is UTC too. Impossible dates (Feb 30)
 * are refused rather than rolled over.
 */
export function parseIsoDate(value: string): string | null {
  const m = ISO.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  let offset = 'Z';
  if (zone && zone.toUpperCase() !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
    if (!z || Number(z[2]) > 23 || Number(z[3]) > 59) return null;
    offset = `${z[1]}${z[2]}:${z[3]}`;
  }
  const ms = frac ? frac.slice(0, 4).padEnd(4, '0') : '';
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}${ms}${offset}`);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

export const downloads = defineCommand({
  words: ['downloads'],
  usage: USAGE,
  summary: "list a station's downloads, newest first (all, or those at or after --since)",
  options: {
    station: { type: 'string', required: true },
    since: { type: 'string' },
    limit: { type: 'string' },
  },
  async run(v, ctx) {
    let since = '';
    if (v.since !== undefined) {
      const parsed = parseIsoDate(v.since);
      if (!parsed) throw usageError(`--since "${v.since}" is not an ISO date (YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM])`, USAGE);
      since = parsed;
    }
    let limit = -1; // no limit
    if (v.limit !== undefined) {
      if (!/^\d+$/.test(v.limit) || !Number.isSafeInteger(Number(v.limit)) || Number(v.limit) < 1)
        throw usageError(`--limit "${v.limit}" is not a positive whole number`, USAGE);
      limit = Number(v.limit);
    }
    const station = await ctx.station(v.station);
    const rows = (await (await ctx.db()).downloads(station.shortcode, since, limit)).map(toListing);
    return {
      json: rows,
      text: table(
        rows,
        [
          { header: 'AT', value: (r) => r.at },
          { header: 'KIND', value: (r) => r.kind },
          { header: 'FILE', value: (r) => r.fileId, right: true },
          { header: 'OUTCOME', value: (r) => r.outcome },
          { header: 'STATUS', value: (r) => r.status, right: true },
          { header: 'SENT', value: (r) => formatBytes(r.bytesSent), right: true },
          { header: 'USER', value: (r) => r.userName ?? r.userId },
          { header: 'IP', value: (r) => r.ip },
          { header: 'USER AGENT', value: (r) => r.userAgent, max: 40 },
        ],
        `(no downloads on ${station.shortcode}${since ? ` since ${since}` : ''})`,
      ),
    };
  },
});
