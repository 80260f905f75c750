// resumable() (lib/storage/resume.ts) with an in-memory source: the storage connection is given
// back when the consumer stops pulling or pulls below the floor rate, the next pull re-reads from
// the next byte, and the bytes that come out are always exactly the object's.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { StorageError } from '../../lib';
import { normalizeResume, resumable, type Reopen, type ResumeOptions } from '../../lib/storage/resume';

const KiB = 1024;
const OBJECT = Buffer.from(Array.from({ length: 96 * KiB }, (_, i) => (i * 7 + 3) % 256));

/** The object from `offset`, in 4 KiB chunks, like a storage body; every one handed out is kept. */
function memorySource(opened: Readable[], offset: number): Readable {
  const body = Readable.from(
    (function* chunks() {
      for (let at = offset; at < OBJECT.length; at += 4 * KiB) yield OBJECT.subarray(at, Math.min(at + 4 * KiB, OBJECT.length));
    })(),
    { objectMode: false },
  );
  opened.push(body);
  return body;
}

interface Run {
  body: Buffer;
  /** Offsets the wrapper reopened from (each one a released or failed connection). */
  reopens: number[];
  opened: Readable[];
  error?: Error;
}

/**
 * Reads the wrapped object in paused mode: `bytes` every `everyMs` (a blocked, slow consumer),
 * after an optional pause of `pauseMs` once `pauseAt` bytes arrived.
 */
function consume(options: ResumeOptions, read: { bytes: number; everyMs: number; pauseAt?: number; pauseMs?: number }, reopenWith?: Reopen): Promise<Run> {
  const opened: Readable[] = [];
  const reopens: number[] = [];
  const reopen: Reopen = async (offset) => {
    reopens.push(offset);
    return reopenWith ? reopenWith(offset) : memorySource(opened, offset);
  };
  const wrapper = resumable(memorySource(opened, 0), reopen, normalizeResume(options, 'test'));
  const chunks: Buffer[] = [];
  let got = 0;
  let paused = false;
  return new Promise((resolve) => {
    const finish = (error?: Error): void => {
      clearInterval(timer);
      resolve({ body: Buffer.concat(chunks), reopens, opened, error });
    };
    const timer = setInterval(() => {
      if (paused) return;
      const chunk = (wrapper.read(read.bytes) ?? wrapper.read()) as Buffer | null;
      if (!chunk) return;
      chunks.push(chunk);
      got += chunk.length;
      if (read.pauseAt !== undefined && got >= read.pauseAt && read.pauseMs) {
        paused = true;
        read.pauseAt = undefined;
        setTimeout(() => {
          paused = false;
        }, read.pauseMs);
      }
    }, read.everyMs);
    wrapper.on('end', () => finish());
    wrapper.on('error', (err) => finish(err));
  });
}

describe('resumable: giving the storage connection back', () => {
  it('releases a consumer that keeps pulling, but below the floor rate, and resumes it byte-exact', async (t) => {
    // 1 KiB every 20 ms (~50 KiB/s) against a floor of 1 MiB/s: slow, though it never stops.
    const run = await consume({ releaseAfterMs: 200, slowBelowBytesPerSecond: 1024 * KiB }, { bytes: KiB, everyMs: 20 });
    t.diagnostic(`reopened from ${run.reopens.join(', ')}`);
    assert.equal(run.error, undefined);
    assert.ok(run.body.equals(OBJECT), 'byte-exact');
    assert.ok(run.reopens.length >= 1, 'the connection was given back at least once');
    assert.ok(
      run.reopens.every((o, i) => o > (run.reopens[i - 1] ?? 0)),
      'each reopen starts further on',
    );
    assert.ok(
      run.opened.every((b) => b.destroyed),
      'every storage body was released',
    );
  });

  it('still releases a consumer that stops pulling (floor 0), and resumes it byte-exact', async () => {
    const run = await consume({ releaseAfterMs: 100, slowBelowBytesPerSecond: 0 }, { bytes: 8 * KiB, everyMs: 5, pauseAt: 16 * KiB, pauseMs: 600 });
    assert.equal(run.error, undefined);
    assert.ok(run.body.equals(OBJECT), 'byte-exact');
    assert.ok(run.reopens.length >= 1, 'released during the pause');
    assert.ok(
      run.opened.every((b) => b.destroyed),
      'every storage body was released',
    );
  });

  it('keeps the connection of a consumer pulling above the floor', async () => {
    // 1 KiB every 10 ms (~100 KiB/s, about a second in all: several looks) against a floor of 1 KiB/s.
    const run = await consume({ releaseAfterMs: 200, slowBelowBytesPerSecond: KiB }, { bytes: KiB, everyMs: 10 });
    assert.equal(run.error, undefined);
    assert.ok(run.body.equals(OBJECT), 'byte-exact');
    assert.deepEqual(run.reopens, [], 'never released');
  });

  it('ends with the error when the object changed before the re-read (If-Match): only a prefix of the old bytes', async () => {
    const run = await consume({ releaseAfterMs: 100, slowBelowBytesPerSecond: 1024 * KiB }, { bytes: KiB, everyMs: 10 }, async () => {
      throw new StorageError('changed', 'If-Match failed');
    });
    assert.ok(run.error instanceof StorageError);
    assert.equal(run.error.code, 'changed');
    assert.ok(run.body.length < OBJECT.length);
    assert.ok(run.body.equals(OBJECT.subarray(0, run.body.length)), 'a prefix of the one version');
  });
});

describe('normalizeResume', () => {
  it('defaults: 3 attempts, 200 ms backoff, a 5 s release period, a 32 KiB/s floor', () => {
    assert.deepEqual(normalizeResume(undefined, 's3Storage'), { attempts: 3, backoffMs: 200, releaseAfterMs: 5000, slowBelowBytesPerSecond: 32 * KiB });
  });

  it('rejects a bad slowBelowBytesPerSecond with a TypeError naming it', () => {
    for (const bad of [-1, 1.5, Number.NaN, '32768' as unknown as number]) {
      assert.throws(
        () => normalizeResume({ slowBelowBytesPerSecond: bad }, 's3Storage'),
        (err: unknown) => err instanceof TypeError && /s3Storage: resume\.slowBelowBytesPerSecond/.test(err.message),
      );
    }
  });

  it('refuses unknown keys with their full path', () => {
    assert.throws(() => normalizeResume({ retries: 2 } as never, 's3Storage'), /^TypeError: s3Storage: unknown option resume\.retries /);
  });
});
