// What scenarios share in one run: scaled sizes, the S3 endpoint (started on first use), objects and
// local files (created once, on first use), child servers and nginx (stopped at cleanup), and the
// result lines.
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { nginxConfig, type NginxReportConfig } from '../../../lib';
import { freePort, startNginx, type NginxInstance } from '../../support/nginx';
import { createTestS3Client, putObjectStream, sha256OfRange, writeDeterministicFile } from '../../support/s3';
import { startChild, type BenchChild } from './child';
import { jsonLine, type Metric } from './report';
import { startS3, type S3Env } from './s3env';
import { buildStorages, type ServerSpec, type StationServerSpec } from './storages';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

/** Test data made once per run. */
export interface Fixture {
  seed: string;
  size: number;
  /** S3 key (objects) or path relative to the media root (files). */
  key: string;
  /** sha256 of the whole content (computed once, on first use). */
  sha256(): Promise<string>;
}

/** Objects and files the scenarios share; sizes at scale 1 (`warm` is never scaled). */
const OBJECTS = { big: 2 * GiB, gig: GiB, m256: 256 * MiB, m64: 64 * MiB, warm: MiB } as const;
export type ObjectName = keyof typeof OBJECTS;

export interface BenchContext {
  scale: number;
  runDir: string;
  mediaRoot: string;
  /** bytes × scale, in whole MiB (at least 1 MiB). */
  scaled(bytes: number): number;
  s3(): Promise<S3Env>;
  object(name: ObjectName): Promise<Fixture>;
  /** An S3 object of exactly `size` bytes (not scaled), uploaded once per `name` in this run. */
  objectOfSize(name: string, size: number): Promise<Fixture>;
  /** A 1 GiB (× scale) file under mediaRoot. */
  localFile(): Promise<Fixture>;
  /** A file of exactly `size` bytes at `mediaRoot/<key>` (made once per key; callers scale sizes themselves). */
  file(key: string, size: number): Promise<Fixture>;
  /** server.ts (fileHandler) in its own process; `env` is added to its environment. */
  server(label: string, spec: ServerSpec, env?: Record<string, string>): Promise<BenchChild>;
  /** station-server.ts (createStationFiles routers) in its own process. */
  stationServer(label: string, spec: StationServerSpec): Promise<BenchChild>;
  proxy(env?: Record<string, string>): Promise<BenchChild>;
  /**
   * nginx with the library's config (nginxConfig, from the same storages as the app's `spec`) in
   * front of `appPort` (several: an upstream of them all), plus a plain `location /direct/ { alias mediaRoot/; }` server on directUrl,
   * plus `extra` (more http-level config, e.g. another server block) when given.
   */
  nginx(appPort: number | number[], spec: ServerSpec, extra?: string, report?: NginxReportConfig): Promise<NginxInstance & { directUrl: string }>;
  emit(m: Metric): void;
  log(msg: string): void;
  lines: Metric[];
  /** Stops servers, nginx and Ceph (interrupting a start in progress), removes uploads and temp data. */
  cleanup(): Promise<void>;
}

function memo<T>(make: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= make());
}

