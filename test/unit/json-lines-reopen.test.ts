// jsonLinesLog(path).reopen(), for log rotation: real files in a temp dir, renamed away the way
// logrotate does it. Whatever the timing, the old file and the new one together must hold every
// accepted event exactly once, in order, as whole lines.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, readlink, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { DownloadEvent } from '../../lib/log/events';
import { JsonLinesLogError, jsonLinesLog } from '../../lib/log/json-lines';
import { makeTempDir, type TempDir } from '../support/fixtures-local';
import { downloadEvent } from '../support/download-event';

let tmp: TempDir;
let seq = 0;
before(async () => {
  tmp = await makeTempDir('station-files-jsonl-reopen-');
});
after(async () => {
  await tmp.cleanup();
});

/** A fresh directory per test, so file names can stay short. */
async function testDir(): Promise<string> {
  const dir = path.join(tmp.dir, `t${++seq}`);
  await mkdir(dir);
  return dir;
}

const event = (n: number, padding = 0): DownloadEvent => downloadEvent(n, { userAgent: `agent-${'x'.repeat(padding)}` });

function collector(): { errors: JsonLinesLogError[]; onError: (err: Error) => void } {
  const errors: JsonLinesLogError[] = [];
  return {
    errors,
    onError: (err) => {
      assert.ok(err instanceof JsonLinesLogError, `not a JsonLinesLogError: ${String(err)}`);
      errors.push(err);
    },
  };
}

/** The ids in a file, checking that every line is whole JSON and the file ends with a newline. */
async function idsIn(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  if (text === '') return [];
  assert.ok(text.endsWith('\n'), `${path.basename(file)} ends with a newline`);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => (JSON.parse(line) as DownloadEvent).id);
}

