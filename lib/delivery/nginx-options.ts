/**
 * Options of nginxConfig() and their validation: every value ends up inside an nginx directive,
 * so each is checked once, up front, against what nginx would read as one token.
 */
import { isIP } from 'node:net';
import { OptionsReader } from '../options/reader';
import type { Storage } from '../storage/types';
import { readReportConfig, type NginxReportConfig, type NormalizedReportConfig } from './nginx-report-config';

/** Options for {@link nginxConfig}. */
export interface NginxConfigOptions {
  /** nginx `listen` value, e.g. `80` or `127.0.0.1:8080`. */
  listen: string;
  /**
   * The Node app: one `host:port`, or the instances of a fleet (`['10.0.0.5:3000',
   * '10.0.0.6:3000']`), each a `server` of the `station_files_app` upstream (round robin).
   */
  app: string | readonly string[];
  /** The app's storages (the same objects passed to createStationFiles). */
  storages: Record<string, Storage>;
  /** `server_name`. @default '_' */
  serverName?: string;
  /**
   * CA bundle (PEM file) nginx verifies HTTPS S3 endpoints against (`proxy_ssl_trusted_certificate`).
   * @default '/etc/ssl/certs/ca-certificates.crt' (Debian's system bundle)
   */
  s3TrustedCertificate?: string;
  /**
   * Addresses or CIDR ranges of the proxies in front of nginx (a load balancer, a CDN) whose
   * `X-Forwarded-For` nginx believes (`set_real_ip_from`, `real_ip_header X-Forwarded-For`,
   * `real_ip_recursive on`), so `$remote_addr`, and the X-Forwarded-For the app gets, is the
   * client. @default [] (nginx is the first hop: the client's X-Forwarded-For is ignored)
   */
  realIpFrom?: string[];
  /**
   * `client_max_body_size` for requests to the app (uploads through the panel), e.g. `'500m'`,
   * `'0'` (no limit) or a number of bytes. @default undefined (not emitted: the `http { }`
   * setting, or nginx's own 1m, applies)
   */
  clientMaxBodySize?: string | number;
  /**
   * Report every hand-off's end to the app's receiver (createNginxReports): the request id,
   * status, `$body_bytes_sent`, `$request_completion`, times, and S3's status, as one syslog line
   * over loopback UDP with a shared secret. @default undefined (no reports)
   */
  report?: NginxReportConfig;
  /**
   * When nginx gives a request to the next app server (`proxy_next_upstream`,
   * `proxy_next_upstream_tries`): only while nothing of its response has reached the client
   * (nginx never retries once it has started to send a response), and never for POST, PATCH or
   * LOCK (nginx's `non_idempotent` stays off: an upload is not sent twice). `false`: never.
   * @default { when: ['error', 'timeout', 'http_503'], tries: 2 }
   */
  nextUpstream?: NextUpstreamOptions | false;
}

/** What sends a request on to the next app server; nginx's `proxy_next_upstream` names. */
export type NextUpstreamCondition = 'error' | 'timeout' | 'invalid_header' | 'http_500' | 'http_502' | 'http_503' | 'http_504' | 'http_429';

/** nginxConfig's `nextUpstream`. */
export interface NextUpstreamOptions {
  /**
   * @default ['error', 'timeout', 'http_503'] (refused, reset or timed out before any response
   * header, or a 503 such as an instance's while it drains)
   */
  when?: readonly NextUpstreamCondition[];
  /** Servers tried per request, the first included (1–100). @default 2 */
  tries?: number;
}

/** {@link NextUpstreamOptions} checked; null: `proxy_next_upstream off`. */
export interface NormalizedNextUpstream {
  when: NextUpstreamCondition[];
  tries: number;
}

/** {@link NginxConfigOptions} checked, with defaults applied. */
export interface NormalizedNginxOptions {
  listen: string;
  /** One or more `host:port` (or `unix:/path`), no duplicates. */
  app: string[];
  serverName: string;
  storages: Storage[];
  s3TrustedCertificate: string;
  realIpFrom: string[];
  clientMaxBodySize?: string;
  report: NormalizedReportConfig | null;
  nextUpstream: NormalizedNextUpstream | null;
}

