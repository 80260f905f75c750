// X-Accel-Redirect through a real nginx started with the config demo-app/nginx ships: hostile
// filenames reach the right file, headers survive the hand-off, and S3 objects streamed by nginx
// from a presigned URL answer exactly like the app's own stream mode.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse as parseDisposition } from 'content-disposition';
import { createS3Client, s3Storage } from '../../lib/entry/s3';
import { fileEtag } from '../../lib/entry/http';
import { localStorage, nginxConfig, type Storage } from '../../lib';
import { encodePath } from '../../lib/storage/keys';
import { safeFilename } from '../../lib/http/disposition';
import { startFileApp, type FileApp } from '../support/file-app';
import { request, requestHash } from '../support/http';
import { freePort, startNginx, type NginxInstance } from '../support/nginx';
import { deterministicRange, ensureBucket, putObjectStream, s3TestConfig, sha256OfRange, writeDeterministicFile, createTestS3Client } from '../support/s3';

const MiB = 1024 * 1024;
const BIG = 64 * MiB;
const HOSTILE = [
  'plain.mp3',
  'with space.mp3',
  '100% live.mp3',
  'a%20b.mp3',
  '%2e%2e.mp3',
  'what?.mp3',
  'hash#tag.mp3',
  'semi;colon.mp3',
  'quote"s.mp3',
  "apos'trophe (live).mp3",
  'plus+sign&amp=1.mp3',
  'Émission spéciale – été.mp3',
  '日本語のラジオ番組.mp3',
  'emoji 🎙️📻.mp3',
  'rtl \u202egnp.mp3',
  '..dots..mp3',
  'dir with space/nested #1?.mp3',
  `${'long'.repeat(60)}.mp3`,
];

const cfg = s3TestConfig();
const setupClient = createTestS3Client().client;
const s3Client = createS3Client({
  endpoint: cfg.endpoint,
  region: cfg.region,
  forcePathStyle: cfg.forcePathStyle,
  credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey },
});
const prefix = `accel-${Date.now().toString(36)}/`;
let root: string;
let accelApp: FileApp;
let streamApp: FileApp;
let nginx: NginxInstance;

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'sf-media-'));
  for (const name of HOSTILE) {
    await mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await writeFile(path.join(root, name), deterministicRange(name, 10_000, 0, 9_999));
  }
  await writeDeterministicFile(path.join(root, 'big.bin'), 'local-big', BIG);
  await ensureBucket(setupClient, cfg.bucket);
  await putObjectStream(setupClient, cfg.bucket, `${prefix}show.bin`, 's3-big', BIG);
  await putObjectStream(setupClient, cfg.bucket, `${prefix}Émission 100%?.mp3`, 's3-small', 5000);
  const s3 = { client: s3Client, bucket: cfg.bucket, prefix };
  const s3Accel = s3Storage({ ...s3, accel: {} });
  // The same storage, but handing nginx a stale ETag: as if the object was replaced after planning.
  const replaced: Storage = {
    kind: 's3',
    delivery: 'accel',
    stat: (key) => s3Accel.stat(key),
    open: (key, o) => s3Accel.open(key, o),
    accel: (key, req) => s3Accel.accel!(key, { ...req, meta: { ...req.meta, etag: '"replaced-meanwhile"' } }),
  };
  const storages = { local: localStorage({ root, accelPrefix: '/_station_files/local' }), s3: s3Accel };
  accelApp = await startFileApp({ ...storages, replaced });
  streamApp = await startFileApp({ s3: s3Storage(s3) });
  const port = await freePort();
  nginx = await startNginx({
    listenPort: port,
    // The config nginx runs with is generated from the very storages the app uses.
    config: await nginxConfig({ listen: `127.0.0.1:${port}`, app: `127.0.0.1:${accelApp.port}`, storages }),
  });
});

after(async () => {
  await nginx?.stop();
  await accelApp?.close();
  await streamApp?.close();
  s3Client.destroy();
  setupClient.destroy();
  await rm(root, { recursive: true, force: true });
});

const url = (storage: string, key: string): string => `${nginx.url}/${storage}/${encodePath(key.split('/'))}`;

