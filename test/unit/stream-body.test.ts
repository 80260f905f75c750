// streamBody's edge cases that the storage-backed tests cannot provoke: sources that error
// without closing, errors after the transfer already ended, the head written with the first
// byte, and the write-stall timer (sendTimeoutMs) against clients that stop reading.
import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { streamBody, type StreamOptions, type StreamResult } from '../../lib/delivery/stream';
import { request } from '../support/http';

let server: http.Server;
let base: string;
let makeBody: () => Readable;
let results: StreamResult[] = [];

before(async () => {
  server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Length': '10' });
    void streamBody(makeBody(), res, 10).then((r) => results.push(r));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('streamBody', () => {
  it('cuts the response when a source that does not auto-destroy errors twice, without crashing', async () => {
    results = [];
    makeBody = () => {
      const body = new Readable({ read() {}, autoDestroy: false });
      body.push(Buffer.from('12345'));
      setTimeout(() => {
        body.emit('error', new Error('first'));
        body.emit('error', new Error('second, after the transfer was given up'));
      }, 20);
      return body;
    };
    const r = await request(`${base}/`);
    assert.equal(r.complete, false);
    assert.equal(r.body.length, 5);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(results[0]?.outcome, 'failed');
    assert.equal(results[0]?.error?.message, 'first');
  });

  it('fails a source that closes early without an error (premature close)', async () => {
    results = [];
    makeBody = () => {
      const body = new Readable({ read() {} });
      body.push(Buffer.from('123'));
      setTimeout(() => body.destroy(), 20);
      return body;
    };
    const r = await request(`${base}/`);
    assert.equal(r.complete, false);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(results[0]?.outcome, 'failed');
    assert.match(results[0]?.error?.message ?? '', /source closed after 3 of 10 bytes/);
  });

  it('completes a source that delivers exactly the planned bytes', async () => {
    results = [];
    makeBody = () => Readable.from([Buffer.from('12345'), Buffer.from('67890')]);
    const r = await request(`${base}/`);
    assert.equal(r.complete, true);
    assert.equal(r.body.toString(), '1234567890');
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(results[0], { outcome: 'completed', bytesSent: 10 });
  });
});

// ---- the head written with the first byte, and the write-stall timer ----

const KiB = 1024;
const MiB = 1024 * KiB;

/** A source of `size` bytes (byte i = i % 251) in 64 KiB chunks, produced as they are read. */
function patterned(size: number): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= size) return void this.push(null);
      const n = Math.min(64 * KiB, size - offset);
      const chunk = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) chunk[i] = (offset + i) % 251;
      offset += n;
      this.push(chunk);
    },
  });
}
const patternOk = (body: Buffer): boolean => body.every((b, i) => b === i % 251);

