import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isStorageError, type StorageErrorCode } from '../../lib/storage/errors';
import { fileEtag, localStorage, type LocalStorageOptions } from '../../lib/storage/local';
import { LOCAL_FULL_SUFFIX, localAccelTarget } from '../../lib/storage/local-accel';
import { makeTempDir, readAll, type TempDir } from '../support/fixtures-local';

const MTIME = new Date('2026-03-14T09:26:53Z'); // 0x69b529dd seconds
const BODY = randomBytes(300_000);
let tmp: TempDir;
let root: string;

function storageCode(code: StorageErrorCode): (err: unknown) => boolean {
  return (err) => isStorageError(err) && err.code === code;
}

before(async () => {
  tmp = await makeTempDir();
  root = path.join(tmp.dir, 'root');
  await mkdir(path.join(root, 'shows', 'sub'), { recursive: true });
  await writeFile(path.join(root, 'shows', 'morning.mp3'), BODY);
  await utimes(path.join(root, 'shows', 'morning.mp3'), MTIME, MTIME);
  await writeFile(path.join(root, 'my show Émission 100%.mp3'), 'abc');
  await writeFile(path.join(tmp.dir, 'outside.txt'), 'secret');
  await mkdir(path.join(tmp.dir, 'outside-dir'));
  await writeFile(path.join(tmp.dir, 'outside-dir', 'x.txt'), 'secret');
  await symlink(path.join(tmp.dir, 'outside.txt'), path.join(root, 'escape.txt'));
  await symlink(path.join(tmp.dir, 'outside-dir'), path.join(root, 'escape-dir'));
  await symlink(path.join(root, 'shows', 'morning.mp3'), path.join(root, 'alias.mp3'));
  await symlink('../morning.mp3', path.join(root, 'shows', 'sub', 'relative.mp3'));
  await symlink(root, path.join(tmp.dir, 'root-link'));
});

after(async () => {
  await tmp.cleanup();
});