describe('local files through X-Accel-Redirect', () => {
  for (const name of HOSTILE) {
    test(`${JSON.stringify(name).slice(0, 50)} reaches the right file with a usable filename`, async () => {
      const r = await request(url('local', name));
      assert.equal(r.status, 200, nginx.errorLog().slice(-500));
      assert.deepEqual(r.body, deterministicRange(name, 10_000, 0, 9_999));
      assert.equal(r.headers['content-type'], 'audio/mpeg');
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
      assert.equal(r.headers['x-accel-redirect'], undefined);
      const disposition = String(r.headers['content-disposition']);
      assert.match(disposition, /^attachment;/);
      assert.equal(parseDisposition(disposition).parameters.filename, safeFilename(path.basename(name)));
    });
  }

  test('nginx serves ranges, with the same ETag the app plans with', async () => {
    const s = await stat(path.join(root, 'big.bin'));
    const r = await requestHash(url('local', 'big.bin'), { headers: { range: 'bytes=1000000-1999999' } });
    assert.equal(r.status, 206);
    assert.equal(r.headers['content-range'], `bytes 1000000-1999999/${BIG}`);
    assert.equal(r.sha256, await sha256OfRange('local-big', BIG, 1000000, 1999999));
    assert.equal(r.headers.etag, fileEtag(s));
    const full = await requestHash(url('local', 'big.bin'));
    assert.equal(full.sha256, await sha256OfRange('local-big', BIG, 0, BIG - 1));
    const notModified = await request(url('local', 'big.bin'), { headers: { 'if-none-match': fileEtag(s) } });
    assert.equal(notModified.status, 304);
    const result = accelApp.results.at(-2);
    assert.equal(result?.delivery, 'accel');
    assert.equal(result?.bytesSent, null);
  });

  test('names the app refuses (control characters, traversal) are 404, never another file', async () => {
    assert.equal((await request(`${nginx.url}/local/..%2Fetc%2Fpasswd`)).status, 404);
    assert.equal((await request(`${nginx.url}/local/new%0Aline.mp3`)).status, 404);
    assert.equal((await request(`${nginx.url}/_station_files/local/plain.mp3`)).status, 404);
  });
});

describe('S3 objects through nginx (presigned hand-off)', () => {
  const compared = ['content-length', 'content-range', 'content-type', 'content-disposition', 'etag', 'last-modified', 'cache-control', 'accept-ranges'];
  const cases: [string, string | undefined, number, number][] = [
    ['full', undefined, 0, BIG - 1],
    ['probe', 'bytes=0-1', 0, 1],
    ['middle', `bytes=${20 * MiB}-${30 * MiB - 1}`, 20 * MiB, 30 * MiB - 1],
    ['suffix', 'bytes=-1000', BIG - 1000, BIG - 1],
    ['open-ended', `bytes=${BIG - MiB}-`, BIG - MiB, BIG - 1],
  ];
  for (const [label, range, start, end] of cases) {
    test(`${label}: byte-exact, same status and headers as stream mode`, async () => {
      const headers = range ? { range } : {};
      const viaNginx = await requestHash(`${nginx.url}/s3/show.bin`, { headers });
      const viaStream = await requestHash(`${streamApp.url}/s3/show.bin`, { headers });
      assert.equal(viaNginx.status, range ? 206 : 200, nginx.errorLog().slice(-800));
      assert.equal(viaNginx.complete, true);
      assert.equal(viaNginx.sha256, await sha256OfRange('s3-big', BIG, start, end));
      assert.equal(viaNginx.status, viaStream.status);
      for (const h of compared) assert.equal(viaNginx.headers[h], viaStream.headers[h], `header ${h}`);
      const leaked = Object.keys(viaNginx.headers).filter((h) => /^x-(amz|rgw|station-files|accel)/.test(h));
      assert.deepEqual(leaked, []);
    });
  }

  test('a Unicode name with % and ? keeps its Content-Disposition and Content-Type', async () => {
    const r = await request(`${nginx.url}/s3/${encodePath(['Émission 100%?.mp3'])}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, deterministicRange('s3-small', 5000, 0, 4999));
    assert.equal(r.headers['content-type'], 'audio/mpeg');
    assert.equal(parseDisposition(String(r.headers['content-disposition'])).parameters.filename, 'Émission 100%?.mp3');
  });

  test('an object replaced after planning is refused by If-Match: 503 with Retry-After, never mixed bytes', async () => {
    const r = await request(`${nginx.url}/replaced/show.bin`, { headers: { range: 'bytes=0-99' } });
    assert.equal(r.status, 503);
    assert.equal(r.headers['retry-after'], '1');
    assert.doesNotMatch(r.body.toString(), /<\?xml|PreconditionFailed/);
  });

  test('conditionals are answered by the app before any hand-off', async () => {
    const etag = String((await request(`${nginx.url}/s3/show.bin`, { method: 'HEAD' })).headers.etag);
    assert.equal((await request(`${nginx.url}/s3/show.bin`, { headers: { 'if-none-match': etag } })).status, 304);
    const stale = await requestHash(`${nginx.url}/s3/show.bin`, { headers: { range: 'bytes=0-9', 'if-range': '"stale"' } });
    assert.equal(stale.status, 200);
    assert.equal(stale.bytes, BIG);
    const unsatisfiable = await request(`${nginx.url}/s3/show.bin`, { headers: { range: `bytes=${BIG}-` } });
    assert.equal(unsatisfiable.status, 416);
    assert.equal(unsatisfiable.headers['content-range'], `bytes */${BIG}`);
  });
});
