/** Opening a local file and streaming bytes of it, in constant memory, tied to an AbortSignal. */
import { close, constants, createReadStream, fstat, open, type Stats } from 'node:fs';
import { Readable } from 'node:stream';
import { destroyOnAbort } from './abort';
import type { ByteRange, ObjectMeta } from './types';

/**
 * The ETag nginx itself sends for a static file (`"<mtime seconds hex>-<size hex>"`), so a
 * client sees one validator whether the bytes came through nginx or through Node.
 *
 * @example
 * fileEtag({ mtimeMs: 1773480413999, size: 255 }) // '"69b529dd-ff"'
 */
export function fileEtag(stats: Pick<Stats, 'mtimeMs' | 'size'>): string {
  return `"${Math.floor(stats.mtimeMs / 1000).toString(16)}-${stats.size.toString(16)}"`;
}

/**
 * The metadata of a file: size, mtime and its nginx-compatible ETag.
 *
 * @example
 * fileMeta(await stat(file)) // { size: 255, mtime: 2026-03-14T…, etag: '"69b529dd-ff"' }
 */
export function fileMeta(stats: Pick<Stats, 'mtimeMs' | 'mtime' | 'size'>): ObjectMeta {
  return { size: stats.size, mtime: stats.mtime, etag: fileEtag(stats) };
}

/**
 * An open regular file and what its descriptor says about it. The descriptor is a plain number
 * (callback fs, as `send`/`express.static` use: a FileHandle costs a promise and an object per
 * operation, a third of the CPU of a small range); whoever holds it closes it, through
 * {@link streamOf} or {@link closeFile}.
 */
export interface OpenFile {
  fd: number;
  stats: Stats;
}

/**
 * Opens `file` for reading and stats the open descriptor (so metadata and bytes are of one
 * file); null when it cannot be opened, is not a regular file (the descriptor is then closed),
 * or its last part is a symlink (`file` is a real path: a symlink there was put there since).
 *
 * @example
 * const opened = await openFile('/srv/media/a.mp3'); // { fd, stats } or null
 */
export function openFile(file: string): Promise<OpenFile | null> {
  return new Promise((resolve) => {
    open(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0), (openError, fd) => {
      if (openError) return resolve(null);
      fstat(fd, (statError, stats) => {
        if (!statError && stats.isFile()) return resolve({ fd, stats });
        close(fd, () => resolve(null));
      });
    });
  });
}

/**
 * Closes a descriptor from {@link openFile} that no stream took over.
 *
 * @example
 * await closeFile(opened.fd);
 */
export function closeFile(fd: number): Promise<void> {
  return new Promise((resolve) => close(fd, () => resolve()));
}

/**
 * A stream of `range` (or the whole file) that owns `fd` (closing it when done), destroyed when
 * `signal` fires. An empty file or a range starting past the end is an empty stream.
 *
 * @example
 * const body = await streamOf(opened.fd, opened.stats.size, { start: 0, end: 99 }, req.signal);
 */
export async function streamOf(fd: number, size: number, range: ByteRange | undefined, signal?: AbortSignal): Promise<Readable> {
  if (size === 0 || (range && range.start >= size)) {
    await closeFile(fd);
    return Readable.from([]);
  }
  // An explicit end (also for whole files) ends the stream with the last byte, without the
  // extra zero-byte read that would race a client closing right after the last byte.
  const stream = createReadStream('', {
    fd,
    start: range?.start ?? 0,
    end: range?.end ?? size - 1,
    autoClose: true,
    highWaterMark: 256 * 1024,
  });
  return destroyOnAbort(stream, signal);
}