describe('localStorage', () => {
  describe('stat', () => {
    it('gives size, mtime and the nginx-style etag', async () => {
      const meta = await localStorage({ root }).stat('shows/morning.mp3');
      assert.ok(meta);
      assert.equal(meta.size, BODY.length);
      assert.equal(meta.mtime.getTime(), MTIME.getTime());
      assert.equal(meta.etag, `"69b529dd-${BODY.length.toString(16)}"`);
      assert.equal(meta.etag, '"69b529dd-493e0"');
    });

    it('returns null for a missing file', async () => {
      assert.equal(await localStorage({ root }).stat('shows/nope.mp3'), null);
    });

    it('returns null for traversal and invalid keys, even when the target exists', async () => {
      const media = localStorage({ root });
      for (const key of ['../outside.txt', 'shows/../../outside.txt', path.join(tmp.dir, 'outside.txt'), 'a\u0000b', '..\\outside.txt', '']) {
        assert.equal(await media.stat(key), null, JSON.stringify(key));
      }
    });

    it('returns null for a symlink that leaves the root', async () => {
      const media = localStorage({ root });
      assert.equal(await media.stat('escape.txt'), null);
      assert.equal(await media.stat('escape-dir/x.txt'), null);
    });

    it('returns null for a directory', async () => {
      const media = localStorage({ root });
      assert.equal(await media.stat('shows'), null);
      assert.equal(await media.stat('shows/sub'), null);
    });

    it('follows a symlink to a file inside the root', async () => {
      const media = localStorage({ root });
      const direct = await media.stat('shows/morning.mp3');
      assert.deepEqual(await media.stat('alias.mp3'), direct);
      assert.deepEqual(await media.stat('shows/sub/relative.mp3'), direct);
    });

    it('works when the root itself is given through a symlink', async () => {
      const meta = await localStorage({ root: path.join(tmp.dir, 'root-link') }).stat('shows/morning.mp3');
      assert.equal(meta?.size, BODY.length);
    });

    it('rejects as unavailable while the root is missing, then recovers once it exists', async () => {
      const later = path.join(tmp.dir, 'later');
      const media = localStorage({ root: later });
      await assert.rejects(media.stat('a.txt'), storageCode('unavailable'));
      await mkdir(later);
      await writeFile(path.join(later, 'a.txt'), 'hello');
      assert.equal((await media.stat('a.txt'))?.size, 5);
      await rm(later, { recursive: true });
    });
  });

  describe('open', () => {
    it('reads the whole file', async () => {
      const body = await readAll(await localStorage({ root }).open('shows/morning.mp3', {}));
      assert.ok(body.equals(BODY));
    });

    it('reads exactly the inclusive range', async () => {
      const media = localStorage({ root });
      const cases: Array<[number, number]> = [
        [0, 0],
        [0, 1],
        [1000, 263_000],
        [BODY.length - 1, BODY.length - 1],
      ];
      for (const [start, end] of cases) {
        const body = await readAll(await media.open('shows/morning.mp3', { range: { start, end } }));
        assert.equal(body.length, end - start + 1, `${start}-${end}`);
        assert.ok(body.equals(BODY.subarray(start, end + 1)), `${start}-${end}`);
      }
    });

    it('reads through an inside symlink', async () => {
      const body = await readAll(await localStorage({ root }).open('alias.mp3', { range: { start: 10, end: 19 } }));
      assert.ok(body.equals(BODY.subarray(10, 20)));
    });

    it('reads when ifMatch is the current etag', async () => {
      const media = localStorage({ root });
      const meta = await media.stat('shows/morning.mp3');
      assert.ok(meta);
      const body = await readAll(await media.open('shows/morning.mp3', { ifMatch: meta.etag, range: { start: 0, end: 9 } }));
      assert.ok(body.equals(BODY.subarray(0, 10)));
    });

    it("rejects with StorageError 'changed' on a different ifMatch", async () => {
      const media = localStorage({ root });
      await assert.rejects(media.open('shows/morning.mp3', { ifMatch: '"69b529dd-1"' }), storageCode('changed'));
      await assert.rejects(media.open('shows/morning.mp3', { ifMatch: 'W/"69b529dd-493e0"' }), storageCode('changed'));
    });

    it("rejects with 'not-found' for missing, escaping, invalid and directory keys", async () => {
      const media = localStorage({ root });
      for (const key of ['nope.mp3', 'escape.txt', '../outside.txt', 'shows']) {
        await assert.rejects(media.open(key, {}), storageCode('not-found'), key);
      }
    });

    it('destroys the stream when the signal aborts', async () => {
      const controller = new AbortController();
      const stream = await localStorage({ root }).open('shows/morning.mp3', { signal: controller.signal });
      const closed = once(stream, 'close');
      controller.abort();
      await closed;
      assert.equal(stream.destroyed, true);
      assert.equal(stream.readableEnded, false);
    });

    it('returns an already destroyed stream for an already aborted signal', async () => {
      const controller = new AbortController();
      controller.abort();
      const stream = await localStorage({ root }).open('shows/morning.mp3', { signal: controller.signal });
      assert.equal(stream.destroyed, true);
    });
  });

  describe('read (stream delivery: metadata and body from one open)', () => {
    const storage = (): ReturnType<typeof localStorage> => localStorage({ root });

    it('returns the metadata stat() gives and the whole body', async () => {
      const r = await storage().read?.('shows/morning.mp3', {});
      assert.ok(r?.body);
      assert.deepEqual(r.meta, await storage().stat('shows/morning.mp3'));
      assert.equal(r.range, null);
      assert.deepEqual(await readAll(r.body), BODY);
    });

    it('reads one range, clipping its end to the file', async () => {
      const r = await storage().read?.('shows/morning.mp3', { range: { start: 299_990, end: 400_000 } });
      assert.deepEqual(r?.range, { start: 299_990, end: 299_999 });
      assert.ok(r?.body);
      assert.deepEqual(await readAll(r.body), BODY.subarray(299_990));
      const open = await storage().read?.('shows/morning.mp3', { range: { start: 5 } });
      assert.deepEqual(open?.range, { start: 5, end: 299_999 });
      open?.body?.destroy();
    });

    it('gives metadata without a body for a range starting past the end', async () => {
      const r = await storage().read?.('shows/morning.mp3', { range: { start: 300_000 } });
      assert.equal(r?.meta.size, 300_000);
      assert.equal(r?.body, null);
    });

    it('returns null for missing keys, traversal and symlinks leaving the root', async () => {
      for (const key of ['nope.mp3', '../outside.txt', 'escape.txt', 'escape-dir/x.txt', 'shows']) {
        assert.equal(await storage().read?.(key, {}), null, key);
      }
    });
  });

  describe('options', () => {
    const invalid: Array<[string, LocalStorageOptions]> = [
      ['empty root', { root: '' }],
      ['relative accelPrefix', { root: '/srv', accelPrefix: 'internal/media' }],
      ['accelPrefix with ?', { root: '/srv', accelPrefix: '/internal?x=1' }],
      ['accelPrefix with #', { root: '/srv', accelPrefix: '/internal#x' }],
      ['accelPrefix with %', { root: '/srv', accelPrefix: '/internal%20media' }],
      ['accelPrefix with a space', { root: '/srv', accelPrefix: '/internal media' }],
      ["delivery 'redirect'", { root: '/srv', delivery: 'redirect' }],
      ["delivery 'accel' without accelPrefix", { root: '/srv', delivery: 'accel' }],
    ];
    for (const [label, options] of invalid) {
      it(`throws TypeError for ${label}`, () => {
        assert.throws(() => localStorage(options), TypeError);
      });
    }

    it('names the option in its message and refuses unknown keys', () => {
      assert.throws(() => localStorage({ root: '/srv', accelPrefix: 'x' }), {
        name: 'TypeError',
        message: 'localStorage: accelPrefix must be an nginx location path starting with "/", without ?, #, % or spaces',
      });
      assert.throws(() => localStorage({ root: '' }), { name: 'TypeError', message: 'localStorage: root must be a non-empty directory path' });
      assert.throws(() => localStorage({ root: '/srv', accel: '/x' } as never), /^TypeError: localStorage: unknown option accel /);
      assert.equal(localStorage({ root: '/srv', accelPrefix: '/internal/media//' }).accelPrefix, '/internal/media');
    });

    it('picks the delivery mode', () => {
      assert.equal(localStorage({ root }).delivery, 'stream');
      assert.equal(localStorage({ root, accelPrefix: '/internal/media' }).delivery, 'accel');
      assert.equal(localStorage({ root, accelPrefix: '/internal/media', delivery: 'stream' }).delivery, 'stream');
      assert.equal(localStorage({ root }).accel, undefined);
    });

    it('resolves the root to an absolute path', () => {
      assert.equal(localStorage({ root: 'relative/dir' }).root, path.resolve('relative/dir'));
    });
  });

  describe('accel', () => {
    // A planned 206 goes to accelPrefix; a whole-file plan to its `.full` twin (ranges off in nginx).
    const request = { meta: { size: 3, mtime: MTIME, etag: '"x"' }, range: { start: 0, end: 1 } };

    it('sends whole-file plans to the twin location where nginx ignores Range', async () => {
      const media = localStorage({ root, accelPrefix: '/internal/media' });
      assert.equal((await media.accel?.('shows/morning.mp3', { meta: request.meta }))?.uri, '/internal/media.full/shows/morning.mp3');
    });

    it('returns the prefix plus the percent-encoded path', async () => {
      const media = localStorage({ root, accelPrefix: '/internal/media' });
      assert.ok(media.accel);
      assert.deepEqual(await media.accel('shows/morning.mp3', request), { uri: '/internal/media/shows/morning.mp3' });
      assert.deepEqual(await media.accel('my show Émission 100%.mp3', request), {
        uri: '/internal/media/my%20show%20%C3%89mission%20100%25.mp3',
      });
    });

    it('drops trailing slashes of the prefix', async () => {
      const media = localStorage({ root, accelPrefix: '/internal/media//' });
      assert.equal((await media.accel?.('shows/morning.mp3', request))?.uri, '/internal/media/shows/morning.mp3');
    });

    it('points at the real file for an inside symlink', async () => {
      const media = localStorage({ root, accelPrefix: '/internal/media' });
      assert.equal((await media.accel?.('alias.mp3', request))?.uri, '/internal/media/shows/morning.mp3');
    });

    it("rejects with 'not-found' for a symlink leaving the root or a traversal", async () => {
      const media = localStorage({ root, accelPrefix: '/internal/media' });
      assert.ok(media.accel);
      await assert.rejects(media.accel('escape.txt', request), storageCode('not-found'));
      await assert.rejects(media.accel('../outside.txt', request), storageCode('not-found'));
    });
  });
});

