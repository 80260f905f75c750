/**
 * The demo's settings, all from the environment, read and checked once:
 *   PORT (3000), HOST (127.0.0.1), DATA_DIR (demo-app/data), PUBLIC_URL (default: from the request's Host),
 *   DELIVERY (stream | accel | redirect; default stream), SESSION_SECRET, LINK_SECRET,
 *   S3_ENDPOINT, S3_BUCKET, S3_REGION, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_FORCE_PATH_STYLE,
 *   S3_KINDS (comma list of recording, media, episode stored in S3; default all when S3_ENDPOINT is set),
 *   PUBLIC_HOSTS (comma list of host[:port] the feed may name; default: loopback names and HOST),
 *   COOKIE_SECURE (auto | true | false; default auto: Secure when the request came over HTTPS),
 *   TRUST_PROXY (whose X-Forwarded-* to believe, proxy-addr names/addresses/CIDRs; default loopback),
 *   DATABASE_URL (postgres://user@host:port/db: PostgreSQL for everything; default SQLite in DATA_DIR/panel.db),
 *   DRAIN_MS (on SIGTERM/SIGINT: how long downloads in flight may finish before they are cut; default 20000).
 */
import path from 'node:path';
import proxyaddr from 'proxy-addr';
import type { FileKind } from './db/types';

/** The data folder used when DATA_DIR is not set (the only one whose login page shows the demo logins). */
export const DEFAULT_DATA_DIR = path.join(__dirname, 'data');

export interface DemoConfig {
  port: number;
  host: string;
  dataDir: string;
  /** PostgreSQL (postgres://…) for users, sessions, files and history; null: SQLite in dataDir/panel.db. */
  databaseUrl: string | null;
  /** Base URL for feeds and enclosures; null: from each request's Host when it is allowed (publicHosts). */
  publicUrl: string | null;
  /** Hosts (`host` or `host:port`, lower case) a request's Host may name in feeds; empty: loopback names and HOST. */
  publicHosts: string[];
  /** The session cookie's `secure` flag: 'auto' sets it on requests that arrived over HTTPS. */
  cookieSecure: boolean | 'auto';
  /** Express's and station-files' `trust proxy`: whose X-Forwarded-For/-Proto to believe. */
  trustProxy: string[];
  delivery: 'stream' | 'accel' | 'redirect';
  /** On SIGTERM: the deadline given to files.close() (downloads in flight finish or are cut, logged `shutdown`). */
  drainMs: number;
  sessionSecret: string | null;
  linkSecret: string | null;
  s3: null | {
    endpoint: string;
    bucket: string;
    region: string;
    accessKeyId: string;
    secretAccessKey: string;
    forcePathStyle: boolean;
    kinds: FileKind[];
  };
}

const KINDS: FileKind[] = ['recording', 'media', 'episode'];

const HOST_PORT = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/;

function readPublicUrl(raw: string | undefined): string | null {
  if (!raw) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`PUBLIC_URL must be an absolute http(s) URL, not "${raw}"`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password || url.search || url.hash) {
    throw new Error(`PUBLIC_URL must be an http(s) URL without credentials, query or fragment, not "${raw}"`);
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

function readPublicHosts(raw: string | undefined): string[] {
  const hosts = (raw ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  for (const h of hosts) if (!HOST_PORT.test(h)) throw new Error(`PUBLIC_HOSTS: "${h}" is not a host or host:port`);
  return hosts;
}

function readDatabaseUrl(raw: string | undefined): string | null {
  if (raw === undefined || raw.trim() === '') return null;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new Error('DATABASE_URL must be a postgres://user[:password]@host[:port]/database URL');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new Error(`DATABASE_URL must start with postgres:// or postgresql:// (not ${url.protocol}//); unset it for SQLite in DATA_DIR`);
  }
  return raw.trim();
}

function readCookieSecure(raw: string | undefined): boolean | 'auto' {
  const v = (raw ?? 'auto').trim().toLowerCase();
  if (v === 'auto') return 'auto';
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  throw new Error(`COOKIE_SECURE must be auto, true or false, not "${raw}"`);
}

function readTrustProxy(raw: string | undefined): string[] {
  const list = (raw ?? 'loopback')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (list.length === 1 && ['none', 'false'].includes(list[0] as string)) return [];
  try {
    proxyaddr.compile(list);
  } catch (err) {
    throw new Error(`TRUST_PROXY: ${err instanceof Error ? err.message : String(err)} (addresses, CIDRs, loopback, linklocal, uniquelocal, or none)`);
  }
  return list;
}

function readDrainMs(raw: string | undefined): number {
  const ms = Number(raw ?? 20_000);
  if (raw === '' || !Number.isSafeInteger(ms) || ms < 0 || ms > 3_600_000) throw new Error(`DRAIN_MS must be milliseconds from 0 to 3600000, not "${raw}"`);
  return ms;
}

/** Reads the configuration; throws an Error naming the variable that is wrong. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): DemoConfig {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, not "${env.PORT}"`);
  const host = env.HOST ?? '127.0.0.1';
  const delivery = (env.DELIVERY ?? 'stream') as DemoConfig['delivery'];
  if (!['stream', 'accel', 'redirect'].includes(delivery)) throw new Error('DELIVERY must be stream, accel or redirect');
  let s3: DemoConfig['s3'] = null;
  if (env.S3_ENDPOINT) {
    const need = ['S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'].filter((k) => !env[k]);
    if (need.length) throw new Error(`S3_ENDPOINT is set, so ${need.join(', ')} must be set too`);
    const kinds = (env.S3_KINDS ?? KINDS.join(','))
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean);
    for (const k of kinds) if (!KINDS.includes(k as FileKind)) throw new Error(`S3_KINDS: unknown kind "${k}" (recording, media, episode)`);
    s3 = {
      endpoint: env.S3_ENDPOINT,
      bucket: env.S3_BUCKET as string,
      region: env.S3_REGION ?? 'us-east-1',
      accessKeyId: env.S3_ACCESS_KEY_ID as string,
      secretAccessKey: env.S3_SECRET_ACCESS_KEY as string,
      forcePathStyle: !['false', '0', 'no'].includes((env.S3_FORCE_PATH_STYLE ?? 'true').toLowerCase()),
      kinds: kinds as FileKind[],
    };
  }
  if (delivery === 'redirect' && !s3) throw new Error('DELIVERY=redirect needs S3 (local files cannot be presigned)');
  return {
    port,
    host,
    dataDir: path.resolve(env.DATA_DIR ?? DEFAULT_DATA_DIR),
    databaseUrl: readDatabaseUrl(env.DATABASE_URL),
    publicUrl: readPublicUrl(env.PUBLIC_URL),
    publicHosts: readPublicHosts(env.PUBLIC_HOSTS),
    cookieSecure: readCookieSecure(env.COOKIE_SECURE),
    trustProxy: readTrustProxy(env.TRUST_PROXY),
    delivery,
    drainMs: readDrainMs(env.DRAIN_MS),
    sessionSecret: env.SESSION_SECRET ?? null,
    linkSecret: env.LINK_SECRET ?? null,
    s3,
  };
}
