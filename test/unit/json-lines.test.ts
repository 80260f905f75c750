import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { DownloadEvent } from '../../lib/log/events';
import { JsonLinesLogError, jsonLinesLog, type JsonLinesLogErrorCode } from '../../lib/log/json-lines';
import { makeTempDir, type TempDir } from '../support/fixtures-local';
import { downloadEvent } from '../support/download-event';

let tmp: TempDir;
before(async () => {
  tmp = await makeTempDir('station-files-jsonl-');
});
after(async () => {
  await tmp.cleanup();
});

const event = downloadEvent;

/** Collects onError reports. */
function collector(): { errors: JsonLinesLogError[]; onError: (err: Error) => void; codes: () => JsonLinesLogErrorCode[]; dropped: () => number } {
  const errors: JsonLinesLogError[] = [];
  return {
    errors,
    onError: (err) => {
      assert.ok(err instanceof JsonLinesLogError, `not a JsonLinesLogError: ${String(err)}`);
      errors.push(err);
    },
    codes: () => errors.map((e) => e.code),
    dropped: () => errors.reduce((sum, e) => sum + e.dropped, 0),
  };
}

function parseLines(text: string): DownloadEvent[] {
  assert.ok(text === '' || text.endsWith('\n'), 'file ends with a newline');
  return text === ''
    ? []
    : text
        .slice(0, -1)
        .split('\n')
        .map((line) => JSON.parse(line) as DownloadEvent);
}

/** A Writable whose write callbacks wait until released (or a delay passes). */
function slowStream(options: { delayMs?: number; highWaterMark?: number } = {}): {
  stream: Writable;
  chunks: string[];
  release: () => void;
} {
  const chunks: string[] = [];
  let held: Array<() => void> | null = options.delayMs === undefined ? [] : null;
  const stream = new Writable({
    highWaterMark: options.highWaterMark ?? 16 * 1024,
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, callback) {
      const done = (): void => {
        chunks.push(String(chunk));
        callback();
      };
      if (held) held.push(done);
      else setTimeout(done, options.delayMs);
    },
  });
  const release = (): void => {
    const waiting = held ?? [];
    held = null;
    for (const done of waiting) done();
  };
  return { stream, chunks, release };
}