/** Resolves with `p`, or rejects with `what` after `ms` (a result that never comes must not hang the suite). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** A client that sends a GET and then never reads: the server's socket fills up and stays full. */
function stalledClient(url: string): { socket: net.Socket; closed: Promise<number> } {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  socket.on('error', () => undefined);
  socket.write(`GET / HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
  socket.pause();
  // Once resumed: the bytes that arrived before the server cut the connection.
  let bytes = 0;
  const closed = new Promise<number>((resolve) => {
    socket.on('close', () => resolve(bytes));
  });
  socket.on('data', (c: Buffer) => {
    bytes += c.length;
  });
  socket.pause();
  return { socket, closed };
}

interface Served {
  result: StreamResult;
  body: Readable;
  headersSent: boolean;
}

describe('streamBody with a deferred head and sendTimeoutMs', () => {
  let server2: http.Server;
  let url: string;
  let source: () => Readable;
  let size: number;
  let options: StreamOptions;
  let served: (s: Served) => void = () => undefined;
  const next = (): Promise<Served> =>
    new Promise((resolve) => {
      served = resolve;
    });

  before(async () => {
    server2 = http.createServer((_req, res) => {
      const body = source();
      void streamBody(body, res, size, undefined, options).then((result) => {
        const headersSent = res.headersSent;
        // What serve() does with a source that failed before its first byte: a proper error answer.
        if (!headersSent && result.outcome === 'failed') res.writeHead(502, { 'Content-Length': '4' }).end('502\n');
        served({ result, body, headersSent });
      });
    });
    await new Promise<void>((resolve) => server2.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server2.address() as AddressInfo).port}/`;
  });
  after(
    () =>
      new Promise<void>((resolve) => {
        server2.closeAllConnections();
        server2.close(() => resolve());
      }),
  );

  it('writes no head when the source fails before its first byte, so an error answer can still be sent', async () => {
    size = 10;
    options = { head: { status: 200, headers: { 'Content-Length': '10' } }, sendTimeoutMs: 1000 };
    source = () =>
      new Readable({
        read() {
          this.destroy(new Error('storage down'));
        },
      });
    const done = next();
    const r = await request(url);
    const s = await done;
    assert.equal(s.headersSent, false);
    assert.equal(s.result.outcome, 'failed');
    assert.equal(s.result.error?.message, 'storage down');
    assert.equal(r.status, 502);
    assert.equal(r.complete, true);
  });

  it('sends the head of an empty body at its end', async () => {
    size = 0;
    options = { head: { status: 200, headers: { 'Content-Length': '0', 'X-Head': 'late' } } };
    source = () => Readable.from([]);
    const done = next();
    const r = await request(url);
    assert.deepEqual((await done).result, { outcome: 'completed', bytesSent: 0 });
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-head'], 'late');
    assert.equal(r.complete, true);
  });

  it('cuts a client that stops reading: aborted, client-stalled, source destroyed, connection closed', async (t) => {
    size = 256 * MiB;
    options = { head: { status: 200, headers: { 'Content-Length': String(size) } }, sendTimeoutMs: 300 };
    source = () => patterned(size);
    const done = next();
    const started = Date.now();
    const client = stalledClient(url);
    const s = await within(done, 20_000, 'result for the stalled client');
    t.diagnostic(`cut ${Date.now() - started} ms after the request, ${s.result.bytesSent} bytes handed over`);
    assert.equal(s.result.outcome, 'aborted');
    assert.equal(s.result.reason, 'client-stalled');
    assert.ok(s.result.bytesSent < size);
    assert.equal(s.body.destroyed, true, 'the source was released');
    client.socket.resume();
    const received = await within(client.closed, 10_000, 'close of the cut connection');
    assert.ok(received < size, `the client got ${received} bytes, not the whole body`);
  });

  it('cuts a client that stops reading after the whole body was handed over (the unsent tail)', async () => {
    size = 48 * MiB;
    options = { head: { status: 200, headers: { 'Content-Length': String(size) } }, sendTimeoutMs: 300 };
    source = () => Readable.from([Buffer.alloc(size, 7)]); // one write: the source ends at once
    const done = next();
    const client = stalledClient(url);
    const s = await within(done, 20_000, 'result for the stalled client');
    assert.equal(s.result.outcome, 'aborted');
    assert.equal(s.result.reason, 'client-stalled');
    assert.equal(s.result.bytesSent, size, 'every byte was handed to the response, none of it arrived');
    client.socket.resume();
    assert.ok((await within(client.closed, 10_000, 'close of the cut connection')) < size);
  });

  it('does not cut a response whose source is slower than sendTimeoutMs (only a full socket counts)', async () => {
    size = 30;
    options = { head: { status: 200, headers: { 'Content-Length': '30' } }, sendTimeoutMs: 100 };
    source = () =>
      Readable.from(
        (async function* slow() {
          for (let i = 0; i < 3; i++) {
            await new Promise((r) => setTimeout(r, 350));
            yield Buffer.from('0123456789');
          }
        })(),
      );
    const done = next();
    const r = await request(url);
    assert.deepEqual((await done).result, { outcome: 'completed', bytesSent: 30 });
    assert.equal(r.body.toString(), '012345678901234567890123456789');
  });

  it('does not cut a slow client that keeps reading', async () => {
    size = 8 * MiB;
    options = { head: { status: 200, headers: { 'Content-Length': String(size) } }, sendTimeoutMs: 2000 };
    source = () => patterned(size);
    const done = next();
    const chunks: Buffer[] = [];
    const complete = await new Promise<boolean>((resolve) => {
      http.get(url, { agent: false }, (res) => {
        res.on('data', (c: Buffer) => {
          chunks.push(c);
          res.pause();
          setTimeout(() => res.resume(), 5);
        });
        res.on('close', () => resolve(res.complete));
      });
    });
    assert.deepEqual((await done).result, { outcome: 'completed', bytesSent: size });
    assert.equal(complete, true);
    const body = Buffer.concat(chunks);
    assert.equal(body.length, size);
    assert.ok(patternOk(body), 'byte-exact');
  });
});
