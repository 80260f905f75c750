/** A byte range of a leased local file as a stream, read with positioned reads (the descriptor is shared). */
import { read } from 'node:fs';
import { Readable } from 'node:stream';
import { destroyOnAbort } from './abort';
import type { FileLease } from './local-file-cache';
import type { ByteRange } from './types';

/** Bytes read per positioned read, and the stream's buffer. */
const CHUNK = 256 * 1024;

/**
 * Reads `start`..`end` of a leased file with `pread`, so other requests may read the same descriptor
 * at other offsets. Releases the lease when it ends or is destroyed, but never while a read is still
 * in flight (a descriptor closed under a read could be reused by another file). A file that ends
 * before `end` (truncated since it was opened) fails the stream, so no response ends cleanly short.
 */
class LeasedRangeStream extends Readable {
  private position: number;
  private reading = false;
  private pendingDestroy: (() => void) | undefined;

  constructor(
    private readonly lease: FileLease,
    start: number,
    private readonly end: number,
  ) {
    super({ highWaterMark: CHUNK });
    this.position = start;
  }

  override _read(): void {
    const want = Math.min(CHUNK, this.end - this.position + 1);
    if (want <= 0) {
      this.push(null);
      return;
    }
    const buffer = Buffer.allocUnsafe(want);
    this.reading = true;
    read(this.lease.file.fd, buffer, 0, want, this.position, (err, bytes) => {
      this.reading = false;
      if (this.pendingDestroy) return this.pendingDestroy();
      if (err) return this.destroy(err);
      if (bytes === 0) return this.destroy(new Error(`file ended at byte ${this.position}, before byte ${this.end} (truncated while read)`));
      this.position += bytes;
      this.push(bytes < want ? buffer.subarray(0, bytes) : buffer);
    });
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    const finish = (): void => {
      this.pendingDestroy = undefined;
      this.lease.release();
      callback(err);
    };
    if (this.reading) this.pendingDestroy = finish;
    else finish();
  }
}

/**
 * A stream of `range` (or the whole file) of a leased file, which releases the lease when done,
 * destroyed when `signal` fires. An empty file or a range starting past the end is an empty
 * stream (the lease is released at once).
 *
 * @example
 * const body = rangeStream(lease, { start: 0, end: 99 }, req.signal);
 */
export function rangeStream(lease: FileLease, range: ByteRange | undefined, signal?: AbortSignal): Readable {
  const size = lease.file.stats.size;
  const start = range?.start ?? 0;
  if (size === 0 || start >= size) {
    lease.release();
    return Readable.from([]);
  }
  const end = range ? Math.min(range.end, size - 1) : size - 1;
  return destroyOnAbort(new LeasedRangeStream(lease, start, end), signal);
}
