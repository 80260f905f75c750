// The delivery layer's read-ahead (storage.read: metadata and body in one call): which requests
// use it, that a guessed body is only sent when it is exactly the planned bytes, and that every
// unused body is destroyed. In-memory storage; the S3 request counts are in s3-stream.test.ts.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startFileApp, type FileApp } from '../support/file-app';
import { request } from '../support/http';
import { memoryStorage, type MemoryStorage } from '../support/memory-storage';

const BYTES = randomBytes(1000);
let app: FileApp;
let mem: MemoryStorage;
let plain: MemoryStorage;

before(async () => {
  mem = memoryStorage({ withRead: true });
  plain = memoryStorage({ withRead: false });
  for (const s of [mem, plain]) {
    s.put('show.mp3', BYTES);
    s.put('empty.mp3', Buffer.alloc(0));
  }
  app = await startFileApp({ mem, plain });
});
after(() => app.close());
beforeEach(() => {
  for (const s of [mem, plain]) {
    Object.assign(s.calls, { stat: 0, open: 0, read: 0 });
    s.opened.length = 0;
    s.readBodies.length = 0;
  }
});

const unusedDestroyed = (): boolean => mem.readBodies.every((b) => b.destroyed);

describe('serve with a storage that can read ahead', () => {
  it('answers a plain GET with one read: no stat, no open', async () => {
    const r = await request(`${app.url}/mem/show.mp3`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, BYTES);
    assert.deepEqual(mem.calls, { stat: 0, open: 0, read: 1 });
  });

  it('answers the podcast probe and an open-ended range with one read', async () => {
    const probe = await request(`${app.url}/mem/show.mp3`, { headers: { range: 'bytes=0-1' } });
    assert.equal(probe.status, 206);
    assert.equal(probe.headers['content-range'], 'bytes 0-1/1000');
    assert.deepEqual(probe.body, BYTES.subarray(0, 2));
    const tail = await request(`${app.url}/mem/show.mp3`, { headers: { range: 'bytes=900-' } });
    assert.deepEqual(tail.body, BYTES.subarray(900));
    const clipped = await request(`${app.url}/mem/show.mp3`, { headers: { range: 'bytes=990-5000' } });
    assert.equal(clipped.headers['content-range'], 'bytes 990-999/1000');
    assert.deepEqual(mem.calls, { stat: 0, open: 0, read: 3 });
  });

  it('plans conditional requests from metadata only (a 304 costs no body read)', async () => {
    const first = await request(`${app.url}/mem/show.mp3`);
    const etag = String(first.headers.etag);
    const r = await request(`${app.url}/mem/show.mp3`, { headers: { 'if-none-match': etag } });
    assert.equal(r.status, 304);
    assert.deepEqual(mem.calls, { stat: 1, open: 0, read: 1 });
  });

  it('drops the guessed range and opens the whole version when If-Range does not match', async () => {
    const r = await request(`${app.url}/mem/show.mp3`, { headers: { range: 'bytes=10-19', 'if-range': '"stale"' } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, BYTES);
    assert.deepEqual(mem.calls, { stat: 0, open: 1, read: 1 });
    assert.deepEqual(mem.opened, [null]);
    assert.ok(unusedDestroyed(), 'the read-ahead body was destroyed');
  });

  it('keeps the guessed range when If-Range matches', async () => {
    const etag = String((await request(`${app.url}/mem/show.mp3`)).headers.etag);
    const r = await request(`${app.url}/mem/show.mp3`, { headers: { range: 'bytes=10-19', 'if-range': etag } });
    assert.equal(r.status, 206);
    assert.deepEqual(r.body, BYTES.subarray(10, 20));
    assert.deepEqual(mem.calls, { stat: 0, open: 0, read: 2 });
  });

  it('answers 416 when the read found only metadata (a range past the end)', async () => {
    const r = await request(`${app.url}/mem/show.mp3`, { headers: { range: 'bytes=1000-' } });
    assert.equal(r.status, 416);
    assert.equal(r.headers['content-range'], 'bytes */1000');
    assert.deepEqual(mem.calls, { stat: 0, open: 0, read: 1 });
  });

  it('serves an empty object, HEAD, suffix ranges and several ranges as before', async () => {
    const empty = await request(`${app.url}/mem/empty.mp3`);
    assert.equal(empty.status, 200);
    assert.equal(empty.body.length, 0);
    const head = await request(`${app.url}/mem/show.mp3`, { method: 'HEAD' });
    assert.equal(head.headers['content-length'], '1000');
    const suffix = await request(`${app.url}/mem/show.mp3`, { headers: { range: 'bytes=-10' } });
    assert.deepEqual(suffix.body, BYTES.subarray(990));
    const several = await request(`${app.url}/mem/show.mp3`, { headers: { range: 'bytes=0-1,500-501' } });
    assert.equal(several.status, 200);
    assert.deepEqual(mem.calls, { stat: 3, open: 2, read: 1 });
  });

  it('answers 404 for an unknown key without opening anything', async () => {
    const r = await request(`${app.url}/mem/nope.mp3`);
    assert.equal(r.status, 404);
    assert.deepEqual(mem.calls, { stat: 0, open: 0, read: 1 });
  });

  it('destroys the read-ahead body when an If-Range date asks for the whole object instead', async () => {
    const r = await request(`${app.url}/mem/show.mp3`, { headers: { range: 'bytes=0-0', 'if-range': 'Thu, 01 Jan 1970 00:00:00 GMT' } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, BYTES);
    assert.deepEqual(mem.opened, [null]);
    assert.ok(unusedDestroyed());
  });
});

describe('serve with a storage without read', () => {
  it('plans from stat and opens the planned bytes', async () => {
    const r = await request(`${app.url}/plain/show.mp3`, { headers: { range: 'bytes=0-1' } });
    assert.deepEqual(r.body, BYTES.subarray(0, 2));
    assert.deepEqual(plain.calls, { stat: 1, open: 1, read: 0 });
  });
});
