/**
 * The nginx side of the report channel (nginxConfig's `report` option): a JSON log format with the
 * shared secret, an `access_log` to the app's loopback syslog receiver that writes only for
 * requests the app asked a report for, and the variable each internal location fills from the
 * app's `X-Station-Files-Report` header.
 */
import { isIP } from 'node:net';
import { OptionsReader } from '../options/reader';

/** nginxConfig's `report`: where the app's receiver (createNginxReports) listens, and the secret. */
export interface NginxReportConfig {
  /** The receiver's loopback `address:port`, e.g. `127.0.0.1:5140`. */
  address: string;
  /** Shared with createNginxReports: 16–256 of A–Z a–z 0–9 _ -. Lines without it are dropped. */
  secret: string;
  /** Syslog tag (and log format name prefix). @default 'station_files' */
  tag?: string;
}

/** {@link NginxReportConfig} checked. */
export interface NormalizedReportConfig {
  address: string;
  secret: string;
  tag: string;
}

const KEYS = ['address', 'secret', 'tag'] as const;
export const REPORT_SECRET = /^[A-Za-z0-9_-]{16,256}$/;
export const REPORT_TAG = /^[A-Za-z0-9_]{1,32}$/;

/**
 * `host:port` split, when host is a loopback address (127.0.0.0/8 or ::1, IPv6 in brackets) and
 * the port 0–65535; else null.
 *
 * @example
 * loopbackAddress('127.0.0.1:5140') // { host: '127.0.0.1', port: 5140 }
 * loopbackAddress('10.0.0.1:5140')  // null
 */
export function loopbackAddress(listen: string): { host: string; port: number } | null {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(listen);
  const host = m?.[1] ?? m?.[2] ?? '';
  const port = Number(m?.[3]);
  if (!m || port > 65_535) return null;
  const loopback = (isIP(host) === 4 && host.startsWith('127.')) || (isIP(host) === 6 && /^(0{0,4}:){2,7}0{0,3}1$|^::1$/.test(host));
  return loopback ? { host, port } : null;
}

/** Reads nginxConfig's `report` (null when absent); TypeErrors name `report.<key>`. */
export function readReportConfig(value: unknown): NormalizedReportConfig | null {
  if (value === undefined) return null;
  const o = OptionsReader.of('nginxConfig', value, KEYS, 'report.');
  const address = o.string('address', /^.+$/, 'a loopback address:port such as 127.0.0.1:5140', '');
  const where = loopbackAddress(address);
  if (!where || where.port === 0) o.fail('address', 'a loopback address:port such as 127.0.0.1:5140 (the report channel never leaves the host)');
  return {
    address,
    secret: o.string('secret', REPORT_SECRET, '16–256 characters of A-Z a-z 0-9 _ -', ''),
    tag: o.string('tag', REPORT_TAG, 'a syslog tag (1–32 of A-Z a-z 0-9 _)', 'station_files'),
  };
}

/** The report line's fields; nginx writes every value as a JSON string (escape=json). */
const FIELDS: [string, string][] = [
  ['id', '$sf_report'],
  ['status', '$status'],
  ['bytes', '$body_bytes_sent'],
  ['done', '$request_completion'],
  ['time', '$request_time'],
  ['ups', '$upstream_status'],
  ['upt', '$upstream_response_time'],
  ['rid', '$request_id'],
];

/**
 * The `http { }`-level lines: the log format (secret first), `$sf_report` empty by default (a
 * `map`, so requests of other servers neither log nor warn), and the syslog `access_log` that
 * writes only when `$sf_report` is set. At http level it adds to your own access_log, which
 * keeps logging every request.
 */
export function reportHttpLines(r: NormalizedReportConfig): string {
  const json = [['s', r.secret], ...FIELDS].map(([k, v]) => `"${k}":"${v}"`).join(',');
  return `# Download reports to the app (createNginxReports on ${r.address}): one UDP syslog line per
# handed-off request, when nginx has finished it. The secret in the line is shared with the app.
log_format ${r.tag}_report escape=json '{${json}}';
map "" $sf_report { default ""; }
access_log syslog:server=${r.address},tag=${r.tag},nohostname ${r.tag}_report if=$sf_report;
`;
}

/** The line each internal location runs at rewrite time, while `$upstream_http_*` is still the app's answer. */
export function reportLocationLine(indent: string): string {
  return `${indent}set $sf_report $upstream_http_x_station_files_report;`;
}
