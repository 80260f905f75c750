// s3Storage + stream delivery against a real S3 server (Ceph radosgw started by test/run.sh, or
// any S3 service named by S3_* env): byte-exact bodies, HTTP semantics, aborts, a dying server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import http from 'node:http';
import { s3Storage } from '../../lib/entry/s3';
import { startFileApp, type FileApp } from '../support/file-app';
import { request, requestAbortAfter, requestHash } from '../support/http';
import { createTestS3Client, deterministicRange, ensureBucket, killRadosgw, putObjectStream, restartRadosgw, s3TestConfig, sha256OfRange } from '../support/s3';

const MiB = 1024 * 1024;
const BIG = 64 * MiB;
const cfg = s3TestConfig();
const { client, agent } = createTestS3Client({ maxSockets: 8 });
const prefix = `stream-${Date.now().toString(36)}/`;
let app: FileApp;
let bigEtag: string;

const busySockets = (): number => Object.values(agent.sockets).reduce((n, list) => n + (list?.length ?? 0), 0);
async function waitForIdleSockets(ms = 3000): Promise<number> {
  const deadline = Date.now() + ms;
  while (busySockets() > 0 && Date.now() < deadline) await sleep(20);
  return busySockets();
}

before(async () => {
  await ensureBucket(client, cfg.bucket);
  bigEtag = await putObjectStream(client, cfg.bucket, `${prefix}show.bin`, 'big', BIG);
  await putObjectStream(client, cfg.bucket, `${prefix}tiny.mp3`, 'tiny', 1000, 'binary/octet-stream');
  await putObjectStream(client, cfg.bucket, `${prefix}empty.bin`, 'empty', 0);
  app = await startFileApp({
    s3: s3Storage({ client, bucket: cfg.bucket, prefix }),
    // The S3 traffic of each request on its own (no head cache), and with a cache no pause of a
    // busy machine can expire mid-test.
    uncached: s3Storage({ client, bucket: cfg.bucket, prefix, headCache: { ms: 0 } }),
    cached: s3Storage({ client, bucket: cfg.bucket, prefix, headCache: { ms: 60_000 } }),
  });
});
after(async () => {
  await app.close();
  client.destroy();
});

