/**
 * The demo's settings, all from the environment, read and checked once:
 *   PORT (3000), HOST (127.0.0.1), DATA_DIR (demo-app/data), PUBLIC_URL (default: from the request's Host),
 *   DELIVERY (stream | accel | redirect; default stream), SESSION_SECRET, LINK_SECRET,
 *   S3_ENDPOINT, S3_BUCKET, S3_REGION, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_FORCE_PATH_STYLE,
 *   S3_KINDS (comma list of recording, media, episode stored in S3; default all when S3_ENDPOINT is set).
 */
import path from 'node:path';
import type { FileKind } from './db/database';

export interface DemoConfig {
  port: number;
  host: string;
  dataDir: string;
  /** Base URL for feeds and enclosures; null: from each request's Host. */
  publicUrl: string | null;
  delivery: 'stream' | 'accel' | 'redirect';
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
    const kinds = (env.S3_KINDS ?? KINDS.join(',')).split(',').map((k) => k.trim()).filter(Boolean);
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
    dataDir: path.resolve(env.DATA_DIR ?? path.join(__dirname, 'data')),
    publicUrl: env.PUBLIC_URL ? env.PUBLIC_URL.replace(/\/+$/, '') : null,
    delivery,
    sessionSecret: env.SESSION_SECRET ?? null,
    linkSecret: env.LINK_SECRET ?? null,
    s3,
  };
}
