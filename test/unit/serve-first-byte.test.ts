// createDelivery().serve with storage bodies that fail: before their first byte the client still
// gets a proper error answer (the head goes out with the first byte), after it the connection is
// cut. Also the sendTimeoutMs option's validation. In-memory storage on a real http server.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createDelivery, StorageError, type DeliveryResult, type OpenOptions, type ReadOptions } from '../../lib';
import { request } from '../support/http';
import { memoryStorage } from '../support/memory-storage';

const BYTES = Buffer.from('0123456789'.repeat(100));

/** A body that fails with `err` before any data, or after `after` bytes of BYTES. */
function failing(err: Error, after = 0): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (after > 0 && !sent) {
        sent = true;
        this.push(BYTES.subarray(0, after));
        return;
      }
      setImmediate(() => this.destroy(err));
    },
  });
}

const BODIES: Record<string, () => Readable> = {
  'down.mp3': () => failing(new Error('ECONNRESET from the storage')),
  'changed.mp3': () => failing(new StorageError('changed', 'If-Match failed on the re-read')),
  'midway.mp3': () => failing(new Error('reset after some bytes'), 300),
  'short.mp3': () => Readable.from([]),
};

/** memoryStorage whose bodies for the keys above misbehave; `read` (read-ahead) does the same. */
function flakyStorage(withRead: boolean) {
  const mem = memoryStorage({ withRead });
  for (const key of [...Object.keys(BODIES), 'good.mp3']) mem.put(key, BYTES);
  mem.put('empty.mp3', Buffer.alloc(0));
  const open = mem.open.bind(mem);
  mem.open = async (key: string, o: OpenOptions) => BODIES[key]?.() ?? open(key, o);
  const read = mem.read?.bind(mem);
  if (read) {
    mem.read = async (key: string, o: ReadOptions) => {
      const r = await read(key, o);
      const bad = BODIES[key];
      if (!r || !bad || !r.body) return r;
      r.body.destroy();
      return { ...r, body: bad() };
    };
  }
  return mem;
}

let server: http.Server;
let base: string;
const results = new Map<string, DeliveryResult>();

before(async () => {
  const storages = { open: flakyStorage(false), read: flakyStorage(true) };
  const delivery = createDelivery();
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const [, name, key] = url.pathname.split('/');
    const storage = storages[name as keyof typeof storages];
    void delivery.serve(req, res, { storage, key: key ?? '' }).then((r) => results.set(`${url.pathname}${url.search}`, r));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(
  () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
);

/** The DeliveryResult of `path`, once serve() resolved. */
async function resultOf(path: string): Promise<DeliveryResult> {
  for (let i = 0; i < 200 && !results.has(path); i++) await new Promise((r) => setTimeout(r, 10));
  const r = results.get(path);
  assert.ok(r, `no DeliveryResult for ${path}`);
  return r;
}

for (const via of ['open', 'read'] as const) {
  describe(`a storage body that fails (${via === 'open' ? 'storage.open' : 'read-ahead, storage.read'})`, () => {
    it('before its first byte: 502 Storage unavailable, logged failed', async () => {
      const r = await request(`${base}/${via}/down.mp3`);
      assert.equal(r.status, 502);
      assert.equal(r.body.toString(), 'Storage unavailable\n');
      assert.equal(r.complete, true);
      assert.equal(r.headers['content-disposition'], undefined, 'none of the file headers');
      const result = await resultOf(`/${via}/down.mp3`);
      assert.equal(result.outcome, 'failed');
      assert.equal(result.status, 502);
      assert.match(String((result.error?.cause as Error | undefined)?.message), /ECONNRESET/);
    });

    it('before its first byte because the object changed: 503 with Retry-After', async () => {
      const r = await request(`${base}/${via}/changed.mp3`);
      assert.equal(r.status, 503);
      assert.equal(r.headers['retry-after'], '1');
      assert.equal((await resultOf(`/${via}/changed.mp3`)).outcome, 'failed');
    });

    it('ending with no byte at all (a short read of 0 bytes): 502, logged failed', async () => {
      const r = await request(`${base}/${via}/short.mp3`);
      assert.equal(r.status, 502);
      assert.equal((await resultOf(`/${via}/short.mp3`)).outcome, 'failed');
    });

    it('after some bytes: the connection is cut, the client sees an incomplete 200', async () => {
      const r = await request(`${base}/${via}/midway.mp3`);
      assert.equal(r.status, 200);
      assert.equal(r.complete, false);
      assert.deepEqual(r.body, BYTES.subarray(0, 300));
      const result = await resultOf(`/${via}/midway.mp3`);
      assert.equal(result.outcome, 'failed');
      assert.equal(result.status, 200);
      assert.equal(result.bytesSent, 300);
    });

    it('a good body and an empty file are served whole', async () => {
      const good = await request(`${base}/${via}/good.mp3`);
      assert.equal(good.status, 200);
      assert.deepEqual(good.body, BYTES);
      assert.equal((await resultOf(`/${via}/good.mp3`)).outcome, 'completed');
      const empty = await request(`${base}/${via}/empty.mp3`);
      assert.equal(empty.status, 200);
      assert.equal(empty.headers['content-length'], '0');
      assert.equal(empty.complete, true);
    });
  });
}

describe('createDelivery({ sendTimeoutMs })', () => {
  it('accepts 0 (off) and whole numbers of ms', () => {
    createDelivery({ sendTimeoutMs: 0 });
    createDelivery({ sendTimeoutMs: 60_000 });
  });

  it('rejects anything else with a TypeError naming the option', () => {
    for (const bad of [-1, 1.5, Number.NaN, Infinity, 2 ** 31, '60000' as unknown as number]) {
      assert.throws(
        () => createDelivery({ sendTimeoutMs: bad }),
        (err: unknown) => err instanceof TypeError && /sendTimeoutMs/.test(err.message),
      );
    }
  });
});
