// The S3 head cache without S3: an in-memory bucket that answers HeadObject and GetObject as S3
// does (ranges, 416, If-Match 412, 404) and records every request, behind the real s3Storage.
// What it must show: probes and HEADs of a recently read object cost no request, every answer is
// one version's bytes with that version's ETag, what S3 says is gone or changed is forgotten, and
// the bounds (`ms`, `bytes`, `objects`) hold.
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3Storage, type S3HeadCacheOptions } from '../../lib/entry/s3';
import { HeadCache } from '../../lib/storage/s3-head-cache';
import type { ReadResult, Storage } from '../../lib/storage/types';

const sdkError = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

/** A bucket in memory; `calls` lists each request as `Head key` or `Get key range`. */
class FakeBucket {
  readonly objects = new Map<string, { bytes: Buffer; etag: string }>();
  readonly calls: string[] = [];
  /** Set to make GetObject bodies end after this many bytes. */
  shortBody: number | undefined;
  /** Set to hold the next GetObject's body until `release()`: its headers are answered at once. */
  holdNext = false;
  private held: (() => void) | undefined;

  put(key: string, bytes: Buffer, etag: string): void {
    this.objects.set(key, { bytes, etag });
  }

  async send(command: unknown): Promise<unknown> {
    if (command instanceof HeadObjectCommand) return this.head(command.input.Key ?? '');
    if (command instanceof GetObjectCommand) return this.get(command.input.Key ?? '', command.input.Range, command.input.IfMatch);
    throw new Error('unexpected command');
  }

  private found(key: string): { bytes: Buffer; etag: string } {
    const o = this.objects.get(key);
    if (!o) throw sdkError('NoSuchKey', 404);
    return o;
  }

  private head(key: string): unknown {
    this.calls.push(`Head ${key}`);
    const o = this.found(key);
    return { ContentLength: o.bytes.length, ETag: o.etag, ContentType: 'audio/mpeg', $metadata: {} };
  }

  private get(key: string, range: string | undefined, ifMatch: string | undefined): unknown {
    this.calls.push(`Get ${key}${range ? ` ${range}` : ''}`);
    const o = this.found(key);
    if (ifMatch && ifMatch !== o.etag) throw sdkError('PreconditionFailed', 412);
    const size = o.bytes.length;
    const base = { ETag: o.etag, ContentType: 'audio/mpeg', $metadata: {} };
    if (!range) return { ...base, ContentLength: size, Body: this.body(o.bytes) };
    const m = /^bytes=(\d+)-(\d*)$/.exec(range);
    if (!m) throw new Error(`bad range ${range}`);
    const start = Number(m[1]);
    if (start >= size) throw sdkError('InvalidRange', 416);
    const end = Math.min(m[2] ? Number(m[2]) : size - 1, size - 1);
    return { ...base, ContentLength: end - start + 1, ContentRange: `bytes ${start}-${end}/${size}`, Body: this.body(o.bytes.subarray(start, end + 1)) };
  }

  private body(bytes: Buffer): Readable {
    const sent = this.shortBody === undefined ? bytes : bytes.subarray(0, this.shortBody);
    if (!this.holdNext) return Readable.from([sent], { objectMode: false });
    this.holdNext = false;
    const body = new PassThrough();
    this.held = () => body.end(sent);
    return body;
  }

  /** Sends the held body. */
  release(): void {
    this.held?.();
    this.held = undefined;
  }
}

const bytesOf = (n: number, seed: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) % 251));