describe('fileEtag', () => {
  it('is "<mtime seconds hex>-<size hex>", ignoring milliseconds', () => {
    assert.equal(fileEtag({ mtimeMs: 1773480413999, size: 255 }), '"69b529dd-ff"');
    assert.equal(fileEtag({ mtimeMs: 0, size: 0 }), '"0-0"');
  });
});

/** A temp dir with a.mp3 ('AAAA'), b.mp3 (`b`) and current.mp3 → a.mp3; `repoint()` points current.mp3 at b.mp3. */
async function withCurrentLink(b: string, run: (dir: string, repoint: () => Promise<void>) => Promise<void>): Promise<void> {
  const dir = await makeTempDir();
  const current = path.join(dir.dir, 'current.mp3');
  try {
    await writeFile(path.join(dir.dir, 'a.mp3'), 'AAAA');
    await writeFile(path.join(dir.dir, 'b.mp3'), b);
    await symlink('a.mp3', current);
    await run(dir.dir, async () => {
      await rm(current);
      await symlink('b.mp3', current);
    });
  } finally {
    await dir.cleanup();
  }
}

describe('open() with the metadata stat() returned', () => {
  it('reads the file stat() found, even if the key was repointed since (one response, one file)', async () => {
    await withCurrentLink('BBBB', async (root, repoint) => {
      const storage = localStorage({ root, accelPrefix: '/_m', pathCacheMs: 0 });
      const meta = await storage.stat('current.mp3');
      assert.ok(meta);
      await repoint();
      assert.equal((await readAll(await storage.open('current.mp3', { meta }))).toString(), 'AAAA');
      assert.equal((await storage.accel?.('current.mp3', { meta }))?.uri, '/_m.full/a.mp3');
      assert.equal((await readAll(await storage.open('current.mp3', {}))).toString(), 'BBBB', 'without meta it resolves afresh');
    });
  });
});

