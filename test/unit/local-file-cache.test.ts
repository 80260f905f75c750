// The open-file cache of localStorage (OpenFiles) and the positioned-read stream over its leases:
// descriptors shared and closed on time, leases outliving expiry, the file-count bound, and what a
// client sees of a file deleted, replaced or truncated while its descriptor is cached.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { mkdir, rename, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OpenFiles } from '../../lib/storage/local-file-cache';
import { rangeStream } from '../../lib/storage/local-range-stream';
import { localStorage } from '../../lib/storage/local';
import { makeTempDir, readAll, type TempDir } from '../support/fixtures-local';

let tmp: TempDir;
const file = (name: string): string => path.join(tmp.dir, name);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** This process's descriptors open on `target`, from /proc: what is really held, not what is counted. */
const fdsOn = (target: string): number =>
  readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === realpathSync(target);
    } catch {
      return false; // closed while listed (the listing's own descriptor)
    }
  }).length;

before(async () => {
  tmp = await makeTempDir();
  for (const name of ['a', 'b', 'c', 'd']) await writeFile(file(`${name}.bin`), name.repeat(1000));
});
after(async () => {
  await tmp.cleanup();
});

describe('OpenFiles', () => {
  it('shares one descriptor among the leases of a file, and closes it once expired and released', async () => {
    const files = new OpenFiles(150, 8);
    const [one, two] = await Promise.all([files.lease(file('a.bin')), files.lease(file('a.bin'))]);
    assert.ok(one && two);
    assert.equal(one.file.fd, two.file.fd, 'asked at once: opened once');
    const three = await files.lease(file('a.bin'));
    assert.equal(three?.file.fd, one.file.fd, 'asked again within the time');
    assert.equal(files.descriptors, 1);
    assert.equal(fdsOn(file('a.bin')), 1);
    for (const l of [one, two, three]) l?.release();
    assert.equal(files.descriptors, 1, 'kept after its leases are released');
    await sleep(300);
    assert.equal(files.descriptors, 0, 'closed by the sweep once expired');
    assert.equal(fdsOn(file('a.bin')), 0);
  });

  it('keeps a descriptor leased past its time open until its lease is released, and opens afresh for new leases', async () => {
    const files = new OpenFiles(50, 8);
    const held = await files.lease(file('b.bin'));
    assert.ok(held);
    await sleep(150);
    assert.equal(files.descriptors, 1, 'expired but leased: still open');
    const fresh = await files.lease(file('b.bin'));
    assert.ok(fresh);
    assert.equal(files.descriptors, 2, 'a new lease gets a new descriptor');
    held.release();
    held.release(); // a second release is a no-op
    assert.equal(files.descriptors, 1);
    fresh.release();
    await sleep(150);
    assert.equal(files.descriptors, 0);
  });

  it('keeps at most `max` files open (the oldest goes first), however many are asked for', async () => {
    const files = new OpenFiles(60_000, 2);
    for (const name of ['a', 'b', 'c', 'd']) (await files.lease(file(`${name}.bin`)))?.release();
    assert.equal(files.descriptors, 2);
    const d = await files.lease(file('d.bin'));
    const a = await files.lease(file('a.bin'));
    assert.ok(d && a);
    assert.equal(files.descriptors, 2, 'a was reopened and c closed for it');
    d.release();
    a.release();
  });

  it('with ms = 0 opens per lease and closes at release', async () => {
    const files = new OpenFiles(0, 8);
    const one = await files.lease(file('a.bin'));
    assert.ok(one);
    assert.equal(files.descriptors, 1);
    one.release();
    assert.equal(files.descriptors, 0);
  });

  it('gives null for a missing file, a directory, a symlink and a FIFO (without waiting for a writer)', async () => {
    const files = new OpenFiles(1000, 8);
    await symlink(file('a.bin'), file('link.bin'));
    execFileSync('mkfifo', [file('pipe.bin')]);
    for (const name of ['missing.bin', '', 'link.bin', 'pipe.bin']) assert.equal(await files.lease(file(name)), null, name || 'directory');
    assert.equal(files.descriptors, 0);
  });
});

describe('OpenFiles when the process cannot open files', () => {
  it('rejects `unavailable` (a 502 to retry), never "not found", once the descriptors are used up', () => {
    // A child with a soft limit of 64 descriptors fills them, then asks for a file that exists
    // (b.bin: a.bin's descriptor is in the cache from the first stat).
    const script = `
      const fs = require('node:fs');
      const { localStorage } = require(${JSON.stringify(path.resolve(__dirname, '../../lib/storage/local'))});
      const root = ${JSON.stringify(tmp.dir)};
      const storage = localStorage({ root });
      const held = [];
      // One stat first, so every module (and tsx's transformer) is loaded before the limit is hit.
      storage.stat('a.bin').then(() => {
        try { for (;;) held.push(fs.openSync(root + '/a.bin', 'r')); } catch (err) { if (err.code !== 'EMFILE') throw err; }
        return storage.stat('b.bin');
      }).then(
        (meta) => console.log(JSON.stringify({ meta })),
        (err) => console.log(JSON.stringify({ name: err.name, code: err.code, message: err.message })),
      );`;
    const node = [process.execPath, '--require', require.resolve('tsx/cjs'), '-e', script];
    const out = JSON.parse(execFileSync('bash', ['-c', 'ulimit -n 64 && exec "$@"', 'bash', ...node], { encoding: 'utf8' }).trim());
    assert.deepEqual(out, { name: 'StorageError', code: 'unavailable', message: 'cannot open a local file: EMFILE' });
  });
});

