// Local-disk faults while a file streams: deleted (the open descriptor keeps reading), truncated
// (the client must see a cut, never a clean short body), replaced by rename between stat and open
// (one version only, or a clean 503).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, stat, truncate, unlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileEtag } from '../../lib/entry/http';
import { localStorage, type ObjectMeta, type Storage } from '../../lib';
import { startFileApp, type FileApp } from '../support/file-app';
import { request } from '../support/http';
import { deterministicRange, sha256OfRange, writeDeterministicFile } from '../support/s3';
import { pacedGet, until, type Pace } from './support/fault-clients';
import { figure } from './support/fault-figures';

const MiB = 1024 * 1024;
const SIZE = 64 * MiB;
let root: string;
let app: FileApp;
let onStat: (call: number) => Promise<void> = async () => undefined;
let statCalls = 0;

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'sf-fault-local-'));
  // fileCacheMs 0: these are the races of a file opened per request. With the file cache, stat and
  // open of one request share a descriptor, so a replacement between them cannot be seen at all
  // (test/unit/local-file-cache.test.ts has what a cached file shows instead).
  const local = localStorage({ root, fileCacheMs: 0 });
  // The same storage, but stat() waits for the test after reading the metadata (the test
  // replaces the file then), so the replacement lands exactly between stat and open.
  const paused: Storage = {
    kind: 'local',
    delivery: 'stream',
    stat: async (key, signal): Promise<ObjectMeta | null> => {
      const meta = await local.stat(key, signal);
      await onStat(statCalls++);
      return meta;
    },
    open: (key, o) => local.open(key, o),
  };
  app = await startFileApp({ local, paused });
});
after(async () => {
  await app.close();
  await rm(root, { recursive: true, force: true });
});

/** Starts a slow download; once `atBytes` arrived, runs `fault`, then reads the rest at full speed. */
async function faultMidway(url: string, atBytes: number, fault: () => Promise<void>) {
  const pace: Pace = { delayMs: 10 };
  let got = 0;
  const download = pacedGet(url, { pace, onProgress: (b) => void (got = b), timeoutMs: 20_000 });
  await until(() => got >= atBytes, 30_000, `${atBytes} bytes to arrive`);
  await fault();
  pace.delayMs = 0;
  return download;
}

