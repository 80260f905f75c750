// A crowded S3 pool against a real S3 server: with one pooled socket and a download whose client
// stopped reading, another download still gets the socket (the stopped one's read is given back
// within a quarter second of the other request queueing), and the stopped one, read on later,
// is byte-exact. The release period is set far beyond the test, so only the crowded pool can
// free the socket; without that rule the second request would wait for the connection timeout.
// And requests queued for the pool wait in the library's gate, where the SDK's timeouts do not
// run: eight downloads at once through one socket with a 100 ms connection timeout all complete,
// every S3 request on its first attempt (without the gate the SDK times queued requests out and
// retries them). Every kind of answer gives its socket back (a permit held forever would stop
// the one-socket client): HEAD, a missing key, a failed If-Match, a range past the end.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { createS3Client, s3Storage } from '../../lib/entry/s3';
import { startFileApp, type FileApp } from '../support/file-app';
import { requestHash } from '../support/http';
import { createTestS3Client, ensureBucket, putObjectStream, s3TestConfig, sha256OfRange } from '../support/s3';

const MiB = 1024 * 1024;
const BIG = 32 * MiB;
const SMALL = 1 * MiB;
const MEDIUM = 8 * MiB;
const cfg = s3TestConfig();
const setup = createTestS3Client().client;
const prefix = `crowded-${Date.now().toString(36)}/`;
let app: FileApp;
let client: ReturnType<typeof createS3Client>;
let tightClient: ReturnType<typeof createS3Client>;
let storage: ReturnType<typeof s3Storage>;
/** The SDK's attempts for each request of tightClient that succeeded. */
const attempts: number[] = [];

before(async () => {
  await ensureBucket(setup, cfg.bucket);
  await putObjectStream(setup, cfg.bucket, `${prefix}show.bin`, 'crowded-show', BIG);
  await putObjectStream(setup, cfg.bucket, `${prefix}jingle.bin`, 'crowded-jingle', SMALL);
  await putObjectStream(setup, cfg.bucket, `${prefix}promo.bin`, 'crowded-promo', MEDIUM);
  const settings = {
    endpoint: cfg.endpoint,
    region: cfg.region,
    forcePathStyle: true,
    credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey },
    maxSockets: 1,
  };
  client = createS3Client(settings);
  tightClient = createS3Client({ ...settings, connectionTimeoutMs: 100 });
  tightClient.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args);
      attempts.push((out.output as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 0);
      return out;
    },
    { step: 'initialize', name: 'countAttempts' },
  );
  // windowBytes 0: the show is one open-ended read that holds the only socket while its client waits.
  storage = s3Storage({ client, bucket: cfg.bucket, prefix, resume: { windowBytes: 0, releaseAfterMs: 600_000 } });
  const tight = s3Storage({ client: tightClient, bucket: cfg.bucket, prefix });
  app = await startFileApp({ s3: storage, tight });
});
after(async () => {
  await app?.close();
  client?.destroy();
  tightClient?.destroy();
  setup.destroy();
});

describe('a crowded S3 pool', () => {
  test("a stopped client's read gives its socket to a waiting download, and reads on byte-exact later", async () => {
    const hash = createHash('sha256');
    let got = 0;
    const show = http.get(`${app.url}/s3/show.bin`);
    const [res] = (await once(show, 'response')) as [http.IncomingMessage];
    assert.equal(res.statusCode, 200);
    res.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      got += chunk.length;
    });
    res.pause(); // the listener stops: the server's socket fills and the S3 read blocks
    await sleep(300);

    const jingle = await requestHash(`${app.url}/s3/jingle.bin`);
    assert.equal(jingle.status, 200);
    assert.equal(jingle.complete, true, 'the waiting download completed while the first client was stopped');
    assert.equal(jingle.sha256, await sha256OfRange('crowded-jingle', SMALL, 0, SMALL - 1));
    assert.ok(got < BIG, `the stopped client had ${got} of ${BIG} bytes when the other download ended`);

    res.resume();
    await once(res, 'end');
    assert.equal(got, BIG);
    assert.equal(hash.digest('hex'), await sha256OfRange('crowded-show', BIG, 0, BIG - 1), 'byte-exact after the release');
    assert.equal((await app.resultFor('/s3/show.bin')).outcome, 'completed');
  });

  test('eight downloads at once through one socket with a 100 ms connection timeout: every one completes byte-exact', async () => {
    const expected = await sha256OfRange('crowded-promo', MEDIUM, 0, MEDIUM - 1);
    const results = await Promise.all(Array.from({ length: 8 }, (_v, i) => requestHash(`${app.url}/tight/promo.bin?n=${i}`)));
    for (const [i, r] of results.entries()) {
      assert.equal(r.status, 200, `download ${i}: status`);
      assert.equal(r.complete, true, `download ${i}: complete`);
      assert.equal(r.sha256, expected, `download ${i}: bytes`);
    }
    assert.ok(attempts.length >= 8, `${attempts.length} S3 requests`);
    assert.deepEqual(
      attempts.filter((n) => n !== 1),
      [],
      'no S3 request needed a second attempt',
    );
  });

  test('HEAD, a missing key, a failed If-Match and a range past the end each give the only socket back', { timeout: 60_000 }, async () => {
    for (let round = 0; round < 3; round++) {
      const meta = await storage.stat('jingle.bin');
      assert.equal(meta?.size, SMALL);
      assert.equal(await storage.stat('missing.bin'), null);
      await assert.rejects(storage.open('jingle.bin', { ifMatch: '"not-the-etag"' }), (err: Error & { code?: string }) => err.code === 'changed');
      const past = await storage.read?.('jingle.bin', { range: { start: SMALL + 10 } });
      assert.equal(past?.body, null, 'a range past the end: metadata only');
    }
    // Still served: no permit was kept by any of those answers.
    const r = await requestHash(`${app.url}/s3/jingle.bin?after`);
    assert.equal(r.status, 200);
    assert.equal(r.sha256, await sha256OfRange('crowded-jingle', SMALL, 0, SMALL - 1));
  });
});