describe('rangeStream over a lease', () => {
  it('reads exactly the range, and releases the lease at the end', async () => {
    const body = Buffer.alloc(700 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) % 251;
    await writeFile(file('big.bin'), body);
    const files = new OpenFiles(0, 8);
    for (const [start, end] of [
      [0, 0],
      [5, 300 * 1024],
      [100, body.length - 1],
    ] as const) {
      const lease = await files.lease(file('big.bin'));
      assert.ok(lease);
      const got = await readAll(rangeStream(lease, { start, end }));
      assert.ok(got.equals(body.subarray(start, end + 1)), `${start}-${end}`);
      assert.equal(files.descriptors, 0, 'released');
    }
  });

  it('releases when destroyed mid-read, only after the read in flight has finished', async () => {
    const files = new OpenFiles(0, 8);
    const lease = await files.lease(file('big.bin'));
    assert.ok(lease);
    const stream = rangeStream(lease, undefined);
    stream.read(0); // starts the first read now
    stream.destroy();
    assert.equal(files.descriptors, 1, 'a read is in flight: the descriptor stays open');
    await once(stream, 'close');
    assert.equal(files.descriptors, 0);
  });

  it('fails, never ends short, when the file was truncated since it was opened', async () => {
    await writeFile(file('shrinks.bin'), Buffer.alloc(600 * 1024, 1));
    const files = new OpenFiles(60_000, 8);
    (await files.lease(file('shrinks.bin')))?.release();
    await truncate(file('shrinks.bin'), 1000);
    const lease = await files.lease(file('shrinks.bin'));
    assert.equal(lease?.file.stats.size, 600 * 1024, 'the cached size');
    assert.ok(lease);
    await assert.rejects(readAll(rangeStream(lease, undefined)), /truncated while read/);
    assert.equal(files.descriptors, 1, 'released: only the cached descriptor is left');
  });
});

describe('localStorage fileCacheMs: what requests see of a changed file', () => {
  it('a deleted file is served, whole, until the cache time has passed, then not found', async () => {
    await writeFile(file('gone.bin'), 'GONE');
    const storage = localStorage({ root: tmp.dir, fileCacheMs: 1000 });
    assert.equal((await storage.stat('gone.bin'))?.size, 4);
    await rm(file('gone.bin'));
    assert.equal((await readAll(await storage.open('gone.bin', {}))).toString(), 'GONE');
    await sleep(1100);
    assert.equal(await storage.stat('gone.bin'), null);
  });

  it('a replaced file: the old version with its own ETag within the time, the new one after', async () => {
    await writeFile(file('swap.bin'), 'OLD');
    const storage = localStorage({ root: tmp.dir, fileCacheMs: 1000 });
    const old = await storage.stat('swap.bin');
    await writeFile(file('.swap.part'), 'NEW!');
    await rename(file('.swap.part'), file('swap.bin'));
    const within = await storage.read?.('swap.bin', {});
    assert.equal(within?.meta.etag, old?.etag);
    assert.equal(within?.body && (await readAll(within.body)).toString(), 'OLD');
    await sleep(1100);
    const later = await storage.read?.('swap.bin', {});
    assert.equal(later?.meta.size, 4);
    assert.equal(later?.body && (await readAll(later.body)).toString(), 'NEW!');
  });

  it('a cached file replaced by a symlink out of the root: old bytes or nothing, never the outside file', async () => {
    const dir = await makeTempDir();
    try {
      const inside = path.join(dir.dir, 'root');
      await writeFile(path.join(dir.dir, 'secret.txt'), 'SECRET');
      await mkdir(inside);
      await writeFile(path.join(inside, 'show.mp3'), 'SHOW');
      const storage = localStorage({ root: inside, fileCacheMs: 1000, pathCacheMs: 60_000 });
      assert.equal((await storage.stat('show.mp3'))?.size, 4);
      await rm(path.join(inside, 'show.mp3'));
      await symlink(path.join(dir.dir, 'secret.txt'), path.join(inside, 'show.mp3'));
      assert.equal((await readAll(await storage.open('show.mp3', {}))).toString(), 'SHOW', 'within the time: the file that was there');
      await sleep(1100);
      assert.equal(await storage.stat('show.mp3'), null, 'after it: refused');
    } finally {
      await dir.cleanup();
    }
  });

  it('is validated: fileCacheMs a whole number of milliseconds up to a minute, fileCacheFiles 1 to 10,000', () => {
    for (const bad of [-1, 60_001, 1.5]) assert.throws(() => localStorage({ root: '/srv', fileCacheMs: bad }), /^TypeError: localStorage: fileCacheMs /);
    for (const bad of [0, 10_001]) assert.throws(() => localStorage({ root: '/srv', fileCacheFiles: bad }), /^TypeError: localStorage: fileCacheFiles /);
  });
});