describe('jsonLinesLog to a file', () => {
  it('writes 10,000 quickly logged events as 10,000 lines, in order', async () => {
    const file = path.join(tmp.dir, 'many.jsonl');
    const c = collector();
    const log = jsonLinesLog(file, { onError: c.onError });
    for (let i = 0; i < 10_000; i++) assert.equal(log(event(i)), undefined);
    assert.ok(log.pending() > 0, 'nothing is written synchronously');
    await log.close();
    assert.equal(log.pending(), 0);
    const events = parseLines(await readFile(file, 'utf8'));
    assert.equal(events.length, 10_000);
    events.forEach((e, i) => assert.equal(e.id, `req-${i}`));
    assert.deepEqual(events[7], event(7));
    assert.deepEqual(c.errors, []);
  });

  it('appends to an existing file and creates new files with mode 0640 (or stricter)', async () => {
    const existing = path.join(tmp.dir, 'existing.jsonl');
    await writeFile(existing, '{"old":true}\n');
    const log = jsonLinesLog(existing, { onError: collector().onError });
    log(event(1));
    await log.close();
    assert.deepEqual((await readFile(existing, 'utf8')).split('\n'), ['{"old":true}', JSON.stringify(event(1)), '']);

    const fresh = path.join(tmp.dir, 'fresh.jsonl');
    const log2 = jsonLinesLog(fresh, { onError: collector().onError });
    await log2.close();
    const mode = (await stat(fresh)).mode & 0o777;
    assert.equal(mode & ~0o640, 0, `mode ${mode.toString(8)}`);
  });

  it('reports a missing directory through onError, without throwing or creating it', async () => {
    const dir = path.join(tmp.dir, 'no-such-dir');
    const c = collector();
    const log = jsonLinesLog(path.join(dir, 'x.jsonl'), { onError: c.onError });
    assert.doesNotThrow(() => log(event(1)));
    assert.doesNotThrow(() => log(event(2)));
    await log.close();
    assert.deepEqual(c.codes(), ['failed'], 'reported once');
    assert.match(c.errors[0]?.message ?? '', /directory does not exist/);
    assert.equal((c.errors[0]?.cause as NodeJS.ErrnoException | undefined)?.code, 'ENOENT');
    assert.equal(c.dropped(), 2);
    await assert.rejects(stat(dir), { code: 'ENOENT' });
  });

  it('reports an unwritable target once, and counts what was dropped after it', async () => {
    const dir = path.join(tmp.dir, 'a-directory.jsonl');
    await mkdir(dir);
    const c = collector();
    const log = jsonLinesLog(dir, { onError: c.onError });
    log(event(1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (let i = 2; i <= 5; i++) log(event(i));
    assert.deepEqual(c.codes(), ['failed']);
    assert.equal((c.errors[0]?.cause as NodeJS.ErrnoException | undefined)?.code, 'EISDIR');
    await log.close();
    assert.deepEqual(c.codes(), ['failed', 'failed']);
    assert.match(c.errors[1]?.message ?? '', /dropped 4 events after the failure/);
    assert.equal(c.dropped(), 5);
  });

  it('lets two sinks append to one file without interleaving inside a line (O_APPEND)', async () => {
    const file = path.join(tmp.dir, 'shared.jsonl');
    const a = jsonLinesLog(file, { onError: collector().onError });
    const b = jsonLinesLog(file, { onError: collector().onError });
    const perSink = 3000;
    for (let i = 0; i < perSink; i++) {
      // Long lines of varying length, so batches cross page and batch sizes at odd offsets.
      a(event(i, { id: `a-${i}`, userAgent: 'A'.repeat(500 + (i % 7) * 311) }));
      b(event(i, { id: `b-${i}`, userAgent: 'B'.repeat(700 + (i % 5) * 457) }));
      // Every 500 events, let both sinks write out what they hold, so their writes interleave in
      // the file whatever the machine's load (without this, one sink may finish before the other starts).
      if (i % 500 === 499) {
        while (a.pending() > 0 || b.pending() > 0) await new Promise((resolve) => setTimeout(resolve, 1));
      }
    }
    await Promise.all([a.close(), b.close()]);
    const events = parseLines(await readFile(file, 'utf8'));
    assert.equal(events.length, 2 * perSink);
    const switches = events.filter((e, i) => i > 0 && e.id[0] !== events[i - 1]?.id[0]).length;
    assert.ok(switches > 2, `the two sinks' writes interleave in the file (${switches} switches)`);
    const ids = { a: [] as string[], b: [] as string[] };
    for (const e of events) {
      const who = e.id.startsWith('a-') ? 'a' : 'b';
      assert.match(e.userAgent ?? '', who === 'a' ? /^A+$/ : /^B+$/);
      ids[who].push(e.id);
    }
    assert.deepEqual(
      ids.a,
      Array.from({ length: perSink }, (_, i) => `a-${i}`),
    );
    assert.deepEqual(
      ids.b,
      Array.from({ length: perSink }, (_, i) => `b-${i}`),
    );
  });
});

describe('jsonLinesLog to a stream', () => {
  it('close() waits for slow writes to be confirmed', async () => {
    const { stream, chunks } = slowStream({ delayMs: 2, highWaterMark: 256 });
    const log = jsonLinesLog(stream, { onError: collector().onError });
    for (let i = 0; i < 50; i++) log(event(i));
    assert.equal(log.pending(), 50);
    await log.close();
    assert.equal(log.pending(), 0);
    assert.equal(chunks.length, 50, 'one write per event');
    chunks.forEach((chunk, i) => assert.equal(chunk, `${JSON.stringify(event(i))}\n`));
  });

  it('leaves a passed stream open, and takes its listeners back', async () => {
    const stream = new PassThrough();
    const listeners = { error: stream.listenerCount('error'), close: stream.listenerCount('close'), drain: stream.listenerCount('drain') };
    const log = jsonLinesLog(stream, { onError: collector().onError });
    log(event(1));
    await log.close();
    assert.equal(stream.writable, true);
    assert.equal(stream.destroyed, false);
    assert.equal(stream.writableEnded, false);
    assert.deepEqual({ error: stream.listenerCount('error'), close: stream.listenerCount('close'), drain: stream.listenerCount('drain') }, listeners);
    stream.end('after\n');
    const text = (await stream.toArray()).map(String).join('');
    assert.equal(text, `${JSON.stringify(event(1))}\nafter\n`);
  });

  it('drops events over maxQueuedBytes and reports how many, keeping the accepted ones in order', async () => {
    const { stream, chunks, release } = slowStream();
    const c = collector();
    const lineBytes = Buffer.byteLength(`${JSON.stringify(event(10))}\n`);
    const log = jsonLinesLog(stream, { onError: c.onError, maxQueuedBytes: lineBytes * 5 + 10 });
    for (let i = 10; i < 30; i++) log(event(i)); // same-length lines: 5 fit
    assert.equal(log.pending(), 5);
    assert.deepEqual(c.codes(), ['overflow']);
    assert.equal(c.errors[0]?.dropped, 1);
    release();
    await log.close();
    assert.deepEqual(c.codes(), ['overflow', 'overflow']);
    assert.equal(c.errors[1]?.dropped, 14);
    assert.match(c.errors[1]?.message ?? '', /dropped 14 more events while the queue was full/);
    assert.equal(c.dropped(), 15);
    assert.deepEqual(
      chunks.map((chunk) => (JSON.parse(chunk) as DownloadEvent).id),
      ['req-10', 'req-11', 'req-12', 'req-13', 'req-14'],
    );
  });

  it('accepts events again once the queue has room, after reporting the overflow', async () => {
    const { stream, chunks, release } = slowStream();
    const c = collector();
    const lineBytes = Buffer.byteLength(`${JSON.stringify(event(10))}\n`);
    const log = jsonLinesLog(stream, { onError: c.onError, maxQueuedBytes: lineBytes * 2 });
    for (let i = 10; i < 14; i++) log(event(i)); // 10, 11 accepted; 12, 13 dropped
    release();
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(log.pending(), 0);
    assert.deepEqual(
      c.errors.map((e) => [e.code, e.dropped]),
      [
        ['overflow', 1],
        ['overflow', 1],
      ],
    );
    log(event(15));
    await log.close();
    assert.deepEqual(
      chunks.map((chunk) => (JSON.parse(chunk) as DownloadEvent).id),
      ['req-10', 'req-11', 'req-15'],
    );
  });

  it('reports a failing stream (EPIPE) once, never throws, and stops', async () => {
    let writes = 0;
    const stream = new Writable({
      write(_chunk, _encoding, callback) {
        writes++;
        const err: NodeJS.ErrnoException = new Error('write EPIPE');
        err.code = 'EPIPE';
        callback(err);
      },
    });
    const c = collector();
    const log = jsonLinesLog(stream, { onError: c.onError });
    for (let i = 0; i < 5; i++) assert.doesNotThrow(() => log(event(i)));
    await new Promise((resolve) => stream.on('close', resolve)); // after its 'error', which the sink took
    for (let i = 5; i < 8; i++) assert.doesNotThrow(() => log(event(i)));
    await log.close();
    assert.equal(writes, 1);
    assert.equal(c.errors[0]?.code, 'failed');
    assert.match(c.errors[0]?.message ?? '', /EPIPE/);
    assert.equal(c.errors.filter((e) => e.code === 'failed' && e.cause !== undefined).length, 1, 'one report per failure');
    assert.equal(c.dropped(), 8);
  });

  it('reports a stream that is already ended', async () => {
    const stream = new PassThrough();
    stream.end();
    stream.resume();
    await once(stream, 'finish');
    const c = collector();
    const log = jsonLinesLog(stream, { onError: c.onError });
    assert.doesNotThrow(() => log(event(1)));
    await log.close();
    assert.equal(c.errors[0]?.code, 'failed');
    assert.equal(c.dropped(), 1);
  });

  it('reports a stream destroyed while writes are pending', async () => {
    const { stream } = slowStream();
    const c = collector();
    const log = jsonLinesLog(stream, { onError: c.onError });
    log(event(1));
    log(event(2));
    await new Promise((resolve) => setImmediate(resolve));
    stream.destroy();
    await log.close();
    assert.deepEqual(c.codes(), ['failed']);
    assert.equal(c.dropped(), 2);
    assert.equal(log.pending(), 0);
  });
});

describe('jsonLinesLog: reporting', () => {
  it('reports events after close() as dropped', async () => {
    const stream = new PassThrough();
    const c = collector();
    const log = jsonLinesLog(stream, { onError: c.onError });
    log(event(1));
    const closing = log.close();
    log(event(2));
    await closing;
    log(event(3));
    assert.deepEqual(
      c.errors.map((e) => [e.code, e.dropped]),
      [
        ['closed', 1],
        ['closed', 1],
      ],
    );
    assert.equal(log.close(), closing, 'close() is idempotent');
    stream.end();
    assert.equal((await stream.toArray()).map(String).join(''), `${JSON.stringify(event(1))}\n`);
  });

  it('drops events JSON.stringify refuses, and keeps going', async () => {
    const stream = new PassThrough();
    const c = collector();
    const log = jsonLinesLog(stream, { onError: c.onError });
    log(event(1, { size: 10n as unknown as number }));
    log(event(2));
    await log.close();
    assert.deepEqual(c.codes(), ['invalid']);
    stream.end();
    assert.equal((await stream.toArray()).map(String).join(''), `${JSON.stringify(event(2))}\n`);
  });

  it('survives an onError that throws', async () => {
    const log = jsonLinesLog(path.join(tmp.dir, 'missing', 'x.jsonl'), {
      onError: () => {
        throw new Error('reporter broke');
      },
    });
    assert.doesNotThrow(() => log(event(1)));
    await log.close();
    await log.close();
  });

  it('prints a short message with console.error by default', async (t) => {
    const printed: string[] = [];
    t.mock.method(console, 'error', (message: string) => void printed.push(message));
    const log = jsonLinesLog(path.join(tmp.dir, 'missing', 'x.jsonl'));
    log(event(1));
    await log.close();
    assert.equal(printed.length, 1);
    assert.match(printed[0] ?? '', /^station-files: JSON lines log .*x\.jsonl: cannot open.*ENOENT/);
    assert.doesNotMatch(printed[0] ?? '', /\n/);
  });

  it('rejects bad arguments at construction', () => {
    assert.throws(() => jsonLinesLog(''), TypeError);
    assert.throws(() => jsonLinesLog(42 as unknown as string), TypeError);
    assert.throws(() => jsonLinesLog({} as NodeJS.WritableStream), TypeError);
    assert.throws(() => jsonLinesLog(new PassThrough(), { maxQueuedBytes: 0 }), TypeError);
    assert.throws(() => jsonLinesLog(new PassThrough(), { maxQueuedBytes: 1.5 }), TypeError);
    assert.throws(() => jsonLinesLog(new PassThrough(), { onError: 'log' as unknown as (err: Error) => void }), TypeError);
  });
});