async function drain(result: ReadResult | null | undefined): Promise<Buffer> {
  assert.ok(result?.body, 'a body');
  const chunks: Buffer[] = [];
  for await (const c of result.body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function drainStream(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function setup(headCache?: S3HeadCacheOptions): { bucket: FakeBucket; storage: Storage } {
  const bucket = new FakeBucket();
  const storage = s3Storage({ client: bucket as unknown as S3Client, bucket: 'radio', prefix: 'shows/', delivery: 'stream', headCache });
  return { bucket, storage };
}

describe('s3Storage head cache', () => {
  beforeEach(() => mock.timers.enable({ apis: ['Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  it('fills with one GetObject of the first bytes; later probes, HEADs and small reads make no request', async () => {
    const { bucket, storage } = setup();
    const episode = bytesOf(100_000, 1);
    bucket.put('shows/ep.mp3', episode, '"v1"');
    const probe = await storage.read?.('ep.mp3', { range: { start: 0, end: 1 } });
    assert.deepEqual(probe && { meta: probe.meta.etag, size: probe.meta.size, range: probe.range }, {
      meta: '"v1"',
      size: 100_000,
      range: { start: 0, end: 1 },
    });
    assert.deepEqual(await drain(probe), episode.subarray(0, 2));
    assert.deepEqual(bucket.calls, ['Get shows/ep.mp3 bytes=0-16383']);

    const again = await storage.read?.('ep.mp3', { range: { start: 0, end: 1 } });
    assert.deepEqual(await drain(again), episode.subarray(0, 2));
    const inside = await storage.read?.('ep.mp3', { range: { start: 1000, end: 16383 } });
    assert.deepEqual(await drain(inside), episode.subarray(1000, 16384));
    assert.equal((await storage.stat('ep.mp3'))?.etag, '"v1"');
    const opened = await storage.open('ep.mp3', { range: { start: 5, end: 9 }, ifMatch: '"v1"' });
    assert.deepEqual(await drainStream(opened), episode.subarray(5, 10));
    assert.equal(bucket.calls.length, 1, bucket.calls.join(', '));

    // A read that ends past the kept bytes goes to S3, as before.
    const past = await storage.read?.('ep.mp3', { range: { start: 0, end: 16384 } });
    assert.deepEqual(await drain(past), episode.subarray(0, 16385));
    assert.deepEqual(bucket.calls.slice(1), ['Get shows/ep.mp3 bytes=0-16384']);
  });

  it('answers a whole small object, and a range past its end, from the kept bytes', async () => {
    const { bucket, storage } = setup();
    const jingle = bytesOf(3000, 2);
    bucket.put('shows/jingle.mp3', jingle, '"j"');
    await drain(await storage.read?.('jingle.mp3', { range: { start: 0, end: 1 } }));
    const whole = await storage.read?.('jingle.mp3', {});
    assert.equal(whole?.range, null);
    assert.deepEqual(await drain(whole), jingle);
    const rest = await storage.read?.('jingle.mp3', { range: { start: 2990 } });
    assert.deepEqual(rest?.range, { start: 2990, end: 2999 });
    assert.deepEqual(await drain(rest), jingle.subarray(2990));
    const beyond = await storage.read?.('jingle.mp3', { range: { start: 3000, end: 3001 } });
    assert.deepEqual(beyond && { body: beyond.body, range: beyond.range, size: beyond.meta.size }, { body: null, range: null, size: 3000 });
    assert.equal(bucket.calls.length, 1, bucket.calls.join(', '));
  });

  it('serves one version within `ms` of reading it, and the new one after', async () => {
    const { bucket, storage } = setup({ ms: 500 });
    const v1 = bytesOf(50_000, 3);
    const v2 = bytesOf(60_000, 4);
    bucket.put('shows/ep.mp3', v1, '"v1"');
    await drain(await storage.read?.('ep.mp3', { range: { start: 0, end: 1 } }));
    bucket.put('shows/ep.mp3', v2, '"v2"');
    mock.timers.tick(499);
    const stale = await storage.read?.('ep.mp3', { range: { start: 0, end: 99 } });
    assert.deepEqual([stale?.meta.etag, stale?.meta.size], ['"v1"', 50_000]);
    assert.deepEqual(await drain(stale), v1.subarray(0, 100));
    mock.timers.tick(1);
    const fresh = await storage.read?.('ep.mp3', { range: { start: 0, end: 99 } });
    assert.deepEqual([fresh?.meta.etag, fresh?.meta.size], ['"v2"', 60_000]);
    assert.deepEqual(await drain(fresh), v2.subarray(0, 100));
  });

  it('forgets an object S3 says changed or is gone', async () => {
    const { bucket, storage } = setup();
    bucket.put('shows/ep.mp3', bytesOf(50_000, 5), '"v1"');
    await drain(await storage.read?.('ep.mp3', { range: { start: 0, end: 1 } }));
    bucket.put('shows/ep.mp3', bytesOf(50_000, 6), '"v2"');
    // A planned read of the kept version past the kept bytes: S3 refuses it (412)...
    await assert.rejects(storage.open('ep.mp3', { range: { start: 20_000, end: 20_001 }, ifMatch: '"v1"' }), { code: 'changed' });
    // ... and the re-plan sees the new version, not the kept one.
    assert.equal((await storage.stat('ep.mp3'))?.etag, '"v2"');

    // A read past the kept bytes that meets a new version replaces what was kept.
    bucket.put('shows/ep.mp3', bytesOf(50_000, 7), '"v3"');
    const far = await storage.read?.('ep.mp3', { range: { start: 30_000, end: 30_009 } });
    assert.equal(far?.meta.etag, '"v3"');
    await drain(far);
    assert.equal((await storage.stat('ep.mp3'))?.etag, '"v3"');

    bucket.objects.delete('shows/ep.mp3');
    const calls = bucket.calls.length;
    assert.equal(await storage.read?.('ep.mp3', { range: { start: 40_000, end: 40_001 } }), null);
    assert.equal(await storage.stat('ep.mp3'), null);
    assert.equal(await storage.read?.('ep.mp3', { range: { start: 0, end: 1 } }), null);
    assert.deepEqual(bucket.calls.slice(calls), ['Get shows/ep.mp3 bytes=40000-40001', 'Head shows/ep.mp3', 'Get shows/ep.mp3 bytes=0-16383']);
  });

  it('keeps at most `objects` objects, the oldest filled going first', async () => {
    const { bucket, storage } = setup({ objects: 2 });
    for (const name of ['a', 'b', 'c']) bucket.put(`shows/${name}.mp3`, bytesOf(20_000, name.charCodeAt(0)), `"${name}"`);
    for (const name of ['a', 'b', 'c']) await drain(await storage.read?.(`${name}.mp3`, { range: { start: 0, end: 1 } }));
    const calls = bucket.calls.length;
    for (const name of ['b', 'c', 'a']) await drain(await storage.read?.(`${name}.mp3`, { range: { start: 0, end: 1 } }));
    assert.deepEqual(bucket.calls.slice(calls), ['Get shows/a.mp3 bytes=0-16383']);
  });

  it('with `ms: 0` every read and stat asks S3, exactly as asked', async () => {
    const { bucket, storage } = setup({ ms: 0 });
    bucket.put('shows/ep.mp3', bytesOf(50_000, 8), '"v1"');
    for (let i = 0; i < 2; i++) {
      await drain(await storage.read?.('ep.mp3', { range: { start: 0, end: 1 } }));
      await storage.stat('ep.mp3');
    }
    assert.deepEqual(bucket.calls, ['Get shows/ep.mp3 bytes=0-1', 'Head shows/ep.mp3', 'Get shows/ep.mp3 bytes=0-1', 'Head shows/ep.mp3']);
  });

  it('an empty object (S3 answers any range with 416): the probe is planned from its metadata, which is all of it', async () => {
    const { bucket, storage } = setup();
    bucket.put('shows/empty.mp3', Buffer.alloc(0), '"e"');
    const probe = await storage.read?.('empty.mp3', { range: { start: 0, end: 1 } });
    assert.deepEqual(probe && { body: probe.body, size: probe.meta.size }, { body: null, size: 0 });
    assert.deepEqual(bucket.calls, ['Get shows/empty.mp3 bytes=0-16383', 'Head shows/empty.mp3']);
    const again = await storage.read?.('empty.mp3', { range: { start: 0, end: 1 } });
    assert.deepEqual(again && { body: again.body, size: again.meta.size }, { body: null, size: 0 });
    const whole = await storage.read?.('empty.mp3', {});
    assert.equal(whole?.range, null);
    assert.deepEqual(await drain(whole), Buffer.alloc(0));
    assert.equal(bucket.calls.length, 2, bucket.calls.join(', '));
  });

  it('a first-bytes body that ends short keeps nothing, and the read goes on without the cache', async () => {
    const { bucket, storage } = setup();
    const episode = bytesOf(50_000, 9);
    bucket.put('shows/ep.mp3', episode, '"v1"');
    bucket.shortBody = 100;
    const probe = await storage.read?.('ep.mp3', { range: { start: 0, end: 1 } });
    assert.deepEqual(await drain(probe), episode.subarray(0, 2));
    assert.deepEqual(bucket.calls, ['Get shows/ep.mp3 bytes=0-16383', 'Get shows/ep.mp3 bytes=0-1']);
    bucket.shortBody = undefined;
    await drain(await storage.read?.('ep.mp3', { range: { start: 0, end: 1 } }));
    assert.deepEqual(bucket.calls.slice(2), ['Get shows/ep.mp3 bytes=0-16383']);
  });

  it('a slow answer never overwrites a newer one: a new ETag or a 412 seen meanwhile wins', async () => {
    const { bucket, storage } = setup();
    const [v1, v2, v3] = [bytesOf(50_000, 10), bytesOf(50_000, 11), bytesOf(50_000, 12)];
    bucket.put('shows/ep.mp3', v1, '"v1"');
    // A probe's fill gets v1's headers; its body is held while the object is replaced and read.
    bucket.holdNext = true;
    const slow = storage.read?.('ep.mp3', { range: { start: 0, end: 1 } });
    await new Promise((resolve) => setImmediate(resolve));
    bucket.put('shows/ep.mp3', v2, '"v2"');
    const far = await storage.read?.('ep.mp3', { range: { start: 30_000, end: 30_009 } });
    assert.equal(far?.meta.etag, '"v2"');
    await drain(far);
    bucket.release();
    const old = await slow;
    assert.equal(old?.meta.etag, '"v1"', 'the slow request itself is answered with the version it read');
    assert.deepEqual(await drain(old), v1.subarray(0, 2));
    assert.equal((await storage.stat('ep.mp3'))?.etag, '"v2"', 'v2, seen later, is what is kept');

    // The same with a 412 (forget) instead of a read of the new version.
    await drain(await storage.read?.('ep.mp3', { range: { start: 0, end: 1 } })); // v2's first bytes kept
    bucket.holdNext = true;
    mock.timers.tick(1000); // v2 expires; the next probe fills again, held
    const slow2 = storage.read?.('ep.mp3', { range: { start: 0, end: 1 } });
    await new Promise((resolve) => setImmediate(resolve));
    bucket.put('shows/ep.mp3', v3, '"v3"');
    await assert.rejects(storage.open('ep.mp3', { range: { start: 20_000, end: 20_001 }, ifMatch: '"v2"' }), { code: 'changed' });
    bucket.release();
    assert.equal((await slow2)?.meta.etag, '"v2"');
    const calls = bucket.calls.length;
    assert.equal((await storage.stat('ep.mp3'))?.etag, '"v3"');
    assert.deepEqual(bucket.calls.slice(calls), ['Head shows/ep.mp3'], 'the 412 left nothing of v2 to answer from');
  });

  it('a HeadObject 404 refuses a first-bytes answer sent before it', async () => {
    const { bucket, storage } = setup();
    const v1 = bytesOf(50_000, 13);
    bucket.put('shows/ep.mp3', v1, '"v1"');
    bucket.holdNext = true;
    const slow = storage.read?.('ep.mp3', { range: { start: 0, end: 1 } });
    await new Promise((resolve) => setImmediate(resolve));
    bucket.objects.delete('shows/ep.mp3');
    assert.equal(await storage.stat('ep.mp3'), null);
    bucket.release();
    assert.deepEqual(await drain(await slow), v1.subarray(0, 2));
    const calls = bucket.calls.length;
    assert.equal(await storage.stat('ep.mp3'), null, 'the deleted object is not answered from the late fill');
    assert.deepEqual(bucket.calls.slice(calls), ['Head shows/ep.mp3']);
  });

  it('refuses bad headCache options with the option path', () => {
    const client = new FakeBucket() as unknown as S3Client;
    assert.throws(
      () => s3Storage({ client, bucket: 'radio', headCache: { ms: -1 } }),
      /^TypeError: s3Storage: headCache\.ms must be a whole number from 0 to 60000$/,
    );
    assert.throws(() => s3Storage({ client, bucket: 'radio', headCache: { bytes: 2_000_000 } }), /headCache\.bytes must be a whole number from 0 to 1048576/);
    assert.throws(() => s3Storage({ client, bucket: 'radio', headCache: { objects: 0 } }), /headCache\.objects/);
    assert.throws(() => s3Storage({ client, bucket: 'radio', headCache: { size: 1 } as S3HeadCacheOptions }), /unknown option headCache\.size/);
  });
});

describe('HeadCache', () => {
  beforeEach(() => mock.timers.enable({ apis: ['Date'], now: 5_000 }));
  afterEach(() => mock.timers.reset());
  const meta = (etag: string, size: number) => ({ etag, size, mtime: new Date(0) });

  it('fills only spans that end inside its bytes, and only when on', () => {
    assert.equal(new HeadCache(1000, 100, 4).fills({ start: 0, end: 99 }), true);
    assert.equal(new HeadCache(1000, 100, 4).fills({ start: 0, end: 100 }), false);
    assert.equal(new HeadCache(1000, 100, 4).fills({ start: 0 }), false);
    assert.equal(new HeadCache(1000, 100, 4).fills(undefined), false);
    assert.equal(new HeadCache(0, 100, 4).fills({ start: 0, end: 1 }), false);
    assert.equal(new HeadCache(1000, 0, 4).fills({ start: 0, end: 0 }), false);
  });

  it('metadata alone does not replace the first bytes of the same version; another ETag does', () => {
    const heads = new HeadCache(1000, 100, 4);
    heads.remember('k', meta('"a"', 500), Buffer.alloc(100, 1), heads.ticket());
    heads.remember('k', meta('"a"', 500), null, heads.ticket());
    assert.equal(heads.read('k', { start: 0, end: 1 })?.body?.length, 2);
    assert.equal(heads.read('k', { start: 0, end: 1 }, '"b"'), null);
    heads.remember('k', meta('"b"', 500), null, heads.ticket());
    assert.equal(heads.read('k', { start: 0, end: 1 }), null);
    assert.equal(heads.meta('k')?.etag, '"b"');
    mock.timers.tick(1000);
    assert.equal(heads.meta('k'), null);
    assert.equal(heads.size, 0);
  });

  it('keeps answers in ticket order; first bytes of the kept version are still taken from an older request', () => {
    const heads = new HeadCache(1000, 100, 4);
    const [t1, t2, t3] = [heads.ticket(), heads.ticket(), heads.ticket()];
    heads.remember('k', meta('"new"', 500), null, t2);
    heads.remember('k', meta('"old"', 500), Buffer.alloc(100), t1);
    assert.equal(heads.meta('k')?.etag, '"new"');
    heads.remember('k', meta('"new"', 500), Buffer.alloc(100, 7), t1);
    assert.equal(heads.read('k', { start: 0, end: 0 })?.body?.[0], 7);
    heads.forget('k');
    heads.remember('k', meta('"new"', 500), null, t3);
    assert.equal(heads.meta('k'), null, 'an answer to a request sent before the forget is refused');
    heads.remember('k', meta('"newer"', 500), null, heads.ticket());
    assert.equal(heads.meta('k')?.etag, '"newer"');
    heads.remember('e', meta('"e"', 0), null, heads.ticket());
    assert.deepEqual(heads.read('e', undefined)?.body, Buffer.alloc(0), 'an empty object is kept whole');
  });
});
