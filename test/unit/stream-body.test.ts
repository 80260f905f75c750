// streamBody's edge cases that the storage-backed tests cannot provoke: sources that error
// without closing, and errors after the transfer already ended.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { streamBody, type StreamResult } from '../../lib/delivery/stream';
import { request } from '../support/http';

let server: http.Server;
let base: string;
let makeBody: () => Readable;
let results: StreamResult[] = [];

before(async () => {
  server = http.createServer((req, res) => {
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
