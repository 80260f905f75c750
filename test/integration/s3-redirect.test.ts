// Redirect delivery against a real S3 server: the app checks and plans, then sends a 302 to a
// short-lived presigned URL that carries the filename and type; S3 itself serves the ranges.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseDisposition } from 'content-disposition';
import { contentDisposition } from '../../lib/entry/http';
import { s3Storage } from '../../lib/entry/s3';
import { encodePath } from '../../lib/storage/keys';
import { startFileApp, type FileApp } from '../support/file-app';
import { request } from '../support/http';
import { createTestS3Client, deterministicRange, ensureBucket, putObjectStream, s3TestConfig } from '../support/s3';

const SIZE = 100_000;
const NAME = 'Nachtprogramm – 100% live?.mp3';
const cfg = s3TestConfig();
const { client } = createTestS3Client();
const prefix = `redirect-${Date.now().toString(36)}/`;
let app: FileApp;

before(async () => {
  await ensureBucket(client, cfg.bucket);
  await putObjectStream(client, cfg.bucket, `${prefix}${NAME}`, 'redirect', SIZE, 'binary/octet-stream');
  app = await startFileApp({ s3: s3Storage({ client, bucket: cfg.bucket, prefix, delivery: 'redirect' }) }, { redirectExpiresIn: 120 });
});
after(async () => {
  await app.close();
  client.destroy();
});

const path = `/s3/${encodePath([NAME])}`;

describe('redirect delivery', () => {
  test('GET answers 302 to a presigned URL that is never cached', async () => {
    const r = await request(app.url + path);
    assert.equal(r.status, 302);
    assert.equal(r.headers['cache-control'], 'private, no-store');
    const location = new URL(String(r.headers.location));
    assert.equal(location.origin, new URL(cfg.endpoint).origin);
    assert.ok(location.searchParams.get('X-Amz-Expires') === '120');
    assert.equal((await app.resultFor(path)).delivery, 'redirect');
  });

  test('the presigned URL serves ranges with our Content-Type and Content-Disposition', async () => {
    const location = String((await request(app.url + path)).headers.location);
    const r = await request(location, { headers: { range: 'bytes=100-199' } });
    assert.equal(r.status, 206);
    assert.deepEqual(r.body, deterministicRange('redirect', SIZE, 100, 199));
    assert.equal(r.headers['content-type'], 'audio/mpeg');
    assert.equal(parseDisposition(String(r.headers['content-disposition'])).parameters.filename, NAME);
  });

  test('HEAD, 304 and 416 are answered by the app without a redirect', async () => {
    const head = await request(app.url + path, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(SIZE));
    const etag = String(head.headers.etag);
    assert.equal((await request(app.url + path, { headers: { 'if-none-match': etag } })).status, 304);
    const r416 = await request(app.url + path, { headers: { range: `bytes=${SIZE}-` } });
    assert.equal(r416.status, 416);
    assert.equal(r416.headers['content-range'], `bytes */${SIZE}`);
  });

  test('presign(key, { contentDisposition }) gives a URL that names the file', async () => {
    const storage = s3Storage({ client, bucket: cfg.bucket, prefix });
    const url = await storage.presign(NAME, { expiresIn: 60, contentDisposition: contentDisposition('Sendung.mp3', 'inline') });
    const r = await request(url, { headers: { range: 'bytes=0-1' } });
    assert.equal(r.status, 206);
    assert.equal(r.headers['content-disposition'], 'inline; filename="Sendung.mp3"');
  });

  test('a tampered signature is refused by S3', async () => {
    const location = new URL(String((await request(app.url + path)).headers.location));
    location.searchParams.set('X-Amz-Signature', '0'.repeat(64));
    assert.equal((await request(location.href)).status, 403);
  });
});