describe("pathCacheMs: a key's real path reused across requests", () => {
  it('follows a symlink re-pointed inside the root once the cache time has passed, not before', async () => {
    await withCurrentLink('BBBB', async (root, repoint) => {
      const storage = localStorage({ root, pathCacheMs: 300 });
      assert.equal((await readAll(await storage.open('current.mp3', {}))).toString(), 'AAAA');
      await repoint();
      assert.equal((await readAll(await storage.open('current.mp3', {}))).toString(), 'AAAA', 'within the cache time');
      await new Promise((r) => setTimeout(r, 400));
      assert.equal((await readAll(await storage.open('current.mp3', {}))).toString(), 'BBBB', 'after it');
    });
  });

  it('resolves afresh at once when the remembered file is gone', async () => {
    await withCurrentLink('BBBBBB', async (root, repoint) => {
      // Without the file cache, which would keep serving the deleted file for fileCacheMs.
      const storage = localStorage({ root, accelPrefix: '/_m', pathCacheMs: 60_000, fileCacheMs: 0 });
      assert.equal((await storage.stat('current.mp3'))?.size, 4);
      await rm(path.join(root, 'a.mp3'));
      await repoint();
      const meta = await storage.stat('current.mp3');
      assert.equal(meta?.size, 6);
      assert.equal((await storage.accel?.('current.mp3', { meta: meta ?? undefined }))?.uri, '/_m.full/b.mp3');
      assert.equal((await readAll(await storage.open('current.mp3', {}))).toString(), 'BBBBBB');
      await rm(path.join(root, 'b.mp3'));
      assert.equal(await storage.stat('current.mp3'), null);
    });
  });

  it('never serves a file outside the root through a remembered path replaced by a symlink', async () => {
    const dir = await makeTempDir();
    try {
      const inside = path.join(dir.dir, 'root');
      await mkdir(inside);
      await writeFile(path.join(dir.dir, 'secret.txt'), 'SECRET');
      await writeFile(path.join(inside, 'show.mp3'), 'SHOW');
      // Without the file cache (with it: the test of the same name in local-file-cache.test.ts).
      const storage = localStorage({ root: inside, pathCacheMs: 60_000, fileCacheMs: 0 });
      assert.equal((await storage.stat('show.mp3'))?.size, 4);
      await rm(path.join(inside, 'show.mp3'));
      await symlink(path.join(dir.dir, 'secret.txt'), path.join(inside, 'show.mp3'));
      assert.equal(await storage.stat('show.mp3'), null, 'stat');
      await assert.rejects(storage.open('show.mp3', {}), storageCode('not-found'));
      assert.ok(storage.read);
      assert.equal(await storage.read('show.mp3', {}), null, 'read');
    } finally {
      await dir.cleanup();
    }
  });

  it('is validated: a whole number of milliseconds up to a minute', () => {
    assert.throws(() => localStorage({ root: '/srv', pathCacheMs: -1 }), /^TypeError: localStorage: pathCacheMs /);
    assert.throws(() => localStorage({ root: '/srv', pathCacheMs: 60_001 }), /^TypeError: localStorage: pathCacheMs /);
    assert.throws(() => localStorage({ root: '/srv', pathCacheMs: 1.5 }), /^TypeError: localStorage: pathCacheMs /);
  });
});

describe('localAccelTarget', () => {
  it('sends a planned range to the prefix, a whole file to the twin location, segments encoded', () => {
    assert.deepEqual(localAccelTarget('/internal/media', ['my show', '100%.mp3'], { start: 0, end: 9 }), { uri: '/internal/media/my%20show/100%25.mp3' });
    assert.deepEqual(localAccelTarget('/internal/media', ['a.mp3']), { uri: `/internal/media${LOCAL_FULL_SUFFIX}/a.mp3` });
  });
});
