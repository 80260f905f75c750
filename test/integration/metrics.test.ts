// station-files/metrics through real requests (local files and the suite's S3): the series the
// README lists get the counts of what happened, every label value is from a fixed set (no file
// id, user, IP or station), and `promtool check metrics` accepts the exposition.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import { Registry } from 'prom-client';
import { createStationFiles, jsonLinesLog, localStorage } from '../../lib';
import { stationFilesMetrics } from '../../lib/entry/metrics';
import { createS3Client, s3Storage } from '../../lib/entry/s3';
import { request } from '../support/http';
import { createTestS3Client, ensureBucket, putObjectStream, s3TestConfig } from '../support/s3';

const cfg = s3TestConfig();
const setup = createTestS3Client().client;
const prefix = `metrics-${Date.now().toString(36)}/`;
const registry = new Registry();
const metrics = stationFilesMetrics({ registry });
const client = metrics.observeS3(
  createS3Client({
    endpoint: cfg.endpoint,
    region: cfg.region,
    forcePathStyle: cfg.forcePathStyle,
    credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey },
  }),
);
const BIG = 24 * 1024 * 1024;
let root: string;
let server: Server;
let base: string;

before(async () => {
  await mkdir(path.resolve('.test-tmp'), { recursive: true });
  root = await mkdtemp(path.resolve('.test-tmp', 'metrics-'));
  await writeFile(path.join(root, '1.mp3'), Buffer.alloc(5000, 1));
  await writeFile(path.join(root, 'big.mp3'), Buffer.alloc(BIG, 2));
  await ensureBucket(setup, cfg.bucket);
  await putObjectStream(setup, cfg.bucket, `${prefix}2.mp3`, 'metrics', 7000);
  const log = jsonLinesLog(path.join(root, 'events.jsonl'), { onError: metrics.sinkErrors() });
  await log.close(); // every event after this is dropped, and counted
  const files = createStationFiles({
    authorize: () => false,
    storages: { disk: localStorage({ root }), s3: s3Storage({ client, bucket: cfg.bucket, prefix, onResume: metrics.onResume }) },
    catalog: {
      episode: ({ episode }) => ({
        station: 'alpha',
        storage: episode === '1' || episode === 'big' ? 'disk' : 's3',
        key: `${episode}.mp3`,
        filename: `${episode}.mp3`,
        public: true,
      }),
    },
    publicRateLimit: { max: 4 },
    concurrentDownloads: { perClient: 1 },
    trustProxy: 'loopback',
    onDownload: log,
    metrics,
  });
  const app = express();
  app.use(files.podcasts());
  server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/station/alpha/public/podcast/1/episode`;
});
after(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  client.destroy();
  setup.destroy();
  await rm(root, { recursive: true, force: true });
});

const get = (episode: string, ip = '203.0.113.50') => request(`${base}/${episode}/download.mp3`, { headers: { 'x-forwarded-for': ip } });

/** `name{labels} value` lines of the exposition, as [name, labels, value]. */
function samples(text: string): [string, Record<string, string>, number][] {
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(l);
      assert.ok(m, `exposition line: ${l}`);
      const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
      return [m[1] as string, labels as Record<string, string>, Number(m[3])];
    });
}
const value = (all: ReturnType<typeof samples>, name: string, labels: Record<string, string> = {}): number =>
  all.filter(([n, l]) => n === name && Object.entries(labels).every(([k, v]) => l[k] === v)).reduce((sum, [, , v]) => sum + v, 0);

describe('stationFilesMetrics', () => {
  test('counts downloads, bytes, in-flight deliveries, 429s by limit, S3 requests and errors, dropped events', async () => {
    assert.equal((await get('1')).status, 200);
    assert.equal((await get('2')).status, 200);
    assert.equal((await get('missing')).status, 404);
    // Held open (the client reads nothing): one delivery in flight, and the client's one slot taken.
    const held = http.get(`${base}/big/download.mp3`, { headers: { 'x-forwarded-for': '203.0.113.50' } });
    held.on('error', () => {}); // destroyed below, on purpose
    const [res] = (await once(held, 'response')) as [http.IncomingMessage];
    res.on('error', () => {});
    res.pause();
    const during = samples(await registry.metrics());
    assert.equal(value(during, 'station_files_downloads_in_flight', { kind: 'public-episode' }), 1);
    assert.equal((await get('1')).status, 429, 'the per-client in-flight cap');
    const closed = new Promise((resolve) => res.once('close', resolve));
    held.destroy();
    await closed;
    // The server's side of the held download ends once it sees the client go.
    for (let i = 0; value(samples(await registry.metrics()), 'station_files_downloads_total', { outcome: 'aborted' }) === 0; i++) {
      assert.ok(i < 500, 'the held download ended');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal((await get('5', '203.0.113.50')).status, 429, 'the fifth new episode');

    const all = samples(await registry.metrics());
    assert.equal(value(all, 'station_files_downloads_in_flight'), 0);
    assert.equal(value(all, 'station_files_downloads_total', { kind: 'public-episode', outcome: 'completed', delivery: 'stream' }), 2);
    assert.equal(value(all, 'station_files_downloads_total', { outcome: 'not-found' }), 1);
    assert.equal(value(all, 'station_files_downloads_total', { outcome: 'denied', delivery: 'none' }), 2);
    assert.equal(value(all, 'station_files_downloads_total', { outcome: 'aborted' }), 1);
    assert.equal(value(all, 'station_files_downloads_total'), 6);
    assert.ok(value(all, 'station_files_sent_bytes_total', { kind: 'public-episode', delivery: 'stream' }) >= 5000 + 7000);
    assert.equal(value(all, 'station_files_limit_refusals_total', { limit: 'concurrent' }), 1);
    assert.equal(value(all, 'station_files_limit_refusals_total', { limit: 'public-new' }), 1);
    assert.ok(value(all, 'station_files_s3_request_duration_seconds_count') >= 2, 'the S3 object and the missing one');
    assert.ok(value(all, 'station_files_s3_errors_total', { type: 'not-found' }) >= 1);
    assert.equal(value(all, 'station_files_sink_dropped_events_total', { reason: 'closed' }), 6);
    assert.equal(value(all, 'station_files_s3_resumes_total'), 0);
  });

  test('label values come from fixed sets: never a station, file id, user or IP', async () => {
    const allowed: Record<string, RegExp> = {
      kind: /^(recording|media|episode|public-episode)$/,
      outcome: /^(completed|aborted|failed|denied|not-modified|not-found|rejected)$/,
      delivery: /^(stream|accel|redirect|none)$/,
      limit: /^(public-new|concurrent)$/,
      operation: /^(GetObject|HeadObject|other)$/,
      type: /^(not-found|precondition-failed|throttled|timeout|network|aborted|server|client|other)$/,
      reason: /^(failed|overflow|closed|invalid|other)$/,
      le: /^([0-9.]+|\+Inf)$/,
    };
    for (const [name, labels] of samples(await registry.metrics())) {
      for (const [k, v] of Object.entries(labels)) assert.match(v, allowed[k] ?? /^$/, `${name}: label ${k}="${v}"`);
    }
  });

  test('promtool check metrics accepts the exposition', async () => {
    const out = execFileSync('promtool', ['check', 'metrics'], { input: await registry.metrics(), encoding: 'utf8' });
    assert.equal(out.trim(), '');
  });

  test('options are checked', () => {
    assert.throws(() => stationFilesMetrics({ registry: {} as Registry }), /stationFilesMetrics: registry must be a prom-client Registry/);
    assert.throws(() => stationFilesMetrics({ registry: new Registry(), prefix: 'bad-prefix' }), /prefix/);
    assert.throws(
      () =>
        createStationFiles({ authorize: () => true, storages: { d: localStorage({ root: '/' }) }, catalog: { mediaFile: () => null }, metrics: {} as never }),
      /createStationFiles: metrics must be metrics hooks/,
    );
  });
});
