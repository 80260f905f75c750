import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { truncate, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import type { DeliveryResult } from '../../lib/delivery/serve';
import { fileHandler } from '../../lib/file-handler';
import { localStorage } from '../../lib/storage/local';
import { makeTempDir, type TempDir } from '../support/fixtures-local';

const SIZE = 3 * 1024 * 1024;
const BIG = randomBytes(SIZE);
const UNICODE_NAME = 'my show – Émission 🎙.mp3';
const UNICODE_BODY = Buffer.from('ID3 unicode body');

let tmp: TempDir;
let server: http.Server;
let base: string;
const waiters = new Map<string, (result: DeliveryResult) => void>();
let seq = 0;
// Keep-alive, as browsers and podcast apps do; `close: true` requests a fresh `Connection: close` socket.
const agent = new http.Agent({ keepAlive: true });

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The message ended with every byte (res.complete and no 'aborted'/error). */
  complete: boolean;
  result: Promise<DeliveryResult>;
}

interface SendOptions {
  method?: string;
  headers?: http.OutgoingHttpHeaders;
  /** Called with the response before any body is read; may pause it. */
  onResponse?: (res: http.IncomingMessage) => void | Promise<void>;
  /** Destroys the request once this many body bytes arrived. */
  abortAfter?: number;
  /** Use a fresh connection that the client closes right after the response. */
  close?: boolean;
}

/** One request over a fresh connection; `result` resolves with the onResult of this request. */
function send(urlPath: string, opts: SendOptions = {}): Promise<Reply> {
  const id = String(++seq);
  const result = new Promise<DeliveryResult>((resolve) => waiters.set(id, resolve));
  return new Promise((resolve, reject) => {
    const req = http.request(base + urlPath, {
      method: opts.method ?? 'GET',
      headers: { ...opts.headers, 'x-test-id': id },
      agent: opts.close ? false : agent,
    });
    req.on('error', (err) => {
      if (!req.destroyed || opts.abortAfter === undefined) reject(err);
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let received = 0;
      let broken = false;
      res.on('aborted', () => {
        broken = true;
      });
      res.on('error', () => {
        broken = true;
      });
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        received += chunk.length;
        if (opts.abortAfter !== undefined && received >= opts.abortAfter) req.destroy();
      });
      res.on('close', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), complete: res.complete && !broken, result });
      });
      void opts.onResponse?.(res);
    });
    req.end();
  });
}

const url = (name: string): string => `/files/${encodeURIComponent(name)}`;

before(async () => {
  tmp = await makeTempDir();
  await writeFile(path.join(tmp.dir, 'big.bin'), BIG);
  await writeFile(path.join(tmp.dir, 'victim.bin'), BIG);
  await writeFile(path.join(tmp.dir, UNICODE_NAME), UNICODE_BODY);
  const media = localStorage({ root: tmp.dir });
  const app = express();
  app.all(
    '/files/:name',
    fileHandler({
      resolve: (req) => ({ storage: media, key: String(req.params.name) }),
      onResult: (result, req) => {
        const id = String(req.headers['x-test-id']);
        waiters.get(id)?.(result);
        waiters.delete(id);
      },
    }),
  );
  server = await new Promise<http.Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  agent.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await tmp.cleanup();
});

