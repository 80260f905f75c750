// Headers across the generated nginx config (audit issue 10), through real nginx and radosgw:
// - a handed-off local file and a handed-off S3 object carry the same security headers (helmet's,
//   CORS, request id) as the streamed response, and the app's CSP reaches the client once even when
//   S3 sends its own;
// - no x-amz-* / x-rgw-* header of S3 reaches the client (user metadata, request ids, checksums,
//   encryption), and none of the client's headers reach S3 (a recording proxy sits in front of it);
// - X-Forwarded-For is set by nginx, so a client cannot choose the IP the app logs; realIpFrom
//   believes a trusted proxy in front of nginx;
// - client_max_body_size no longer caps uploads to the panel at 1m (issue 11).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import express from 'express';
import { createS3Client, s3Storage } from '../../lib/entry/s3';
import { createStationFiles, localStorage, nginxConfig, type DownloadEvent, type NginxConfigOptions, type Storage } from '../../lib';
import { freePort, startNginx, type NginxInstance } from '../support/nginx';
import { startRecordingProxy, type RecordingProxy } from '../support/recording-proxy';
import { createTestS3Client, deterministicRange, ensureBucket, s3TestConfig } from '../support/s3';

const SIZE = 40_000;
const cfg = s3TestConfig();
const setup = createTestS3Client().client;
const prefix = `nginx-headers-${Date.now().toString(36)}/`;
// What S3 services send that radosgw here does not: an own CSP and frame policy, checksums, SSE.
const INJECTED = {
  'Content-Security-Policy': "default-src *; script-src 'unsafe-inline'",
  'X-Frame-Options': 'ALLOWALL',
  'x-amz-checksum-crc32': 'AAAAAA==',
  'x-amz-server-side-encryption': 'AES256',
  'X-Amz-Meta-Injected': 'upper-case name',
};
const events: DownloadEvent[] = [];
let root: string;
let proxy: RecordingProxy;
let client: ReturnType<typeof createS3Client>;
let server: http.Server;
let appPort: number;
const nginxes: NginxInstance[] = [];
let nginx: NginxInstance;
let storages: Record<string, Storage>;

async function startGenerated(extra: Partial<NginxConfigOptions> = {}, httpLevel = ''): Promise<NginxInstance> {
  const port = await freePort();
  const conf = await nginxConfig({ listen: `127.0.0.1:${port}`, app: `127.0.0.1:${appPort}`, storages, ...extra });
  const n = await startNginx({ listenPort: port, config: httpLevel + conf });
  nginxes.push(n);
  return n;
}

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'sf-nginx-headers-'));
  await writeFile(path.join(root, 'episode.mp3'), deterministicRange('ep', SIZE, 0, SIZE - 1));
  await ensureBucket(setup, cfg.bucket);
  await setup.send(
    new PutObjectCommand({
      Bucket: cfg.bucket,
      Key: `${prefix}episode.mp3`,
      Body: deterministicRange('ep', SIZE, 0, SIZE - 1),
      ContentType: 'audio/mpeg',
      Metadata: { secret: 'x' },
      ChecksumAlgorithm: 'SHA256',
    }),
  );
  const s3url = new URL(cfg.endpoint);
  proxy = await startRecordingProxy({ host: s3url.hostname, port: Number(s3url.port) }, INJECTED);
  client = createS3Client({
    endpoint: proxy.url,
    region: cfg.region,
    forcePathStyle: true,
    credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey },
  });
  storages = {
    disk: localStorage({ root, accelPrefix: '/_station_files/disk' }),
    plain: localStorage({ root }),
    s3: s3Storage({ client, bucket: cfg.bucket, prefix, accel: {} }),
  };
  const byEpisode: Record<string, string> = { 1: 'disk', 2: 's3', 3: 'plain' };
  const files = createStationFiles({
    authorize: () => false,
    storages,
    trustProxy: 'loopback',
    publicRateLimit: false,
    catalog: {
      episode: ({ episode }) => {
        const storage = byEpisode[episode];
        return storage ? { station: 'alpha', storage, key: 'episode.mp3', filename: 'Episode.mp3', public: true } : null;
      },
    },
    onDownload: (e) => void events.push(e),
  });
  const app = express();
  app.post('/upload', (req, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    req.on('end', () => res.json({ bytes }));
  });
  app.use(files.podcasts());
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  appPort = (server.address() as AddressInfo).port;
  nginx = await startGenerated();
});

after(async () => {
  for (const n of nginxes) await n.stop();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await proxy?.close();
  client?.destroy();
  setup.destroy();
  await rm(root, { recursive: true, force: true });
});

interface Raw {
  status: number;
  body: Buffer;
  raw: [string, string][];
}

/** A GET (or other method) keeping every response header line, duplicates included. */
function fetchRaw(url: string, headers: http.OutgoingHttpHeaders = {}, method = 'GET', body?: Buffer): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw: [string, string][] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) raw.push([String(res.rawHeaders[i]).toLowerCase(), String(res.rawHeaders[i + 1])]);
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), raw });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const enclosure = (n: NginxInstance, episode: number): string => `${n.url}/station/alpha/public/podcast/7/episode/${episode}/download.mp3`;
// Headers that legitimately differ between nginx's static/proxy module and Node's stream.
const TRANSPORT = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length', 'etag', 'last-modified', 'x-request-id']);
const SECURITY = [
  'content-security-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'origin-agent-cluster',
  'referrer-policy',
  'strict-transport-security',
  'x-content-type-options',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-frame-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
];
const names = (r: Raw): string[] => [...new Set(r.raw.map(([k]) => k).filter((k) => !TRANSPORT.has(k)))].sort();
const values = (r: Raw, name: string): string[] => r.raw.filter(([k]) => k === name).map(([, v]) => v);