function expectedIds(from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, i) => `req-${from + i}`);
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Paths this process has open (Linux /proc), or undefined elsewhere. */
async function openPaths(): Promise<string[] | undefined> {
  if (!existsSync('/proc/self/fd')) return undefined;
  const targets = await Promise.all((await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
  return targets;
}

describe('jsonLinesLog reopen() with a file', () => {
  it('after the file is renamed away mid-stream, the old and new files hold every event once, in order', async () => {
    const dir = await testDir();
    const file = path.join(dir, 'downloads.jsonl');
    const rotated = `${file}.1`;
    const c = collector();
    const log = jsonLinesLog(file, { onError: c.onError });
    for (let i = 0; i < 1000; i++) {
      log(event(i, i % 50));
      if (i === 400) await rename(file, rotated); // writes may be under way: they land in the old file
      if (i === 600) await log.reopen();
      if (i % 25 === 0) await tick();
    }
    await log.close();
    const old = await idsIn(rotated);
    const fresh = await idsIn(file);
    // Events still queued when reopen() switches files go to the new one, so how many the old
    // file keeps depends on how fast the disk took them (376 of the 401 offered before the rename
    // on a loaded machine); that it keeps a prefix, and the new file the rest, does not.
    assert.ok(old.length >= 1, `the old file keeps what was written before the switch (${old.length})`);
    assert.ok(fresh.length >= 399, `events after reopen() resolved go to the new file (${fresh.length})`);
    assert.deepEqual([...old, ...fresh], expectedIds(0, 1000));
    assert.equal((await stat(file)).mode & 0o777 & ~0o640, 0, 'the new file is created with mode 0640 (or stricter)');
    assert.deepEqual(c.errors, []);
  });

  it('switches while writes are in flight, accepting events during the reopen', async () => {
    const dir = await testDir();
    const file = path.join(dir, 'downloads.jsonl');
    const c = collector();
    const log = jsonLinesLog(file, { onError: c.onError, maxQueuedBytes: 64 * 1024 * 1024 });
    await log.reopen(); // the first open is done: the burst below is written in several batches
    for (let i = 0; i < 3000; i++) log(event(i, 2000)); // ~6 MB, so writes are under way below
    await tick();
    assert.ok(log.pending() > 0, 'writes are in flight when the file is moved and reopened');
    await rename(file, `${file}.1`);
    const reopened = log.reopen();
    const again = log.reopen(); // a second reopen right behind the first: opens the new path again
    for (let i = 3000; i < 4000; i++) log(event(i, 2000)); // accepted while the reopen waits its turn
    assert.ok(log.pending() > 1000);
    await Promise.all([reopened, again]);
    for (let i = 4000; i < 4500; i++) log(event(i, 2000));
    await log.close();
    assert.equal(log.pending(), 0);
    const old = await idsIn(`${file}.1`);
    const fresh = await idsIn(file);
    assert.ok(old.length > 0 && fresh.length >= 500, `both files hold events (${old.length} + ${fresh.length})`);
    assert.deepEqual([...old, ...fresh], expectedIds(0, 4500));
    assert.deepEqual(c.errors, []);
  });

  it('rotates several times over; each reopen lets go of the old file', async (t) => {
    const dir = await testDir();
    const file = path.join(dir, 'downloads.jsonl');
    const log = jsonLinesLog(file, { onError: collector().onError });
    let n = 0;
    for (let round = 1; round <= 5; round++) {
      for (let i = 0; i < 200; i++) log(event(n++, i));
      while (!existsSync(file)) await tick(); // the (re)open is done, however slow the machine
      await rename(file, `${file}.r${round}`);
      for (let i = 0; i < 50; i++) log(event(n++));
      await log.reopen();
      const open = await openPaths();
      if (open === undefined) t.diagnostic('no /proc/self/fd: open files not checked');
      else assert.ok(!open.some((p) => p.startsWith(`${file}.r`)), `no rotated file is still open: ${open.filter((p) => p.startsWith(dir)).join(', ')}`);
    }
    for (let i = 0; i < 100; i++) log(event(n++));
    await log.close();
    const open = await openPaths();
    if (open !== undefined) assert.ok(!open.some((p) => p.startsWith(dir)), 'close() closes the current file');
    const all: string[] = [];
    for (let round = 1; round <= 5; round++) all.push(...(await idsIn(`${file}.r${round}`)));
    all.push(...(await idsIn(file)));
    assert.deepEqual(all, expectedIds(0, n));
  });

  it('works when called before the first open has completed', async () => {
    const dir = await testDir();
    const file = path.join(dir, 'downloads.jsonl');
    const c = collector();
    const log = jsonLinesLog(file, { onError: c.onError });
    log(event(0));
    const reopened = log.reopen();
    log(event(1));
    await reopened;
    log(event(2));
    await log.close();
    assert.deepEqual(await idsIn(file), expectedIds(0, 3));
    assert.deepEqual(c.errors, []);
  });

  it('reports a reopen that cannot open the path like an open failure, and stops', async () => {
    const dir = await testDir();
    const logDir = path.join(dir, 'logs');
    await mkdir(logDir);
    const file = path.join(logDir, 'downloads.jsonl');
    const c = collector();
    const log = jsonLinesLog(file, { onError: c.onError });
    for (let i = 0; i < 100; i++) log(event(i));
    // The first open must be done (and its lines written) before the directory goes, however slow the machine.
    while (log.pending() > 0 || !existsSync(file)) await tick();
    await rename(logDir, path.join(dir, 'moved')); // the path's directory is gone
    const reopened = log.reopen();
    for (let i = 100; i < 150; i++) log(event(i));
    await reopened;
    for (let i = 150; i < 160; i++) log(event(i));
    await log.reopen(); // stopped: a no-op
    await log.close();
    assert.equal(c.errors[0]?.code, 'failed');
    assert.match(c.errors[0]?.message ?? '', /: cannot reopen: its directory does not exist \(it is not created\).*ENOENT/);
    assert.equal((c.errors[0]?.cause as NodeJS.ErrnoException | undefined)?.code, 'ENOENT');
    assert.ok(c.errors.every((e) => e.code === 'failed'));
    const kept = await idsIn(path.join(dir, 'moved', 'downloads.jsonl'));
    assert.deepEqual(kept, expectedIds(0, kept.length), 'what was written before the failure is a whole, in-order prefix');
    const lost = c.errors.reduce((sum, e) => sum + e.dropped, 0);
    assert.equal(kept.length + lost, 160, `every event is either in the old file or reported lost (${kept.length} + ${lost})`);
    assert.equal(existsSync(logDir), false, 'the directory is not created');
  });

  it('is a no-op after close(), and while close() flushes', async () => {
    const dir = await testDir();
    const file = path.join(dir, 'downloads.jsonl');
    const c = collector();
    const log = jsonLinesLog(file, { onError: c.onError });
    for (let i = 0; i < 500; i++) log(event(i, 500));
    const closing = log.close();
    await rename(file, `${file}.1`);
    await log.reopen(); // during close(): everything accepted still goes to the old file
    await closing;
    await log.reopen(); // after close()
    assert.deepEqual(await idsIn(`${file}.1`), expectedIds(0, 500));
    assert.equal(existsSync(file), false, 'no new file is created');
    assert.deepEqual(c.errors, []);
  });

  it('close() right after reopen() waits for it and closes the new file', async (t) => {
    const dir = await testDir();
    const file = path.join(dir, 'downloads.jsonl');
    const c = collector();
    const log = jsonLinesLog(file, { onError: c.onError });
    for (let i = 0; i < 100; i++) log(event(i));
    while (!existsSync(file)) await tick(); // the first open is done, however slow the machine
    await rename(file, `${file}.1`);
    void log.reopen();
    for (let i = 100; i < 200; i++) log(event(i));
    await log.close();
    assert.deepEqual([...(await idsIn(`${file}.1`)), ...(await idsIn(file))], expectedIds(0, 200));
    const open = await openPaths();
    if (open === undefined) t.diagnostic('no /proc/self/fd: open files not checked');
    else assert.ok(!open.some((p) => p.startsWith(dir)), 'no file of the log is left open');
    assert.deepEqual(c.errors, []);
  });
});

describe('jsonLinesLog reopen() with a stream', () => {
  it('resolves and does nothing: the stream keeps every line, in order', async () => {
    const stream = new PassThrough();
    const listeners = { error: stream.listenerCount('error'), close: stream.listenerCount('close') };
    const c = collector();
    const log = jsonLinesLog(stream, { onError: c.onError });
    log(event(1));
    await log.reopen();
    log(event(2));
    await log.close();
    await log.reopen();
    assert.equal(stream.writable, true);
    assert.deepEqual({ error: stream.listenerCount('error'), close: stream.listenerCount('close') }, listeners);
    stream.end();
    assert.equal((await stream.toArray()).map(String).join(''), `${JSON.stringify(event(1))}\n${JSON.stringify(event(2))}\n`);
    assert.deepEqual(c.errors, []);
  });
});
