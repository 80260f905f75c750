// Exact download accounting behind a real nginx: every hand-off's DownloadEvent carries what nginx
// reported (status, $body_bytes_sent, completed/aborted), for local files and S3 objects; HEAD and
// 304 are the app's own answers; aborts are counted within socket-buffer distance of what the client
// read; two workers, a reload mid-download, and a dead report channel still give one event each.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createS3Client, s3Storage } from '../../lib/entry/s3';
import type { DownloadEvent } from '../../lib';
import { figure } from '../reliability/support/fault-figures';
import { request, requestHash } from '../support/http';
import { freePort } from '../support/nginx';
import { startReportStack, type ReportStack, type StackFile } from '../support/report-stack';
import { createTestS3Client, ensureBucket, putObjectStream, s3TestConfig, sha256OfRange, writeDeterministicFile } from '../support/s3';

const MiB = 1024 * 1024;
const BIG = 32 * MiB;
const cfg = s3TestConfig();
const setup = createTestS3Client().client;
const client = createS3Client({
  endpoint: cfg.endpoint,
  region: cfg.region,
  forcePathStyle: cfg.forcePathStyle,
  credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey },
});
const prefix = `nginx-reports-${Date.now().toString(36)}/`;
const FILES: StackFile[] = [
  { episode: '1', storage: 'disk', key: 'big.bin' },
  { episode: '2', storage: 's3', key: 'big.bin' },
];
const SEED = { '1': 'reports-local', '2': 'reports-s3' } as const;
let root: string;
let stack: ReportStack;
const s3 = s3Storage({ client, bucket: cfg.bucket, prefix, accel: {} });
const start = (extra: Partial<Parameters<typeof startReportStack>[0]> = {}) => startReportStack({ localRoot: root, s3, files: FILES, ...extra });

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'sf-reports-'));
  await writeDeterministicFile(path.join(root, 'big.bin'), SEED['1'], BIG);
  await ensureBucket(setup, cfg.bucket);
  await putObjectStream(setup, cfg.bucket, `${prefix}big.bin`, SEED['2'], BIG);
  stack = await start();
});

after(async () => {
  await stack?.stop();
  client.destroy();
  setup.destroy();
  await rm(root, { recursive: true, force: true });
});

const idOf = (headers: http.IncomingHttpHeaders): string => String(headers['x-request-id']);

/** GETs `url`, reads `upTo` body bytes (all when undefined), pauses `pauseMs`, then leaves. */
function readSome(url: string, upTo: number, pauseMs: number): Promise<{ id: string; read: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read < upTo) return;
        res.pause();
        setTimeout(() => {
          req.destroy();
          resolve({ id: idOf(res.headers), read });
        }, pauseMs);
      });
      res.on('error', () => undefined);
    });
    req.on('error', (err) => (err.message === 'socket hang up' ? undefined : reject(err)));
  });
}

function assertReported(e: DownloadEvent, status: number, bytes: number): void {
  assert.equal(e.report, 'nginx', JSON.stringify(e));
  assert.equal(e.delivery, 'accel');
  assert.equal(e.status, status);
  assert.equal(e.bytesSent, bytes);
  assert.equal(e.outcome, 'completed');
  assert.equal(e.nginx?.requestId, e.correlationId, 'nginx names the request id it passed to the app');
}

for (const [episode, label] of [
  ['1', 'local file'],
  ['2', 'S3 object'],
] as const) {
  describe(`${label} handed to nginx, reported back`, () => {
    test('full download: completed, with the exact bytes nginx sent', async () => {
      const r = await requestHash(stack.url(episode));
      assert.equal(r.status, 200, stack.nginx.errorLog().slice(-800));
      assert.equal(r.sha256, await sha256OfRange(SEED[episode], BIG, 0, BIG - 1));
      const e = await stack.eventOf(idOf(r.headers));
      assertReported(e, 200, BIG);
      assert.equal(e.nginx?.upstreamStatus, episode === '2' ? 200 : null, 'S3 answered nginx (local files have no upstream but the app)');
      if (episode === '2') assert.equal(typeof e.nginx?.upstreamTimeMs, 'number');
    });

    test('206 range: the range length', async () => {
      const r = await request(stack.url(episode), { headers: { range: 'bytes=1000-1999' } });
      assert.equal(r.status, 206);
      assert.equal(r.body.length, 1000);
      assertReported(await stack.eventOf(idOf(r.headers)), 206, 1000);
    });

    test('HEAD and 304 are answered by the app: no hand-off, no report, no body bytes', async () => {
      const head = await request(stack.url(episode), { method: 'HEAD' });
      assert.equal(head.status, 200);
      const h = await stack.eventOf(idOf(head.headers));
      assert.deepEqual([h.status, h.bytesSent, h.report, h.delivery], [200, 0, null, null]);
      const cached = await request(stack.url(episode), { headers: { 'if-none-match': String(head.headers.etag) } });
      assert.equal(cached.status, 304);
      const c = await stack.eventOf(idOf(cached.headers));
      assert.deepEqual([c.status, c.bytesSent, c.report, c.outcome], [304, 0, null, 'not-modified']);
      assert.equal(stack.reports.stats().pending, 0, 'the receiver forgot both');
    });

    test('client leaves mid-download at a limited rate: aborted, nginx’s figure close to what it read', async (t: TestContext) => {
      const { id, read } = await readSome(stack.url(episode, true), 2 * MiB, 0);
      const e = await stack.eventOf(id);
      assert.equal(e.report, 'nginx');
      assert.equal(e.outcome, 'aborted');
      assert.equal(e.status, 200);
      const sent = e.bytesSent ?? -1;
      assert.ok(sent >= read && sent - read <= 16 * MiB, `nginx sent ${sent}, the client read ${read}`);
      figure(t, 'nginx-reports', `${label}: sent − read, rate-limited abort`, sent - read, 'bytes');
    });

    test('client stops reading, then leaves: nginx’s figure exceeds what it read by the socket buffers', async (t: TestContext) => {
      const { id, read } = await readSome(stack.url(episode), MiB, 1000);
      const e = await stack.eventOf(id);
      assert.equal(e.outcome, 'aborted');
      const sent = e.bytesSent ?? -1;
      assert.ok(sent >= read && sent - read <= 32 * MiB, `nginx sent ${sent}, the client read ${read}`);
      figure(t, 'nginx-reports', `${label}: sent − read, stalled client`, sent - read, 'bytes');
    });
  });
}