describe('full GET', () => {
  test('64 MiB body is byte-exact, with validators from S3', async () => {
    const r = await requestHash(`${app.url}/s3/show.bin?full`);
    const result = app.resultFor('/s3/show.bin?full');
    assert.equal(r.status, 200);
    assert.equal(r.complete, true);
    assert.equal(r.bytes, BIG);
    assert.equal(r.sha256, await sha256OfRange('big', BIG, 0, BIG - 1));
    assert.equal(r.headers['content-length'], String(BIG));
    assert.equal(r.headers.etag, bigEtag);
    assert.equal(r.headers['accept-ranges'], 'bytes');
    assert.ok(r.headers['last-modified']);
    const last = await result;
    assert.equal(last.outcome, 'completed');
    assert.equal(last.bytesSent, BIG);
    assert.equal(last.delivery, 'stream');
  });

  test('Content-Type comes from the extension, not the stored binary/octet-stream', async () => {
    const r = await request(`${app.url}/s3/tiny.mp3`);
    assert.equal(r.headers['content-type'], 'audio/mpeg');
    assert.deepEqual(r.body, deterministicRange('tiny', 1000, 0, 999));
  });

  test('an empty object is a complete 200 with Content-Length 0', async () => {
    const r = await request(`${app.url}/s3/empty.bin`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-length'], '0');
    assert.equal(r.body.length, 0);
    assert.equal(r.complete, true);
  });

  test('a missing key and a key escaping the prefix are 404', async () => {
    assert.equal((await request(`${app.url}/s3/nope.bin`)).status, 404);
    assert.equal((await request(`${app.url}/s3/..%2F..%2Fshow.bin`)).status, 404);
  });
});

describe('with Range', () => {
  const cases: [string, number, number][] = [
    ['bytes=0-1', 0, 1],
    ['bytes=1000-1999', 1000, 1999],
    [`bytes=${BIG - 5 * MiB}-`, BIG - 5 * MiB, BIG - 1],
    ['bytes=-1048577', BIG - 1048577, BIG - 1],
    [`bytes=${BIG - 1}-${BIG + 100}`, BIG - 1, BIG - 1],
    [`bytes=${30 * MiB + 7}-${40 * MiB + 3}`, 30 * MiB + 7, 40 * MiB + 3],
  ];
  for (const [range, start, end] of cases) {
    test(`${range} → 206 with the exact bytes`, async () => {
      const r = await requestHash(`${app.url}/s3/show.bin`, { headers: { range } });
      assert.equal(r.status, 206);
      assert.equal(r.complete, true);
      assert.equal(r.headers['content-range'], `bytes ${start}-${end}/${BIG}`);
      assert.equal(r.headers['content-length'], String(end - start + 1));
      assert.equal(r.sha256, await sha256OfRange('big', BIG, start, end));
    });
  }

  test('past the end → 416 with Content-Range: bytes */size', async () => {
    const r = await request(`${app.url}/s3/show.bin`, { headers: { range: `bytes=${BIG}-` } });
    assert.equal(r.status, 416);
    assert.equal(r.headers['content-range'], `bytes */${BIG}`);
  });

  test('If-Range with the current ETag honours the range; a stale one sends everything', async () => {
    const etag = String((await request(`${app.url}/s3/tiny.mp3`, { method: 'HEAD' })).headers.etag);
    const hit = await request(`${app.url}/s3/tiny.mp3`, { headers: { range: 'bytes=10-19', 'if-range': etag } });
    assert.equal(hit.status, 206);
    assert.deepEqual(hit.body, deterministicRange('tiny', 1000, 10, 19));
    const miss = await request(`${app.url}/s3/tiny.mp3`, { headers: { range: 'bytes=10-19', 'if-range': '"stale"' } });
    assert.equal(miss.status, 200);
    assert.equal(miss.body.length, 1000);
  });
});

describe('HEAD and conditionals', () => {
  test('HEAD has the GET headers and never opens a stream', async () => {
    const before = app.results.length;
    const r = await request(`${app.url}/s3/show.bin`, { method: 'HEAD', headers: { range: 'bytes=0-1' } });
    assert.equal(r.status, 206);
    assert.equal(r.headers['content-length'], '2');
    assert.equal(r.body.length, 0);
    const result = app.results[before];
    assert.equal(result?.delivery, null);
    assert.equal(result?.bytesSent, null);
  });

  test('If-None-Match → 304; If-Match mismatch → 412; If-Match match → 200', async () => {
    assert.equal((await request(`${app.url}/s3/show.bin`, { headers: { 'if-none-match': bigEtag } })).status, 304);
    assert.equal((await request(`${app.url}/s3/show.bin`, { headers: { 'if-match': '"other"' } })).status, 412);
    const ok = await request(`${app.url}/s3/tiny.mp3`, { headers: { 'if-match': '*' } });
    assert.equal(ok.status, 200);
  });
});

describe('S3 requests per download', () => {
  /** Counts the S3 commands `client` sends while `fn` runs (and keeps each GetObject's Range). */
  async function commandsDuring(fn: () => Promise<void>, ranges: (string | undefined)[] = []): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    const name = `count-${Math.random()}`;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = String(context.commandName);
        counts[command] = (counts[command] ?? 0) + 1;
        if (command === 'GetObjectCommand') ranges.push((args.input as { Range?: string }).Range);
        return next(args);
      },
      { step: 'initialize', name },
    );
    try {
      await fn();
    } finally {
      client.middlewareStack.remove(name);
    }
    return counts;
  }

  test('a plain GET, the podcast probe and a seek need no HeadObject: their first GetObject carries the metadata and at most a window', async () => {
    const window = 128 * 1024;
    const cases = [
      { headers: {}, first: `bytes=0-${window - 1}` },
      { headers: { range: 'bytes=0-1' }, first: 'bytes=0-1' },
      { headers: { range: `bytes=${BIG - MiB}-` }, first: `bytes=${BIG - MiB}-${BIG - MiB + window - 1}` },
    ];
    for (const { headers, first } of cases) {
      const ranges: (string | undefined)[] = [];
      const counts = await commandsDuring(async () => {
        const r = await requestHash(`${app.url}/uncached/show.bin`, { headers });
        assert.equal(r.complete, true);
      }, ranges);
      assert.equal(counts.HeadObjectCommand, undefined, JSON.stringify(headers));
      assert.equal(ranges[0], first, JSON.stringify(headers));
      // Then each read goes on where the last one ended: windows of at most 1 MiB (a fast reader's
      // grow: 128 KiB, 256, 512, 1 MiB), and at most one longer read, to the end, last.
      const spans = ranges.map((r) => /^bytes=(\d+)-(\d*)$/.exec(r ?? '')).map((m) => ({ start: Number(m?.[1]), end: m?.[2] ? Number(m[2]) : null }));
      for (let i = 1; i < spans.length; i++) {
        const [prev, cur] = [spans[i - 1]!, spans[i]!];
        assert.equal(cur.start, (prev.end ?? Number.NaN) + 1, `contiguous: ${ranges.join(', ')}`);
        const window = cur.end !== null && cur.end - cur.start + 1 <= MiB;
        if (!window) assert.equal(i, spans.length - 1, `the read to the end is the last: ${ranges.join(', ')}`);
      }
    }
  });

  test('revalidation asks HeadObject only; a range past the end asks GetObject, then HeadObject', async () => {
    const revalidate = await commandsDuring(async () => {
      assert.equal((await request(`${app.url}/uncached/show.bin`, { headers: { 'if-none-match': bigEtag } })).status, 304);
    });
    assert.deepEqual(revalidate, { HeadObjectCommand: 1 });
    const past = await commandsDuring(async () => {
      assert.equal((await request(`${app.url}/uncached/show.bin`, { headers: { range: `bytes=${BIG}-` } })).status, 416);
    });
    assert.deepEqual(past, { GetObjectCommand: 1, HeadObjectCommand: 1 });
  });

  test('a stale If-Range drops the guessed range and reads the whole object once more', async () => {
    const counts = await commandsDuring(async () => {
      const r = await request(`${app.url}/uncached/tiny.mp3`, { headers: { range: 'bytes=10-19', 'if-range': '"stale"' } });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, deterministicRange('tiny', 1000, 0, 999));
    });
    assert.deepEqual(counts, { GetObjectCommand: 2 });
    assert.equal(await waitForIdleSockets(), 0);
  });

  test('with the head cache, opening an episode (probe, HEAD, 304, reads in the first 16 KiB) costs one GetObject of its first bytes', async () => {
    const url = `${app.url}/cached/show.bin`;
    const ranges: (string | undefined)[] = [];
    const fill = await commandsDuring(async () => {
      const r = await request(url, { headers: { range: 'bytes=0-1' } });
      assert.deepEqual([r.status, r.headers['content-range'], r.headers.etag], [206, `bytes 0-1/${BIG}`, bigEtag]);
      assert.deepEqual(r.body, deterministicRange('big', BIG, 0, 1));
    }, ranges);
    assert.deepEqual([fill, ranges], [{ GetObjectCommand: 1 }, ['bytes=0-16383']]);
    const kept = await commandsDuring(async () => {
      const probe = await request(url, { headers: { range: 'bytes=0-1' } });
      assert.deepEqual([probe.status, probe.body], [206, deterministicRange('big', BIG, 0, 1)]);
      const head = await request(url, { method: 'HEAD' });
      assert.deepEqual([head.status, head.headers['content-length'], head.headers.etag], [200, String(BIG), bigEtag]);
      assert.equal((await request(url, { headers: { 'if-none-match': bigEtag } })).status, 304);
      const inside = await request(url, { headers: { range: 'bytes=100-16383' } });
      assert.deepEqual([inside.status, inside.body], [206, deterministicRange('big', BIG, 100, 16383)]);
    });
    assert.deepEqual(kept, {});
    const past = await commandsDuring(async () => {
      const r = await request(url, { headers: { range: 'bytes=16380-16390' } });
      assert.deepEqual([r.status, r.body], [206, deterministicRange('big', BIG, 16380, 16390)]);
    });
    assert.deepEqual(past, { GetObjectCommand: 1 });
    assert.equal(await waitForIdleSockets(), 0);
  });
});