export function createContext(scale: number, runDir: string): BenchContext {
  const t0 = Date.now();
  const mediaRoot = path.join(runDir, 'media');
  mkdirSync(mediaRoot, { recursive: true });
  const runId = path.basename(runDir);
  const prefix = `station-files-bench/${runId}/`;
  const lines: Metric[] = [];
  const stoppers: (() => Promise<void>)[] = [];
  const uploaded: string[] = [];
  let killCephStart: (() => void) | undefined;
  let s3Env: S3Env | undefined;
  const log = (msg: string): void => {
    process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
  };
  const scaled = (bytes: number): number => Math.max(MiB, Math.round((bytes * scale) / MiB) * MiB);

  let s3Starting: Promise<S3Env> | undefined;
  const s3 = memo(async () => {
    s3Starting = startS3(runDir, (kill) => (killCephStart = kill));
    s3Env = await s3Starting.finally(() => (killCephStart = undefined));
    log(`S3 at ${s3Env.cfg.endpoint}, bucket ${s3Env.cfg.bucket}${s3Env.own ? ' (own Ceph)' : ''}`);
    return s3Env;
  });

  const fixture = (seed: string, size: number, key: string): Fixture => ({
    seed,
    size,
    key,
    sha256: memo(() => sha256OfRange(seed, size, 0, size - 1)),
  });

  const upload = async (name: string, size: number): Promise<Fixture> => {
    const env = await s3();
    const f = fixture(`bench-${name}-${size}`, size, `${prefix}${name}.bin`);
    const t = Date.now();
    const { client } = createTestS3Client();
    try {
      await putObjectStream(client, env.cfg.bucket, f.key, f.seed, f.size);
    } finally {
      client.destroy();
    }
    uploaded.push(f.key);
    log(`uploaded ${f.key} (${(size / MiB).toFixed(0)} MiB) in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    return f;
  };
  const objects = new Map<ObjectName, () => Promise<Fixture>>();
  for (const [name, bytes] of Object.entries(OBJECTS) as [ObjectName, number][]) {
    objects.set(
      name,
      memo(() => upload(name, name === 'warm' ? bytes : scaled(bytes))),
    );
  }
  const sized = new Map<string, Promise<Fixture>>();
  const objectOfSize = (name: string, size: number): Promise<Fixture> => {
    let f = sized.get(name);
    if (!f) {
      f = upload(`sized-${name}`, size);
      sized.set(name, f);
    }
    return f.then((fx) => {
      if (fx.size !== size) throw new Error(`object ${name} exists with ${fx.size} bytes, asked for ${size}`);
      return fx;
    });
  };

  const localFile = memo(async () => {
    const size = scaled(GiB);
    const f = fixture(`bench-local-${size}`, size, 'local-1g.bin');
    await writeDeterministicFile(path.join(mediaRoot, f.key), f.seed, f.size);
    return f;
  });

  const files = new Map<string, Promise<Fixture>>();
  const file = (key: string, size: number): Promise<Fixture> => {
    let f = files.get(key);
    if (!f) {
      const fx = fixture(`bench-file-${key}-${size}`, size, key);
      const target = path.join(mediaRoot, ...key.split('/'));
      mkdirSync(path.dirname(target), { recursive: true });
      f = writeDeterministicFile(target, fx.seed, fx.size).then(() => fx);
      files.set(key, f);
    }
    return f.then((fx) => {
      if (fx.size !== size) throw new Error(`file ${key} exists with ${fx.size} bytes, asked for ${size}`);
      return fx;
    });
  };

  const track = <T extends { stop(): Promise<void> }>(x: T): T => {
    stoppers.push(() => x.stop());
    return x;
  };

  const ctx: BenchContext = {
    scale,
    runDir,
    mediaRoot,
    scaled,
    s3,
    object: (name) => objects.get(name)!(),
    objectOfSize,
    localFile,
    file,
    server: async (label, spec, env = {}) => track(await startChild(label, 'server.ts', { ...env, BENCH_SERVER: JSON.stringify(spec) })),
    stationServer: async (label, spec) => track(await startChild(label, 'station-server.ts', { BENCH_STATION: JSON.stringify(spec) })),
    proxy: async (env = {}) => {
      await s3();
      return track(await startChild('buffering-proxy', 'buffering-proxy.ts', env));
    },
    nginx: async (appPort, spec, extra, report) => {
      const [port, directPort] = [await freePort(), await freePort()];
      const { storages, client } = buildStorages(spec);
      const app = (Array.isArray(appPort) ? appPort : [appPort]).map((p) => `127.0.0.1:${p}`);
      const generated = await nginxConfig({ listen: `127.0.0.1:${port}`, app, storages, report }).finally(() => client?.destroy());
      const config =
        `${generated}\n# benchmark baseline: the same files served by nginx directly\nserver {\n    listen 127.0.0.1:${directPort};\n` +
        `    server_tokens off;\n    location /direct/ { alias ${mediaRoot}/; }\n}\n${extra ?? ''}`;
      const n = track(await startNginx({ config, listenPort: port }));
      return { ...n, directUrl: `http://127.0.0.1:${directPort}` };
    },
    emit: (m) => {
      lines.push(m);
      process.stdout.write(`${jsonLine(m)}\n`);
    },
    log,
    lines,
    cleanup: memo(async () => {
      for (const stop of stoppers.splice(0).reverse()) await stop().catch((err: unknown) => log(`cleanup: ${String(err)}`));
      if (s3Env && !s3Env.own && uploaded.length) {
        const { client } = createTestS3Client();
        for (const Key of uploaded) await client.send(new DeleteObjectCommand({ Bucket: s3Env.cfg.bucket, Key })).catch(() => {});
        client.destroy();
      }
      killCephStart?.(); // a start in progress: interrupt it, and let it stop what it started
      const env = s3Env ?? (await s3Starting?.catch(() => undefined));
      if (env) await env.stop().catch((err: unknown) => log(`stopping Ceph failed: ${String(err)}`));
      rmSync(runDir, { recursive: true, force: true });
    }),
  };
  return ctx;
}