describe('the report channel', () => {
  test('two nginx workers: every concurrent download reported once, exactly', async () => {
    const two = await start({ workers: 2 });
    try {
      const got = await Promise.all(
        Array.from({ length: 24 }, (_, i) => request(two.url(i % 2 ? '1' : '2'), { headers: { range: `bytes=${i * 1000}-${i * 1000 + 4095}` } })),
      );
      for (const r of got) {
        assert.equal(r.status, 206);
        assertReported(await two.eventOf(idOf(r.headers)), 206, 4096);
      }
      assert.equal(two.events.length, 24);
      assert.equal(two.reports.stats().reported, 24);
    } finally {
      await two.stop();
    }
  });

  test('nginx reloaded mid-download: the old worker finishes the download and still reports it', async () => {
    const pending = requestHash(stack.url('1', true), { headers: { range: `bytes=0-${3 * MiB - 1}` } });
    await new Promise((r) => setTimeout(r, 700));
    stack.nginx.reload();
    const r = await pending;
    assert.equal(r.status, 206);
    assert.equal(r.bytes, 3 * MiB);
    const e = await stack.eventOf(idOf(r.headers));
    assertReported(e, 206, 3 * MiB);
    assert.equal(stack.events.filter((x) => x.id === e.id).length, 1);
  });

  test('nginx sends to a dead port: events are still emitted, marked timeout, bytes unknown', async () => {
    const dead = await start({ reportPort: await freePort(), timeoutMs: 300 });
    try {
      const r = await request(dead.url('1'), { headers: { range: 'bytes=0-99' } });
      assert.equal(r.status, 206);
      const e = await dead.eventOf(idOf(r.headers), 5000);
      assert.deepEqual([e.report, e.bytesSent, e.status, e.delivery], ['timeout', null, 206, 'accel']);
      assert.equal(dead.reports.stats().timedOut, 1);
    } finally {
      await dead.stop();
    }
  });

  test('receiver closed mid-download: the waiting event is emitted at once, marked closed; later ones too', async () => {
    const closing = await start();
    try {
      const slow = readSome(closing.url('2', true), 2 * MiB, 0);
      await new Promise((r) => setTimeout(r, 500));
      await closing.reports.close();
      const { id } = await slow;
      const e = await closing.eventOf(id);
      assert.deepEqual([e.report, e.bytesSent], ['closed', null]);
      const after = await request(closing.url('1'), { headers: { range: 'bytes=0-9' } });
      const later = await closing.eventOf(idOf(after.headers));
      assert.deepEqual([later.report, later.bytesSent, later.status], ['closed', null, 206]);
      assert.equal(closing.events.length, 2);
    } finally {
      await closing.stop();
    }
  });

  test('a full receiver (maxPending 0): the hand-off is emitted at once, marked overflow, and nginx sends no line', async () => {
    const full = await start({ maxPending: 0 });
    try {
      const r = await request(full.url('1'), { headers: { range: 'bytes=0-9' } });
      const e = await full.eventOf(idOf(r.headers));
      assert.deepEqual([e.report, e.bytesSent], ['overflow', null]);
      await new Promise((res) => setTimeout(res, 200));
      assert.deepEqual([full.reports.stats().overflowed, full.reports.stats().received], [1, 0]);
    } finally {
      await full.stop();
    }
  });

  test('clients never see the report header', async () => {
    const r = await request(stack.url('1'), { headers: { range: 'bytes=0-9' } });
    assert.equal(r.headers['x-station-files-report'], undefined);
  });
});