describe('a file changed on disk while it streams', () => {
  test('deleted mid-way: the open descriptor keeps reading, the download completes byte-exact', async (t) => {
    await writeDeterministicFile(path.join(root, 'deleted.bin'), 'deleted', SIZE);
    const r = await faultMidway(`${app.url}/local/deleted.bin`, 4 * MiB, () => unlink(path.join(root, 'deleted.bin')));
    const result = await app.resultFor('/local/deleted.bin');
    figure(t, 'fault-local', 'deleted while streaming: bytes delivered after unlink', r.bytes - 4 * MiB, 'bytes');
    assert.equal(r.status, 200);
    assert.equal(r.complete, true);
    assert.equal(r.bytes, SIZE);
    assert.equal(r.sha256, await sha256OfRange('deleted', SIZE, 0, SIZE - 1));
    assert.equal(result.outcome, 'completed');
    assert.equal((await request(`${app.url}/local/deleted.bin`)).status, 404, 'gone for the next request');
  });

  test('truncated mid-way: the client sees an incomplete response, the download is failed, the process serves on', async (t) => {
    const file = path.join(root, 'truncated.bin');
    await writeDeterministicFile(file, 'truncated', SIZE);
    const keep = SIZE / 2;
    const r = await faultMidway(`${app.url}/local/truncated.bin?cut`, MiB, () => truncate(file, keep));
    const result = await app.resultFor('/local/truncated.bin?cut');
    figure(t, 'fault-local', 'truncated while streaming: bytes the client got (file cut to half)', r.bytes, 'bytes');
    t.diagnostic(`result: ${result.outcome} ${result.status}, bytesSent ${result.bytesSent}, error ${result.error?.message}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-length'], String(SIZE));
    assert.equal(r.complete, false, 'a short body must never end cleanly');
    assert.ok(r.bytes < SIZE);
    assert.equal(r.sha256, await sha256OfRange('truncated', SIZE, 0, r.bytes - 1), 'what arrived is a prefix of the file');
    assert.equal(result.outcome, 'failed');
    assert.ok((result.bytesSent ?? 0) >= MiB && (result.bytesSent ?? 0) < SIZE);

    // Still healthy: other files, and the truncated one as it is now.
    await writeDeterministicFile(path.join(root, 'other.bin'), 'other', MiB);
    const other = await request(`${app.url}/local/other.bin`);
    assert.equal(other.complete, true);
    assert.deepEqual(other.body, deterministicRange('other', MiB, 0, MiB - 1));
    const now = await pacedGet(`${app.url}/local/truncated.bin?after`);
    assert.equal(now.complete, true);
    assert.equal(now.bytes, keep);
    assert.equal(now.sha256, await sha256OfRange('truncated', SIZE, 0, keep - 1));
  });
});

describe('a file replaced (rename over) between stat and open', () => {
  const V1 = 3 * MiB + 1;
  const V2 = 2 * MiB + 7;
  const V3 = MiB + 3;
  const write = async (name: string, seed: string, size: number, mtime?: Date): Promise<void> => {
    const temp = path.join(root, `.${name}.${seed}.part`);
    await writeFile(temp, deterministicRange(seed, size, 0, size - 1));
    if (mtime) await utimes(temp, mtime, mtime);
    await rename(temp, path.join(root, name));
  };
  const isVersion = (body: Buffer | undefined, seed: string, size: number): boolean =>
    body !== undefined && body.length === size && body.equals(deterministicRange(seed, size, 0, size - 1));

  test('replaced once: re-planned on the new version, one version only', async () => {
    await write('once.bin', 'v1', V1);
    statCalls = 0;
    onStat = async (call) => {
      if (call === 0) await write('once.bin', 'v2', V2);
    };
    const r = await pacedGet(`${app.url}/paused/once.bin`, { keep: true });
    onStat = async () => undefined;
    assert.ok(r.status === 503 || isVersion(r.body, 'v1', V1) || isVersion(r.body, 'v2', V2), 'a 503 or one whole version');
    assert.equal(r.status, 200);
    assert.equal(r.complete, true);
    assert.ok(isVersion(r.body, 'v2', V2), 'the new version, planned with its own size');
    assert.equal(r.headers.etag, fileEtag(await stat(path.join(root, 'once.bin'))));
  });

  test('replaced twice: a clean 503 with Retry-After, no file bytes', async () => {
    await write('twice.bin', 'v1', V1);
    statCalls = 0;
    onStat = async (call) => {
      if (call === 0) await write('twice.bin', 'v2', V2);
      if (call === 1) await write('twice.bin', 'v3', V3);
    };
    const r = await pacedGet(`${app.url}/paused/twice.bin`, { keep: true });
    onStat = async () => undefined;
    assert.equal(r.status, 503);
    assert.equal(r.headers['retry-after'], '1');
    assert.equal(r.body?.toString(), 'File changed during the request, retry\n');
    assert.equal((await app.resultFor('/paused/twice.bin')).outcome, 'failed');
  });

  test('replaced by one of the same size within the same second: still one version only (the ETag cannot tell them apart)', async (t) => {
    const second = new Date(Math.floor(Date.now() / 1000) * 1000);
    await write('same.bin', 'v1', V1, second);
    const before = fileEtag(await stat(path.join(root, 'same.bin')));
    statCalls = 0;
    onStat = async (call) => {
      if (call === 0) await write('same.bin', 'v2-same-size', V1, second);
    };
    const r = await pacedGet(`${app.url}/paused/same.bin`, { keep: true });
    onStat = async () => undefined;
    const after = fileEtag(await stat(path.join(root, 'same.bin')));
    t.diagnostic(`ETag before ${before}, after ${after}: ${before === after ? 'unchanged (mtime seconds + size)' : 'changed'}`);
    assert.equal(r.complete, true);
    assert.ok(isVersion(r.body, 'v2-same-size', V1) || isVersion(r.body, 'v1', V1), 'one whole version');
  });
});
