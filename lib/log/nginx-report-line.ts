/**
 * One report line from nginx: the syslog datagram nginx's `access_log syslog:` sends for a
 * handed-off request (format `station_files_report` of nginxConfig's `report` option), parsed
 * and checked against the shared secret. Pure: no sockets, no clock.
 */
import { timingSafeEqual } from 'node:crypto';

/** What nginx reported about one hand-off. */
export interface ReportLine {
  /** The app's event id (the `X-Station-Files-Report` header nginx read from the app). */
  id: string;
  status: number;
  /** `$body_bytes_sent`. */
  bytesSent: number;
  /** `$request_completion` was `OK`: nginx sent the whole response. */
  completed: boolean;
  requestId: string;
  requestTimeMs: number;
  upstreamStatus: number | null;
  upstreamTimeMs: number | null;
}

/** A line that is not a report (`garbled`) or carries the wrong secret (`forged`). */
export type RejectedLine = 'garbled' | 'forged';

/** `<PRI>Mmm dd hh:mm:ss [host ]tag: message` (RFC 3164, as nginx writes it). */
const SYSLOG = /^<\d{1,3}>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d (?:\S+ )?([A-Za-z0-9_]{1,32}): (\{.*\})\s*$/s;
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const FIELDS = ['s', 'id', 'status', 'bytes', 'done', 'time', 'ups', 'upt', 'rid'] as const;
type Fields = Record<(typeof FIELDS)[number], string>;

function fields(json: string): Fields | null {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const record = value as Record<string, unknown>;
  return FIELDS.every((k) => typeof record[k] === 'string') ? (record as Fields) : null;
}

function sameSecret(given: string, secret: Buffer): boolean {
  const g = Buffer.from(given, 'utf8');
  return g.length === secret.length && timingSafeEqual(g, secret);
}

/**
 * The last figure of nginx's upstream list when an internal redirect reached a second upstream
 * group (`app : s3`, groups separated by ` : `, retries in a group by `, `); null with one group
 * (a local file: the only upstream was the app) or no figure.
 */
export function lastUpstream(list: string): string | null {
  const groups = list.split(' : ');
  if (groups.length < 2) return null;
  const last = (groups[groups.length - 1] ?? '').split(', ').pop()?.trim() ?? '';
  return last === '' || last === '-' ? null : last;
}

const seconds = (v: string | null): number | null => (v !== null && /^\d+(\.\d+)?$/.test(v) ? Math.round(Number(v) * 1000) : null);
const whole = (v: string | null): number | null => (v !== null && /^\d{1,15}$/.test(v) ? Number(v) : null);

/**
 * Parses one syslog datagram from nginx with the expected `tag` and checks its secret.
 *
 * @example
 * parseReportLine('<190>Nov 29 12:00:00 station_files: {"s":"k3y…","id":"…","status":"200",…}', 'station_files', secret)
 * // { id: '…', status: 200, bytesSent: 1048576, completed: true, … }  (or 'forged' / 'garbled')
 */
export function parseReportLine(line: string, tag: string, secret: Buffer): ReportLine | RejectedLine {
  const m = SYSLOG.exec(line);
  if (!m || m[1] !== tag) return 'garbled';
  const f = fields(m[2] as string);
  if (!f) return 'garbled';
  if (!sameSecret(f.s, secret)) return 'forged';
  const status = whole(f.status);
  const bytesSent = whole(f.bytes);
  const requestTimeMs = seconds(f.time);
  if (!ID.test(f.id) || status === null || bytesSent === null || requestTimeMs === null) return 'garbled';
  return {
    id: f.id,
    status,
    bytesSent,
    completed: f.done === 'OK',
    requestId: f.rid,
    requestTimeMs,
    upstreamStatus: whole(lastUpstream(f.ups)),
    upstreamTimeMs: seconds(lastUpstream(f.upt)),
  };
}