export const DEFAULT_TRUSTED_CERTIFICATE = '/etc/ssl/certs/ca-certificates.crt';
const SAFE = /^[\w./:[\]-]+$/;

/** Throws a TypeError naming `name` when `value` holds characters nginx would read as syntax. */
export function safe(name: string, value: string): string {
  if (typeof value !== 'string' || !SAFE.test(value)) throw new TypeError(`nginxConfig: ${name} "${String(value)}" has characters nginx would misread`);
  return value;
}

function isAddressOrCidr(value: string): boolean {
  if (value === 'unix:') return true;
  const [address = '', bits, extra] = value.split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128);
}

function realIpFrom(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string' && isAddressOrCidr(v))) {
    throw new TypeError('nginxConfig: `realIpFrom` must be an array of IP addresses or CIDR ranges (e.g. ["10.0.0.0/8"])');
  }
  return [...value];
}

function clientMaxBodySize(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  if (typeof value === 'string' && /^\d+[kKmMgG]?$/.test(value)) return value;
  throw new TypeError("nginxConfig: `clientMaxBodySize` must be a size such as '500m', '0' (no limit) or a number of bytes");
}

function trustedCertificate(value: unknown): string {
  if (value === undefined) return DEFAULT_TRUSTED_CERTIFICATE;
  if (typeof value !== 'string' || !/^\/[\w./-]+$/.test(value) || value.split('/').includes('..')) {
    throw new TypeError('nginxConfig: `s3TrustedCertificate` must be an absolute path to a PEM file (letters, digits, . _ - /)');
  }
  return value;
}

const CONDITIONS: readonly NextUpstreamCondition[] = ['error', 'timeout', 'invalid_header', 'http_500', 'http_502', 'http_503', 'http_504', 'http_429'];
const APP_SERVER = /^(?:unix:\/[\w./-]+|(?:[\w.-]+|\[[0-9a-fA-F:.]+\]):\d{1,5})$/;

function appServers(value: unknown): string[] {
  const list = typeof value === 'string' ? [value] : value;
  const ok =
    Array.isArray(list) && list.length > 0 && list.every((v): v is string => typeof v === 'string' && APP_SERVER.test(v)) && new Set(list).size === list.length;
  if (!ok) throw new TypeError('nginxConfig: app must be a host:port (or unix:/path), or a non-empty list of them without repeats');
  return [...(list as string[])];
}

function nextUpstream(value: unknown): NormalizedNextUpstream | null {
  if (value === false) return null;
  const o = OptionsReader.of('nginxConfig', value, ['when', 'tries'], 'nextUpstream.');
  // http_503: an instance that is draining (files.close) answers 503; the next one takes the request.
  const when = o.raw('when') ?? ['error', 'timeout', 'http_503'];
  if (!Array.isArray(when) || when.length === 0 || !when.every((c) => CONDITIONS.includes(c as NextUpstreamCondition)) || new Set(when).size !== when.length) {
    o.fail('when', `a non-empty list of ${CONDITIONS.join(', ')} (no repeats)`);
  }
  return { when: [...(when as NextUpstreamCondition[])], tries: o.integer('tries', { min: 1, max: 100 }, 2) };
}

/** Validates {@link NginxConfigOptions} once; throws a TypeError naming the first bad option. */
export function normalizeNginxOptions(options: NginxConfigOptions): NormalizedNginxOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('nginxConfig: options must be an object');
  if (typeof options.storages !== 'object' || options.storages === null) throw new TypeError('nginxConfig: `storages` must be an object of storages');
  return {
    listen: safe('listen', options.listen),
    app: appServers(options.app),
    serverName: safe('serverName', options.serverName ?? '_'),
    storages: Object.values(options.storages),
    s3TrustedCertificate: trustedCertificate(options.s3TrustedCertificate),
    realIpFrom: realIpFrom(options.realIpFrom),
    clientMaxBodySize: clientMaxBodySize(options.clientMaxBodySize),
    report: readReportConfig(options.report),
    nextUpstream: nextUpstream(options.nextUpstream),
  };
}
