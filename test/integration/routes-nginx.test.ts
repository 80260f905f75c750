// The routers behind a real nginx with hand-offs: headers the app sets for podcast apps (CORS,
// CORP, request id) survive X-Accel-Redirect, and the event log joins nginx's request id.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { createS3Client, s3Storage } from '../../lib/entry/s3';
import { createStationFiles, localStorage, nginxConfig, type DownloadEvent } from '../../lib';
import { request, requestHash } from '../support/http';
import { freePort, startNginx, type NginxInstance } from '../support/nginx';
import { createTestS3Client, deterministicRange, ensureBucket, putObjectStream, s3TestConfig, sha256OfRange } from '../support/s3';

const SIZE = 3 * 1024 * 1024;
const cfg = s3TestConfig();
const setup = createTestS3Client().client;
const client = createS3Client({
  endpoint: cfg.endpoint,
  region: cfg.region,
  forcePathStyle: cfg.forcePathStyle,
  credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey },
});
const prefix = `routes-nginx-${Date.now().toString(36)}/`;
const events: DownloadEvent[] = [];
let root: string;
let nginx: NginxInstance;
let server: ReturnType<ReturnType<typeof express>['listen']>;

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'sf-routes-nginx-'));
  await writeFile(path.join(root, 'episode one.mp3'), deterministicRange('local-ep', 50_000, 0, 49_999));
  await ensureBucket(setup, cfg.bucket);
  await putObjectStream(setup, cfg.bucket, `${prefix}episode two.mp3`, 's3-ep', SIZE);
  const storages = {
    disk: localStorage({ root, accelPrefix: '/_station_files/disk' }),
    s3: s3Storage({ client, bucket: cfg.bucket, prefix, accel: {} }),
  };
  const files = createStationFiles({
    authorize: () => false,
    storages,
    catalog: {
      episode: ({ episode }) =>
        episode === '1'
          ? { station: 'alpha', storage: 'disk', key: 'episode one.mp3', filename: 'Episode 1.mp3', public: true }
          : episode === '2'
            ? { station: 'alpha', storage: 's3', key: 'episode two.mp3', filename: 'Épisode 2.mp3', public: true }
            : null,
    },
    onDownload: (e) => void events.push(e),
  });
  const app = express();
  app.use(files.podcasts());
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const port = await freePort();
  const appPort = (server.address() as AddressInfo).port;
  nginx = await startNginx({ listenPort: port, config: await nginxConfig({ listen: `127.0.0.1:${port}`, app: `127.0.0.1:${appPort}`, storages }) });
});

after(async () => {
  await nginx?.stop();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  client.destroy();
  setup.destroy();
  await rm(root, { recursive: true, force: true });
});

const enclosure = (n: number) => `${nginx.url}/station/alpha/public/podcast/7/episode/${n}/download.mp3`;
const lastEvent = async (): Promise<DownloadEvent> => {
  for (let i = 0; i < 50 && events.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  return events[events.length - 1] as DownloadEvent;
};

describe('public enclosures handed to nginx', () => {
  for (const [n, label] of [
    [1, 'local file'],
    [2, 'S3 object'],
  ] as const) {
    test(`${label}: CORS, CORP and the request id survive the hand-off`, async () => {
      events.length = 0;
      const r = await request(enclosure(n), { headers: { range: 'bytes=0-1', origin: 'https://podcasts.example' } });
      assert.equal(r.status, 206, nginx.errorLog().slice(-500));
      assert.equal(r.body.length, 2);
      assert.equal(r.headers['access-control-allow-origin'], '*');
      assert.match(String(r.headers['access-control-expose-headers']), /Content-Range/);
      assert.equal(r.headers['cross-origin-resource-policy'], 'cross-origin');
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
      assert.equal(r.headers['set-cookie'], undefined);
      const event = await lastEvent();
      assert.equal(event.delivery, 'accel');
      assert.equal(event.bytesSent, null);
      assert.equal(r.headers['x-request-id'], event.id, 'nginx and the app log the same request id');
      assert.equal(event.kind, 'public-episode');
    });
  }

  test('bytes are exact through both hand-offs', async () => {
    const local = await request(enclosure(1));
    assert.deepEqual(local.body, deterministicRange('local-ep', 50_000, 0, 49_999));
    const s3 = await requestHash(enclosure(2), { headers: { range: 'bytes=1000-' } });
    assert.equal(s3.status, 206);
    assert.equal(s3.sha256, await sha256OfRange('s3-ep', SIZE, 1000, SIZE - 1));
  });

  test('a draft or unknown episode is 404 at the app, before any hand-off', async () => {
    assert.equal((await request(enclosure(3))).status, 404);
  });
});