describe('security headers survive the hand-off', () => {
  let streamed: Raw;
  before(async () => {
    streamed = await fetchRaw(enclosure(nginx, 3), { range: 'bytes=0-99', origin: 'https://podcasts.example' });
    assert.equal(streamed.status, 206);
    for (const h of SECURITY) assert.equal(values(streamed, h).length, 1, `the streamed response has ${h} (helmet)`);
  });

  for (const [episode, label] of [
    [1, 'a local file'],
    [2, 'an S3 object'],
  ] as const) {
    test(`${label}: the same header set as the streamed response, each security header once and equal`, async () => {
      const r = await fetchRaw(enclosure(nginx, episode), { range: 'bytes=0-99', origin: 'https://podcasts.example' });
      assert.equal(r.status, 206, nginx.errorLog().slice(-800));
      assert.deepEqual(r.body, deterministicRange('ep', SIZE, 0, 99));
      assert.deepEqual(names(r), names(streamed));
      for (const h of SECURITY) assert.deepEqual(values(r, h), values(streamed, h), h);
      assert.equal(values(r, 'content-security-policy').length, 1, "the app's CSP reaches the client exactly once");
      assert.equal(values(r, 'x-request-id').length, 1);
    });
  }
});

describe('the S3 hand-off passes an allowlist of headers each way', () => {
  const hostile = {
    origin: 'https://evil.example',
    cookie: 'session=secret',
    authorization: 'Bearer secret',
    'x-amz-checksum-mode': 'ENABLED',
    'x-amz-server-side-encryption-customer-algorithm': 'AES256',
    'x-forwarded-for': '1.2.3.4',
    'user-agent': 'hostile/1.0',
    'if-none-match': '"nothing"',
  };

  for (const [label, headers] of [
    ['whole object', {}],
    ['one range', { range: 'bytes=10-19' }],
  ] as const) {
    test(`${label}: no x-amz-* / x-rgw-* header reaches the client, no client header reaches S3`, async () => {
      const before = proxy.exchanges.length;
      const r = await fetchRaw(enclosure(nginx, 2), { ...hostile, ...headers });
      assert.equal(r.status, 'range' in headers ? 206 : 200, nginx.errorLog().slice(-800));
      assert.deepEqual(r.body, 'range' in headers ? deterministicRange('ep', SIZE, 10, 19) : deterministicRange('ep', SIZE, 0, SIZE - 1));
      const fromNginx = proxy.exchanges.slice(before).filter((e) => e.url.includes('X-Amz-Signature='));
      assert.equal(fromNginx.length, 1, 'one presigned GET by nginx');
      const [exchange] = fromNginx;
      // S3's answer did carry them (the test would prove nothing otherwise)...
      assert.ok(exchange!.responseHeaderNames.includes('x-amz-meta-secret'), `radosgw sent ${exchange!.responseHeaderNames}`);
      assert.ok(exchange!.responseHeaderNames.includes('x-amz-request-id'));
      // ...and none reach the client.
      const leaked = r.raw.map(([k]) => k).filter((k) => /^x-(amz|rgw)-/.test(k));
      assert.deepEqual(leaked, []);
      assert.deepEqual(values(r, 'server'), ['nginx'], "nginx's own Server, not S3's");
      assert.deepEqual(exchange!.requestHeaderNames.sort(), ['host', 'if-match', ...('range' in headers ? ['range'] : [])].sort());
      assert.equal(exchange!.requestHeaders.host, new URL(proxy.url).host);
    });
  }
});

describe('the client address the app sees', () => {
  const lastEvent = async (): Promise<DownloadEvent> => {
    for (let i = 0; i < 100 && events.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    return events[events.length - 1] as DownloadEvent;
  };

  test('a client cannot choose its logged IP with X-Forwarded-For (one hop, trust proxy loopback)', async () => {
    events.length = 0;
    const r = await fetchRaw(enclosure(nginx, 3), { 'x-forwarded-for': '1.2.3.4', range: 'bytes=0-0' });
    assert.equal(r.status, 206);
    assert.equal((await lastEvent()).ip, '127.0.0.1');
  });

  test('realIpFrom: a trusted proxy in front of nginx names the client; entries left of it are ignored', async () => {
    const behindLb = await startGenerated({ realIpFrom: ['127.0.0.1'] });
    events.length = 0;
    const r = await fetchRaw(enclosure(behindLb, 3), { 'x-forwarded-for': '6.6.6.6, 203.0.113.9', range: 'bytes=0-0' });
    assert.equal(r.status, 206, behindLb.errorLog().slice(-500));
    assert.equal((await lastEvent()).ip, '203.0.113.9');
  });
});

describe('uploads through the proxied panel (issue 11)', () => {
  const upload = (n: NginxInstance, size: number): Promise<Raw> =>
    fetchRaw(`${n.url}/upload`, { 'content-type': 'application/octet-stream', 'content-length': size }, 'POST', Buffer.alloc(size, 7));

  test('the http { } limit applies to the panel (the server block no longer forces 1m)', async () => {
    const n = await startGenerated({}, 'client_max_body_size 8m;\n');
    const r = await upload(n, 3 * 1024 * 1024);
    assert.equal(r.status, 200, n.errorLog().slice(-500));
    assert.deepEqual(JSON.parse(r.body.toString()), { bytes: 3 * 1024 * 1024 });
  });

  test('clientMaxBodySize sets the limit for the panel', async () => {
    const n = await startGenerated({ clientMaxBodySize: '4m' });
    assert.equal((await upload(n, 3 * 1024 * 1024)).status, 200);
    assert.equal((await upload(n, 5 * 1024 * 1024)).status, 413);
  });
});