describe('when clients go away', () => {
  test('200 aborted downloads leave no socket in use and the next download is prompt', async () => {
    const points = Array.from({ length: 200 }, (_, i) => 64 * 1024 + ((i * 7919 * 4096) % (8 * MiB)));
    for (let i = 0; i < points.length; i += 8) {
      const batch = points.slice(i, i + 8).map((p) => requestAbortAfter(`${app.url}/s3/show.bin`, p));
      for (const r of await Promise.all(batch)) assert.equal(r.complete, false);
    }
    assert.equal(await waitForIdleSockets(), 0, 'S3 sockets still in use after the aborts');
    await sleep(100);
    const aborted = app.results.slice(-200);
    assert.equal(aborted.filter((r) => r.outcome === 'aborted').length, 200);
    for (const r of aborted) assert.ok(r.bytesSent !== null && r.bytesSent < BIG);
    const started = Date.now();
    const full = await requestHash(`${app.url}/s3/show.bin`, { timeoutMs: 10_000 });
    assert.equal(full.complete, true);
    assert.equal(full.sha256, await sha256OfRange('big', BIG, 0, BIG - 1));
    assert.ok(Date.now() - started < 10_000);
    assert.equal(await waitForIdleSockets(), 0);
  });
});

describe('when the S3 server dies mid-download', () => {
  test('the client sees an incomplete response, the download is logged failed, and S3 works again after a restart', async (t) => {
    if (!process.env.CEPH_DIR) {
      throw new Error('this fault test kills radosgw: run it through test/run.sh (CEPH_DIR), not against an external S3');
    }
    const outcome = await new Promise<{ bytes: number; complete: boolean }>((resolve, reject) => {
      let bytes = 0;
      const req = http.get(`${app.url}/s3/show.bin?killed`, { agent: false }, (res) => {
        res.once('data', () => {
          res.pause(); // hold the stream back so the server is mid-body when radosgw dies
          killRadosgw().then(() => res.resume(), reject);
        });
        res.on('data', (c: Buffer) => {
          bytes += c.length;
        });
        res.on('error', () => undefined);
        res.on('close', () => resolve({ bytes, complete: res.complete }));
      });
      req.on('error', () => undefined);
    });
    assert.equal(outcome.complete, false);
    assert.ok(outcome.bytes < BIG);
    const logged = await app.resultFor('/s3/show.bin?killed');
    assert.equal(logged.outcome, 'failed');
    assert.ok(logged.error, 'the failure carries its cause for the log');
    assert.ok((logged.bytesSent ?? 0) > 0);
    t.diagnostic(`client got ${outcome.bytes} of ${BIG} bytes; cause: ${logged.error?.message}`);

    // Meanwhile the process stays healthy: a request for an unreachable S3 gets a clean 502.
    const down = await request(`${app.url}/s3/tiny.mp3`, { timeoutMs: 20_000 });
    assert.equal(down.status, 502);
    assert.doesNotMatch(down.body.toString(), /ECONN|Error|at /);

    await restartRadosgw();
    const again = await requestHash(`${app.url}/s3/show.bin`);
    assert.equal(again.complete, true);
    assert.equal(again.sha256, await sha256OfRange('big', BIG, 0, BIG - 1));
  });
});
