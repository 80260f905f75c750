// files.close(): real downloads in flight while an instance drains. Every download either
// completes or is cut after the deadline and logged (`aborted`, reason `shutdown`), never ends
// without a record; requests after close() get 503; the JSON lines sink is flushed. And an nginx
// hand-off already under way survives the app process stopping.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import { createStationFiles, jsonLinesLog, localStorage, nginxConfig, type DownloadEvent } from '../../lib';
import { request, requestHash } from '../support/http';
import { freePort, startNginx } from '../support/nginx';

const BIG = 24 * 1024 * 1024; // well over loopback socket buffers: a client that stops reading holds the response open
const SMALL = 64 * 1024;
let root: string;

before(async () => {
  await mkdir(path.resolve('.test-tmp'), { recursive: true });
  root = await mkdtemp(path.resolve('.test-tmp', 'drain-'));
  await writeFile(path.join(root, 'big.mp3'), Buffer.alloc(BIG, 7));
  await writeFile(path.join(root, 'small.mp3'), Buffer.alloc(SMALL, 3));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** One instance with a JSON lines log and an in-memory copy of its events. */
async function instance(name: string) {
  const events: DownloadEvent[] = [];
  const logPath = path.join(root, `${name}.jsonl`);
  const files = createStationFiles({
    authorize: () => false,
    storages: { disk: localStorage({ root }) },
    catalog: { episode: ({ episode }) => ({ station: 'alpha', storage: 'disk', key: `${episode}.mp3`, filename: `${episode}.mp3`, public: true }) },
    onDownload: [jsonLinesLog(logPath), (e) => void events.push(e)],
  });
  const app = express();
  app.use(files.podcasts());
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = (episode: string): string =>
    `http://127.0.0.1:${(server.address() as AddressInfo).port}/station/alpha/public/podcast/1/episode/${episode}/download.mp3`;
  const logged = async (): Promise<DownloadEvent[]> =>
    (await readFile(logPath, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as DownloadEvent);
  return { files, server, url, events, logged };
}

/** A download whose client reads nothing until told to: the response stays in flight. */
async function heldDownload(url: string) {
  const req = http.get(url);
  const [res] = (await once(req, 'response')) as [http.IncomingMessage];
  let bytes = 0;
  const ended = new Promise<{ bytes: number; complete: boolean }>((resolve) => {
    res.on('data', (c: Buffer) => {
      bytes += c.length;
    });
    res.on('error', () => {});
    req.on('error', () => {});
    res.once('close', () => resolve({ bytes, complete: res.complete }));
  });
  res.pause();
  return { id: String(res.headers['x-request-id']), status: res.statusCode, read: () => res.resume(), ended };
}

describe('files.close({ deadlineMs })', () => {
  test('downloads in flight that finish before the deadline complete; later requests get 503; close() resolves once they are logged', async () => {
    const app = await instance('finish');
    const quick = await requestHash(app.url('small'));
    const held = await heldDownload(app.url('big'));
    const closing = app.files.close({ deadlineMs: 600_000 });
    const refused = await request(app.url('small'));
    assert.equal(refused.status, 503);
    assert.equal(refused.headers['retry-after'], '5');
    assert.equal(refused.body.toString(), 'Shutting down, retry\n');
    held.read();
    const got = await held.ended;
    await closing;
    assert.deepEqual(got, { bytes: BIG, complete: true });
    const byId = new Map(app.events.map((e) => [e.id, e]));
    assert.equal(byId.get(String(quick.headers['x-request-id']))?.outcome, 'completed');
    assert.equal(byId.get(held.id)?.outcome, 'completed');
    assert.equal(byId.get(held.id)?.bytesSent, BIG);
    assert.equal(byId.get(String(refused.headers['x-request-id']))?.status, 503);
    assert.deepEqual(
      (await app.logged()).map((e) => e.id).sort(),
      app.events.map((e) => e.id).sort(),
      'the JSON lines sink was flushed: every event is in the file',
    );
    assert.equal(app.events.length, 3);
    await new Promise((resolve) => app.server.close(resolve));
  });

  test("the host's pattern: server.close(), then files.close(); a download still running at the deadline is cut and logged `shutdown`", async () => {
    const app = await instance('cut');
    const held = await Promise.all([heldDownload(app.url('big')), heldDownload(app.url('big'))]);
    const serverClosed = new Promise((resolve) => app.server.close(resolve));
    await app.files.close({ deadlineMs: 200 });
    await serverClosed; // every connection is gone: nothing was left hanging
    for (const h of held) {
      h.read();
      const got = await h.ended;
      assert.equal(got.complete, false, 'the client sees an incomplete response');
      assert.ok(got.bytes < BIG);
      const event = app.events.find((e) => e.id === h.id);
      assert.equal(event?.outcome, 'aborted');
      assert.equal(event?.reason, 'shutdown');
      assert.ok((event?.bytesSent ?? BIG) < BIG);
    }
    assert.deepEqual(
      (await app.logged()).map((e) => e.reason),
      ['shutdown', 'shutdown'],
    );
  });

  test('close() is idempotent and resolves at once with nothing in flight', async () => {
    const app = await instance('idle');
    const first = app.files.close();
    assert.equal(app.files.close({ deadlineMs: 1 }), first);
    await first;
    await new Promise((resolve) => app.server.close(resolve));
  });
});

describe('an nginx hand-off outlives the app process', () => {
  test('a slow X-Accel-Limit-Rate download keeps going after the app stopped, and the client gets every byte', async () => {
    const SIZE = 600 * 1024;
    const body = Buffer.from(Array.from({ length: SIZE }, (_, i) => (i * 31) % 251));
    await writeFile(path.join(root, 'slow.mp3'), body);
    const appPort = await freePort();
    const logPath = path.join(root, 'accel.jsonl');
    const child = spawn(process.execPath, ['--import', 'tsx', path.resolve(__dirname, '../support/drain-app.ts')], {
      env: { ...process.env, PORT: String(appPort), ROOT: root, LOG: logPath, LIMIT_RATE: String(150 * 1024), DEADLINE_MS: '5000' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await once(child.stdout, 'data');
    const port = await freePort();
    const storages = { disk: localStorage({ root, accelPrefix: '/_station_files/disk' }) };
    const nginx = await startNginx({ listenPort: port, config: await nginxConfig({ listen: `127.0.0.1:${port}`, app: `127.0.0.1:${appPort}`, storages }) });
    try {
      const req = http.get(`${nginx.url}/station/alpha/public/podcast/1/episode/slow/download.mp3`);
      const [res] = (await once(req, 'response')) as [http.IncomingMessage];
      assert.equal(res.statusCode, 200);
      const hash = createHash('sha256');
      let bytes = 0;
      let bytesAtExit = -1;
      res.on('data', (c: Buffer) => {
        hash.update(c);
        bytes += c.length;
      });
      const done = once(res, 'end');
      await once(res, 'data');
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      bytesAtExit = bytes;
      await done;
      assert.equal(code, 0, 'the app drained and exited cleanly');
      assert.ok(bytesAtExit < SIZE, `the app was gone before the download ended (${bytesAtExit} of ${SIZE} bytes)`);
      assert.equal(bytes, SIZE);
      assert.equal(hash.digest('hex'), createHash('sha256').update(body).digest('hex'));
      const [event] = (await readFile(logPath, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as DownloadEvent);
      assert.equal(event?.delivery, 'accel');
      assert.equal(event?.outcome, 'completed');
    } finally {
      child.kill('SIGKILL');
      await nginx.stop();
    }
  });
});
