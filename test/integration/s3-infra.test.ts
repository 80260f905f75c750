// Smoke test of the test infrastructure itself: S3 (bucket, multipart upload, ranges, hashes) and nginx.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { createTestS3Client, deterministicRange, ensureBucket, putObjectStream, s3TestConfig, sha256OfRange } from '../support/s3';
import { startNginx } from '../support/nginx';
import { request, requestHash } from '../support/http';

const cfg = s3TestConfig();
const { client } = createTestS3Client({ maxSockets: 4 });
after(() => client.destroy());

const SEED = 'infra-20MiB';
const SIZE = 20 * 1024 * 1024;
const KEY = 'infra/20MiB.bin';

test('deterministic data: ranges match the stream, every 16-byte block differs', async () => {
  const whole = deterministicRange(SEED, 4096, 0, 4095);
  assert.deepEqual(deterministicRange(SEED, 4096, 1000, 1999), whole.subarray(1000, 2000));
  assert.deepEqual(deterministicRange(SEED, 4096, 17, 17), whole.subarray(17, 18));
  const blocks = new Set<string>();
  for (let i = 0; i < whole.length; i += 16) blocks.add(whole.subarray(i, i + 16).toString('hex'));
  assert.equal(blocks.size, whole.length / 16);
  assert.equal(await sha256OfRange(SEED, 4096, 0, 4095), createHash('sha256').update(whole).digest('hex'));
  assert.notDeepEqual(deterministicRange('other', 4096, 0, 15), whole.subarray(0, 16));
});

test('S3: bucket, 20 MiB multipart upload, HeadObject, ranged and full GetObject', async () => {
  await ensureBucket(client, cfg.bucket);
  await ensureBucket(client, cfg.bucket); // idempotent

  const etag = await putObjectStream(client, cfg.bucket, KEY, SEED, SIZE);
  assert.match(etag, /^"[0-9a-f]{32}-3"$/); // multipart: 8 + 8 + 4 MiB

  const head = await client.send(new HeadObjectCommand({ Bucket: cfg.bucket, Key: KEY }));
  assert.equal(head.ContentLength, SIZE);
  assert.equal(head.ETag, etag);

  const ranged = await client.send(new GetObjectCommand({ Bucket: cfg.bucket, Key: KEY, Range: 'bytes=1000-1999' }));
  assert.ok(ranged.Body);
  const bytes = Buffer.from(await ranged.Body.transformToByteArray());
  assert.deepEqual(bytes, deterministicRange(SEED, SIZE, 1000, 1999));
  assert.equal(ranged.ContentRange, `bytes 1000-1999/${SIZE}`);

  const full = await client.send(new GetObjectCommand({ Bucket: cfg.bucket, Key: KEY }));
  assert.ok(full.Body);
  const hash = createHash('sha256');
  for await (const chunk of full.Body as AsyncIterable<Uint8Array>) hash.update(chunk);
  assert.equal(hash.digest('hex'), await sha256OfRange(SEED, SIZE, 0, SIZE - 1));
});

test('S3: small object via single PutObject', async () => {
  await ensureBucket(client, cfg.bucket);
  const size = 100_000;
  await putObjectStream(client, cfg.bucket, 'infra/small.bin', 'small', size, 'audio/mpeg');
  const head = await client.send(new HeadObjectCommand({ Bucket: cfg.bucket, Key: 'infra/small.bin' }));
  assert.equal(head.ContentLength, size);
  assert.equal(head.ContentType, 'audio/mpeg');
});

test('nginx: starts on a free port, answers, stops', async () => {
  const nginx = await startNginx({
    config: 'server { listen 127.0.0.1:{{PORT}}; location / { return 200 "ok"; } }',
  });
  try {
    const res = await request(`${nginx.url}/`);
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), 'ok');
    assert.equal(res.complete, true);
    const hashed = await requestHash(`${nginx.url}/x`);
    assert.equal(hashed.sha256, createHash('sha256').update('ok').digest('hex'));
    assert.equal(hashed.bytes, 2);
  } finally {
    await nginx.stop();
  }
  await assert.rejects(request(`${nginx.url}/`), /ECONNREFUSED/);
});
