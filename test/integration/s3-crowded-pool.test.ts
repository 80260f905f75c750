// A crowded S3 pool against a real S3 server: with one pooled socket and a download whose client
// stopped reading, another download still gets the socket (the stopped one's read is given back
// within a quarter second of the other request queueing), and the stopped one, read on later,
// is byte-exact. The release period is set far beyond the test, so only the crowded pool can
// free the socket; without that rule the second request would wait for the connection timeout.
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
const cfg = s3TestConfig();
const setup = createTestS3Client().client;
const prefix = `crowded-${Date.now().toString(36)}/`;
let app: FileApp;
let client: ReturnType<typeof createS3Client>;

before(async () => {
  await ensureBucket(setup, cfg.bucket);
  await putObjectStream(setup, cfg.bucket, `${prefix}show.bin`, 'crowded-show', BIG);
  await putObjectStream(setup, cfg.bucket, `${prefix}jingle.bin`, 'crowded-jingle', SMALL);
  client = createS3Client({
    endpoint: cfg.endpoint,
    region: cfg.region,
    forcePathStyle: true,
    credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey },
    maxSockets: 1,
  });
  // windowBytes 0: the show is one open-ended read that holds the only socket while its client waits.
  const storage = s3Storage({ client, bucket: cfg.bucket, prefix, resume: { windowBytes: 0, releaseAfterMs: 600_000 } });
  app = await startFileApp({ s3: storage });
});
after(async () => {
  await app?.close();
  client?.destroy();
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
});
