// Transparent resume against a real S3 server through a loopback TCP proxy that cuts
// connections mid-body: the client gets one byte-exact response, or (once resuming has failed,
// or the object changed) an incomplete one, never mixed bytes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHash } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client, s3Storage } from '../../lib/entry/s3';
import { startFileApp, type FileApp } from '../support/file-app';
import { requestHash } from '../support/http';
import { createTestS3Client, deterministicRange, ensureBucket, putObjectStream, s3TestConfig, sha256OfRange } from '../support/s3';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';

const MiB = 1024 * 1024;
const SIZE = 32 * MiB;
const cfg = s3TestConfig();
const setup = createTestS3Client().client;
const prefix = `resume-${Date.now().toString(36)}/`;
const resumes: { attempt: number; offset: number }[] = [];
let proxy: TcpProxy;
let app: FileApp;
let client: ReturnType<typeof createS3Client>;

before(async () => {
  await ensureBucket(setup, cfg.bucket);
  await putObjectStream(setup, cfg.bucket, `${prefix}show.bin`, 'resume', SIZE);
  await putObjectStream(setup, cfg.bucket, `${prefix}replaced.bin`, 'old-version', SIZE);
  const target = new URL(cfg.endpoint);
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 80) });
  client = createS3Client({
    endpoint: `${proxy.url}`,
    region: cfg.region,
    forcePathStyle: true,
    credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey },
    idleTimeoutMs: 1500,
  });
  const storage = s3Storage({
    client,
    bucket: cfg.bucket,
    prefix,
    resume: { attempts: 3, backoffMs: 50 },
    onResume: ({ attempt, offset }) => void resumes.push({ attempt, offset }),
  });
  app = await startFileApp({ s3: storage });
});
after(async () => {
  await app.close();
  await proxy.close();
  client.destroy();
  setup.destroy();
});

describe('when S3 fails mid-body', () => {
  test('two cut connections are resumed: one complete, byte-exact response', async () => {
    resumes.length = 0;
    const first = proxy.connections();
    proxy.cutAfter((n) => (n - first < 3 ? 3 * MiB + (n - first) * 777_777 : null));
    const r = await requestHash(`${app.url}/s3/show.bin?cut2`);
    proxy.cutAfter(() => null);
    assert.equal(r.status, 200);
    assert.equal(r.complete, true);
    assert.equal(r.sha256, await sha256OfRange('resume', SIZE, 0, SIZE - 1));
    assert.ok(resumes.length >= 2, `resumed ${resumes.length} times`);
    assert.equal((await app.resultFor('/s3/show.bin?cut2')).outcome, 'completed');
  });

  test('a range is resumed from where it stopped', async () => {
    resumes.length = 0;
    const first = proxy.connections();
    proxy.cutAfter((n) => (n - first < 2 ? 2 * MiB : null));
    const r = await requestHash(`${app.url}/s3/show.bin?range`, { headers: { range: `bytes=${5 * MiB + 3}-${20 * MiB}` } });
    proxy.cutAfter(() => null);
    assert.equal(r.status, 206);
    assert.equal(r.complete, true);
    assert.equal(r.sha256, await sha256OfRange('resume', SIZE, 5 * MiB + 3, 20 * MiB));
    assert.ok(resumes.length >= 1);
    assert.ok((resumes[0]?.offset ?? 0) > 5 * MiB, 'the resume starts past the range start');
  });

  test('when every attempt fails, the client sees an incomplete response and the download is failed', async (t) => {
    resumes.length = 0;
    proxy.cutAfter(() => 1 * MiB);
    const r = await requestHash(`${app.url}/s3/show.bin?always`, { timeoutMs: 20_000 });
    proxy.cutAfter(() => null);
    assert.equal(r.complete, false);
    assert.ok(r.bytes < SIZE);
    const result = await app.resultFor('/s3/show.bin?always');
    t.diagnostic(`bytesSent ${result.bytesSent}, resumes ${JSON.stringify(resumes)}, error ${result.error?.message}`);
    assert.equal(result.outcome, 'failed');
    assert.equal(resumes.length, 3, 'every attempt was used');
    const offsets = resumes.map((r) => r.offset);
    assert.ok(
      offsets.every((o, i) => i === 0 || o > (offsets[i - 1] as number)),
      'each attempt carried the download further',
    );
    assert.ok((result.bytesSent ?? 0) > (offsets[2] as number));
  });

  test('an object replaced before the resume ends the response: the bytes are a prefix of the old version only', async () => {
    const first = proxy.connections();
    proxy.cutAfter((n) => (n - first < 1 ? 4 * MiB : null));
    const received: Buffer[] = [];
    const done = new Promise<{ complete: boolean }>((resolve) => {
      http.get(`${app.url}/s3/replaced.bin?replaced`, { agent: false }, (res) => {
        res.on('data', (c: Buffer) => received.push(c));
        res.on('error', () => undefined);
        res.on('close', () => resolve({ complete: res.complete }));
      });
    });
    // Replace the object while the library waits to resume (backoff 50 ms; the cut comes at 4 MiB).
    await new Promise((r) => setTimeout(r, 20));
    await setup.send(new PutObjectCommand({ Bucket: cfg.bucket, Key: `${prefix}replaced.bin`, Body: Buffer.alloc(1024, 7) }));
    const { complete } = await done;
    proxy.cutAfter(() => null);
    const body = Buffer.concat(received);
    const result = await app.resultFor('/s3/replaced.bin?replaced');
    if (complete) {
      // The replacement landed before the first read: a clean response of the old version is fine too.
      assert.equal(createHash('sha256').update(body).digest('hex'), await sha256OfRange('old-version', SIZE, 0, SIZE - 1));
    } else {
      assert.equal(result.outcome, 'failed');
      assert.deepEqual(body, deterministicRange('old-version', SIZE, 0, body.length - 1), 'only old-version bytes');
    }
  });
});

describe('when a slow client holds the stream back past the S3 idle timeout', () => {
  test('the timed-out upstream is resumed and the response completes byte-exact', async () => {
    resumes.length = 0;
    const hash = createHash('sha256');
    let bytes = 0;
    const complete = await new Promise<boolean>((resolve) => {
      http.get(`${app.url}/s3/show.bin?slow`, { agent: false }, (res) => {
        res.once('data', () => {
          res.pause();
          setTimeout(() => res.resume(), 4000); // longer than idleTimeoutMs (1.5 s)
        });
        res.on('data', (c: Buffer) => {
          hash.update(c);
          bytes += c.length;
        });
        res.on('error', () => undefined);
        res.on('close', () => resolve(res.complete));
      });
    });
    assert.equal(complete, true);
    assert.equal(bytes, SIZE);
    assert.equal(hash.digest('hex'), await sha256OfRange('resume', SIZE, 0, SIZE - 1));
    assert.ok(resumes.length >= 1, 'the idle S3 socket timed out and was resumed');
  });
});
