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

/** `object` from `offset` (at most `length` bytes), in 4 KiB chunks, like a storage body; every one handed out is kept. */
function memorySource(opened: Readable[], offset: number, length?: number, object: Buffer = OBJECT): Readable {
  const stop = Math.min(object.length, offset + (length ?? object.length));
  const body = Readable.from(
    (function* chunks() {
      for (let at = offset; at < stop; at += 4 * KiB) yield object.subarray(at, Math.min(at + 4 * KiB, stop));
    })(),
    { objectMode: false },
  );
  opened.push(body);
  return body;
}

interface Run {
  body: Buffer;
  /** Offsets the wrapper reopened from (each one a released or failed connection, or a window). */
  reopens: number[];
  /** The length each reopen asked for (undefined: to the end). */
  lengths: (number | undefined)[];
  opened: Readable[];
  error?: Error;
}

/**
 * Reads the wrapped object in paused mode: `bytes` every `everyMs` (a blocked, slow consumer),
 * after an optional pause of `pauseMs` once `pauseAt` bytes arrived.
 */
function consume(
  options: ResumeOptions,
  read: { bytes: number; everyMs: number; pauseAt?: number; pauseMs?: number },
  reopenWith?: Reopen,
  crowded?: () => boolean,
): Promise<Run> {
  const opened: Readable[] = [];
  const reopens: number[] = [];
  const lengths: (number | undefined)[] = [];
  const reopen: Reopen = async (offset, length) => {
    reopens.push(offset);
    lengths.push(length);
    return reopenWith ? reopenWith(offset) : memorySource(opened, offset, length);
  };
  const wrapper = resumable(memorySource(opened, 0), { reopen, options: normalizeResume(options, 'test'), crowded });
  const chunks: Buffer[] = [];
  let got = 0;
  let paused = false;
  return new Promise((resolve) => {
    const finish = (error?: Error): void => {
      clearInterval(timer);
      resolve({ body: Buffer.concat(chunks), reopens, lengths, opened, error });
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
      run.lengths.every((n) => n === 128 * KiB),
      `once released, it goes on in windows of windowBytes (asked: ${run.lengths.join(', ')})`,
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

  it('gives a blocked connection back within a quarter second while another request waits for one (crowded pool)', async () => {
    // A release period far longer than the run: only the crowded pool can release. The consumer
    // stops for two seconds after 16 KiB; the pool is found crowded from the second look on
    // (another request came to wait after the consumer blocked).
    const read = { bytes: 8 * KiB, everyMs: 5, pauseAt: 16 * KiB, pauseMs: 2000 };
    const options = { releaseAfterMs: 60_000, slowBelowBytesPerSecond: 0 };
    let looks = 0;
    const crowdedRun = await consume(options, { ...read }, undefined, () => ++looks > 1);
    assert.equal(crowdedRun.error, undefined);
    assert.ok(crowdedRun.body.equals(OBJECT), 'byte-exact');
    assert.ok(crowdedRun.reopens.length >= 1, 'released during the pause');
    assert.ok(
      crowdedRun.opened.every((b) => b.destroyed),
      'every storage body was released',
    );
    const calmRun = await consume(options, { ...read }, undefined, () => false);
    assert.ok(calmRun.body.equals(OBJECT), 'byte-exact');
    assert.deepEqual(calmRun.reopens, [], 'nobody waits: the connection is kept through the pause');
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

describe('resumable: windows', () => {
  const BIG = Buffer.from(Array.from({ length: 4 * 1024 * KiB }, (_, i) => (i * 13 + 5) % 251));

  /** Reads the wrapper of a first window of `first` bytes of `object`; `slow`: 1 KiB every 10 ms, else flowing. */
  /** `failAt`: the first reopen from that offset fails as an unreachable storage would. */
  interface More {
    firstBody?: Readable;
    crowded?: () => boolean;
    failAt?: number;
  }

  async function windows(object: Buffer, windowBytes: number, first: number, slow: boolean, more: More = {}) {
    const opened: Readable[] = [];
    const asked: [number, number | undefined][] = [];
    let failAt = more.failAt;
    const reopen: Reopen = async (offset, length) => {
      asked.push([offset, length]);
      if (offset === failAt) {
        failAt = undefined;
        throw new StorageError('unavailable', 'connect timeout');
      }
      return memorySource(opened, offset, length, object);
    };
    const attempts = more.failAt === undefined ? 0 : 1;
    const options = normalizeResume({ windowBytes, attempts, backoffMs: 0, releaseAfterMs: 0 }, 'test');
    const wrapper = resumable(more.firstBody ?? memorySource(opened, 0, first, object), { reopen, options, crowded: more.crowded }, first);
    const chunks: Buffer[] = [];
    let error: Error | undefined;
    if (!slow) {
      try {
        for await (const chunk of wrapper) chunks.push(chunk as Buffer);
      } catch (err) {
        error = err as Error;
      }
    } else {
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          const chunk = (wrapper.read(KiB) ?? wrapper.read()) as Buffer | null;
          if (chunk) chunks.push(chunk);
        }, 10);
        const done = (err?: Error): void => {
          error = err;
          clearInterval(timer);
          resolve();
        };
        wrapper.on('end', () => done());
        wrapper.on('error', done);
      });
    }
    return { body: Buffer.concat(chunks), asked, opened, error };
  }

  /** The run passed `object` on whole, without an error, and read exactly the windows `asked`. */
  function assertWindows(
    run: { body: Buffer; asked: [number, number | undefined][]; error?: Error },
    object: Buffer,
    asked: [number, number | undefined][],
    why?: string,
  ): void {
    assert.equal(run.error, undefined);
    assert.ok(run.body.equals(object), 'byte-exact');
    assert.deepEqual(run.asked, asked, why);
  }

  it('serves a slow consumer window by window, each read whole from the storage, byte-exact', async () => {
    // Windows larger than the stream's own 16 KiB buffer, so that buffer cannot take one whole.
    const run = await windows(OBJECT, 32 * KiB, 32 * KiB, true);
    assertWindows(
      run,
      OBJECT,
      [
        [32 * KiB, 32 * KiB],
        [64 * KiB, 32 * KiB],
        [96 * KiB, 32 * KiB],
      ],
      'one 32 KiB window after another, up to the end',
    );
    assert.ok(
      run.opened.every((b) => b.readableEnded),
      'every window was read to its end (its connection free)',
    );
  });

  it('doubles the windows of a fast consumer, then reads the rest open-ended', async () => {
    const run = await windows(BIG, 64 * KiB, 64 * KiB, false);
    assertWindows(run, BIG, [
      [64 * KiB, 128 * KiB],
      [192 * KiB, 256 * KiB],
      [448 * KiB, 512 * KiB],
      [960 * KiB, undefined],
    ]);
  });

  it('keeps a fast consumer at windowBytes while another request waits for a connection (crowded pool)', async () => {
    const run = await windows(OBJECT, 32 * KiB, 32 * KiB, false, { crowded: () => true });
    assertWindows(run, OBJECT, [
      [32 * KiB, 32 * KiB],
      [64 * KiB, 32 * KiB],
      [96 * KiB, 32 * KiB],
    ]);
  });

  it('resumes a next window that could not be read (an unreachable storage), byte-exact', async () => {
    const run = await windows(OBJECT, 32 * KiB, 32 * KiB, true, { failAt: 64 * KiB });
    assertWindows(
      run,
      OBJECT,
      [
        [32 * KiB, 32 * KiB],
        [64 * KiB, 32 * KiB],
        [64 * KiB, 32 * KiB],
        [96 * KiB, 32 * KiB],
      ],
      'the failed window asked again from the same byte',
    );
  });

  it('ends at a short window: the span was shorter than the window', async () => {
    const run = await windows(OBJECT.subarray(0, 5000), 8 * KiB, 8 * KiB, false);
    assert.equal(run.error, undefined);
    assert.equal(run.body.length, 5000);
    assert.deepEqual(run.asked, []);
  });

  it('fails, never buffering more, when the storage sends more than the window asked for', async () => {
    const opened: Readable[] = [];
    const run = await windows(OBJECT, 8 * KiB, 8 * KiB, false, { firstBody: memorySource(opened, 0) });
    assert.ok(run.error instanceof StorageError, String(run.error));
    assert.match(run.error.message, /more than the 8192 bytes asked for/);
    assert.ok(run.body.length <= 8 * KiB, `passed on ${run.body.length} bytes`);
    assert.ok(run.body.equals(OBJECT.subarray(0, run.body.length)), 'what was passed on is right');
  });
});

describe('normalizeResume', () => {
  it('defaults: 3 attempts, 200 ms backoff, a 5 s release period, a 32 KiB/s floor, 128 KiB windows', () => {
    assert.deepEqual(normalizeResume(undefined, 's3Storage'), {
      attempts: 3,
      backoffMs: 200,
      releaseAfterMs: 5000,
      slowBelowBytesPerSecond: 32 * KiB,
      windowBytes: 128 * KiB,
    });
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
