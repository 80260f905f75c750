// The demo panel for browser tests: one createDemoApp per mode (local disk, S3, local disk behind
// nginx with X-Accel-Redirect), each in its own temp DATA_DIR, plus readers for the stored bytes.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DeleteBucketCommand, DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { nginxConfig } from '../../lib';
import { createDemoApp, type DemoApp } from '../../demo-app/app';
import { readConfig } from '../../demo-app/config';
import type { FileKind, FileRow, Station } from '../../demo-app/db/database';
import { DEMO_LOGINS } from '../../demo-app/seed';
import { freePort, startNginx, type NginxInstance } from '../support/nginx';
import { createTestS3Client, s3TestConfig } from '../support/s3';

export type ModeName = 'local' | 's3' | 'nginx';

export interface Demo {
  mode: ModeName;
  demo: DemoApp;
  /** What the browser talks to: the app, or nginx in front of it. */
  base: string;
  dataDir: string;
  nginx?: NginxInstance;
  s3?: { client: S3Client; bucket: string; prefix: string };
  /** The seeded stations and files, read once at start (they do not change during a run). */
  seededRows: { stations: Station[]; files: FileRow[] };
  stop(): Promise<void>;
}

function modeEnv(mode: ModeName, dataDir: string): NodeJS.ProcessEnv {
  // Built from scratch: the runner's own S3_* must not leak into the local modes.
  const env: NodeJS.ProcessEnv = { DATA_DIR: dataDir, DELIVERY: mode === 'nginx' ? 'accel' : 'stream' };
  if (mode !== 's3') return env;
  const cfg = s3TestConfig();
  return {
    ...env,
    S3_ENDPOINT: cfg.endpoint,
    S3_BUCKET: `${cfg.bucket}-demo`,
    S3_REGION: cfg.region,
    S3_ACCESS_KEY_ID: cfg.accessKeyId,
    S3_SECRET_ACCESS_KEY: cfg.secretAccessKey,
    S3_FORCE_PATH_STYLE: String(cfg.forcePathStyle),
    S3_KINDS: 'recording,media,episode',
  };
}

async function emptyBucket(client: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const list = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    const keys = (list.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    if (keys.length === 0) break;
    await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
  }
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
}

/** Seeds a fresh DATA_DIR and serves the demo on 127.0.0.1 (behind nginx in `nginx` mode). */
export async function startDemo(mode: ModeName): Promise<Demo> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `sf-e2e-${mode}-`));
  const demo = await createDemoApp({ ...readConfig(modeEnv(mode, dataDir)) }, { accessLog: false });
  const server = await new Promise<Server>((resolve) => {
    const s = demo.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const appPort = (server.address() as AddressInfo).port;
  let base = `http://127.0.0.1:${appPort}`;
  let nginx: NginxInstance | undefined;
  let s3: Demo['s3'];
  const s3Storage = demo.storages.storages.s3;
  if (s3Storage) s3 = { client: createTestS3Client().client, bucket: s3Storage.bucket, prefix: s3Storage.prefix };
  const stop = async (): Promise<void> => {
    await nginx?.stop();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await demo.close();
    if (s3) {
      await emptyBucket(s3.client, s3.bucket);
      s3.client.destroy();
    }
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    if (mode === 'nginx') {
      const port = await freePort();
      const config = await nginxConfig({ listen: `127.0.0.1:${port}`, app: `127.0.0.1:${appPort}`, storages: demo.storages.storages });
      nginx = await startNginx({ listenPort: port, config });
      base = nginx.url;
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const stations = await demo.db.stations();
  const files = (await Promise.all(stations.map((s) => demo.db.stationFiles(s.id)))).flat();
  return { mode, demo, base, dataDir, nginx, s3, seededRows: { stations, files }, stop };
}

export const must = <T>(value: T | undefined | null, what: string): T => {
  if (value === undefined || value === null) throw new Error(`missing: ${what}`);
  return value;
};

export function station(d: Demo, code: string): Station {
  return must(
    d.seededRows.stations.find((s) => s.shortcode === code),
    `station ${code}`,
  );
}

/** A seeded file by filename. */
export function seeded(d: Demo, code: string, kind: FileKind, filename?: string): FileRow {
  const id = station(d, code).id;
  const rows = d.seededRows.files.filter((f) => f.station_id === id && f.kind === kind).sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id - a.id);
  return must(filename === undefined ? rows[0] : rows.find((r) => r.filename === filename), `${code} ${kind} ${filename ?? ''}`);
}

export function password(email: string): string {
  return must(
    DEMO_LOGINS.find((l) => l.email === email),
    `demo login ${email}`,
  ).password;
}

export interface Session {
  context: BrowserContext;
  page: Page;
}

/** A new browser context logged in through the form; resolves on the stations page. */
export async function login(browser: Browser, base: string, email: string): Promise<Session> {
  const context = await browser.newContext({ baseURL: base, acceptDownloads: true, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto('/login');
  await page.fill('input[name="email"]', email);
  await page.fill('input[name="password"]', password(email));
  await Promise.all([page.waitForURL(`${base}/`), page.click('form[action="/login"] button[type="submit"]')]);
  return { context, page };
}

const localPath = (d: Demo, row: FileRow): string => path.join(d.dataDir, 'files', ...row.key.split('/'));

function s3Of(d: Demo, row: FileRow): NonNullable<Demo['s3']> {
  if (row.storage !== 's3') throw new Error(`${row.filename} is stored in ${row.storage}`);
  return must(d.s3, 'S3 storage');
}

/** The stored object's size (stat / HeadObject), not the DB's. */
export async function storedSize(d: Demo, row: FileRow): Promise<number> {
  if (row.storage === 'local') return (await stat(localPath(d, row))).size;
  const s3 = s3Of(d, row);
  const head = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: s3.prefix + row.key }));
  return must(head.ContentLength, 'ContentLength');
}

/** Bytes [start, end] (inclusive) of the stored object. */
export async function storedBytes(d: Demo, row: FileRow, start: number, end: number): Promise<Buffer> {
  if (row.storage === 'local') {
    const fh = await open(localPath(d, row), 'r');
    try {
      const buf = Buffer.alloc(end - start + 1);
      const { bytesRead } = await fh.read(buf, 0, buf.length, start);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }
  const s3 = s3Of(d, row);
  const res = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: s3.prefix + row.key, Range: `bytes=${start}-${end}` }));
  return Buffer.from(await must(res.Body, 'Body').transformToByteArray());
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Hex sha256 of the whole stored object. */
export async function storedSha256(d: Demo, row: FileRow): Promise<string> {
  if (row.storage === 'local') return sha256File(localPath(d, row));
  const s3 = s3Of(d, row);
  const res = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: s3.prefix + row.key }));
  return createHash('sha256')
    .update(await must(res.Body, 'Body').transformToByteArray())
    .digest('hex');
}