describe('fileHandler over localStorage (stream)', () => {
  describe('GET', () => {
    it('sends the whole file with 200 and validators', async () => {
      const r = await send(url('big.bin'));
      assert.equal(r.status, 200);
      assert.equal(r.complete, true);
      assert.equal(r.headers['content-length'], String(SIZE));
      assert.equal(r.headers['accept-ranges'], 'bytes');
      assert.match(r.headers.etag ?? '', /^"[0-9a-f]+-300000"$/);
      assert.equal(r.headers['content-type'], 'application/octet-stream');
      assert.equal(r.headers['content-disposition'], 'attachment; filename="big.bin"');
      assert.ok(r.body.equals(BIG));
      const result = await r.result;
      assert.equal(result.outcome, 'completed');
      assert.equal(result.status, 200);
      assert.equal(result.bytesSent, SIZE);
      assert.equal(result.size, SIZE);
      assert.equal(result.delivery, 'stream');
      assert.equal(result.range, null);
    });

    it('serves a Unicode name with spaces', async () => {
      const r = await send(url(UNICODE_NAME));
      assert.equal(r.status, 200);
      assert.ok(r.body.equals(UNICODE_BODY));
      assert.equal(r.headers['content-type'], 'audio/mpeg');
      assert.ok(r.headers['content-disposition']?.includes(`filename*=UTF-8''${encodeURIComponent(UNICODE_NAME)}`));
      assert.equal((await r.result).outcome, 'completed');
    });

    it('sends 206 with the exact slice for a Range', async () => {
      const r = await send(url('big.bin'), { headers: { range: 'bytes=1000-70000' } });
      assert.equal(r.status, 206);
      assert.equal(r.headers['content-range'], `bytes 1000-70000/${SIZE}`);
      assert.equal(r.headers['content-length'], '69001');
      assert.ok(r.body.equals(BIG.subarray(1000, 70001)));
      const result = await r.result;
      assert.equal(result.outcome, 'completed');
      assert.equal(result.status, 206);
      assert.equal(result.bytesSent, 69001);
      assert.deepEqual(result.range, { start: 1000, end: 70000 });
    });

    it('answers the podcast probe bytes=0-1 with two bytes', async () => {
      const r = await send(url('big.bin'), { headers: { range: 'bytes=0-1' } });
      assert.equal(r.status, 206);
      assert.ok(r.body.equals(BIG.subarray(0, 2)));
    });
  });

  describe('HEAD', () => {
    it('has the same headers as GET and an empty body', async () => {
      const get = await send(url('big.bin'), { headers: { range: 'bytes=0-99' } });
      const head = await send(url('big.bin'), { method: 'HEAD', headers: { range: 'bytes=0-99' } });
      assert.equal(head.status, 206);
      assert.equal(head.body.length, 0);
      const strip = (h: http.IncomingHttpHeaders): http.IncomingHttpHeaders => {
        const { date: _date, connection: _connection, 'keep-alive': _keepAlive, ...rest } = h;
        return rest;
      };
      assert.deepEqual(strip(head.headers), strip(get.headers));
      const result = await head.result;
      assert.equal(result.outcome, 'completed');
      assert.equal(result.bytesSent, null);
      assert.equal(result.delivery, null);
    });
  });

  describe('errors and conditionals', () => {
    it('answers 416 with Content-Range: bytes */size', async () => {
      const r = await send(url('big.bin'), { headers: { range: `bytes=${SIZE}-` } });
      assert.equal(r.status, 416);
      assert.equal(r.headers['content-range'], `bytes */${SIZE}`);
      const result = await r.result;
      assert.equal(result.outcome, 'range-not-satisfiable');
      assert.equal(result.status, 416);
    });

    it('answers 304 to a matching If-None-Match', async () => {
      const etag = (await send(url('big.bin'), { method: 'HEAD' })).headers.etag ?? '';
      const r = await send(url('big.bin'), { headers: { 'if-none-match': etag } });
      assert.equal(r.status, 304);
      assert.equal(r.body.length, 0);
      assert.equal(r.headers.etag, etag);
      assert.equal(r.headers['content-type'], undefined);
      assert.equal((await r.result).outcome, 'not-modified');
    });

    it('answers 412 to a mismatching If-Match', async () => {
      const r = await send(url('big.bin'), { headers: { 'if-match': '"nope"' } });
      assert.equal(r.status, 412);
      assert.equal((await r.result).outcome, 'precondition-failed');
    });

    it('answers 405 with Allow to POST', async () => {
      const r = await send(url('big.bin'), { method: 'POST' });
      assert.equal(r.status, 405);
      assert.equal(r.headers.allow, 'GET, HEAD');
      const result = await r.result;
      assert.equal(result.outcome, 'method-not-allowed');
      assert.equal(result.status, 405);
    });

    it('answers 404 with a short text body for an unknown file or a traversal', async () => {
      for (const name of ['nope.bin', '../big.bin']) {
        const r = await send(url(name));
        assert.equal(r.status, 404, name);
        assert.equal(r.body.toString(), 'Not Found\n');
        assert.match(r.headers['content-type'] ?? '', /^text\/plain/);
        const result = await r.result;
        assert.equal(result.outcome, 'not-found');
        assert.equal(result.status, 404);
      }
    });
  });

  describe('interrupted transfers', () => {
    it("reports 'aborted' when the client leaves after ~64 KiB", async () => {
      const r = await send(url('big.bin'), { abortAfter: 64 * 1024 });
      assert.equal(r.status, 200);
      assert.equal(r.complete, false);
      const result = await r.result;
      assert.equal(result.outcome, 'aborted');
      assert.ok(result.bytesSent !== null && result.bytesSent < SIZE, `bytesSent ${String(result.bytesSent)}`);
      assert.ok((result.bytesSent ?? 0) >= r.body.length);
    });

    it("cuts the response short and reports 'failed' when the file is truncated mid-stream", async () => {
      const r = await send(url('victim.bin'), {
        onResponse: async (res) => {
          res.pause();
          await truncate(path.join(tmp.dir, 'victim.bin'), 100_000);
          setTimeout(() => res.resume(), 50);
        },
      });
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-length'], String(SIZE));
      assert.equal(r.complete, false);
      assert.ok(r.body.length < SIZE, `received ${r.body.length}`);
      const result = await r.result;
      assert.equal(result.outcome, 'failed');
      assert.equal(result.status, 200);
      assert.ok(result.error instanceof Error);
      assert.ok(result.bytesSent !== null && result.bytesSent < SIZE);
    });

    it("reports 'completed' when a client that got every byte closes the connection at once", async () => {
      // Connection: close clients (curl, wget, HTTP/1.0 tools) hang up right after the last byte.
      const outcomes: string[] = [];
      for (let i = 0; i < 20; i++) {
        const r = await send(url('big.bin'), { close: true });
        assert.equal(r.complete, true);
        assert.equal(r.body.length, SIZE);
        const result = await r.result;
        outcomes.push(`${result.outcome}:${String(result.bytesSent)}`);
      }
      assert.deepEqual(
        outcomes,
        Array.from({ length: 20 }, () => `completed:${SIZE}`),
      );
    });

    it('still serves a normal GET afterwards', async () => {
      const r = await send(url('big.bin'));
      assert.equal(r.status, 200);
      assert.equal(r.complete, true);
      assert.ok(r.body.equals(BIG));
      assert.equal((await r.result).outcome, 'completed');
    });
  });
});
