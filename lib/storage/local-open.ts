/** Opening a local file and streaming bytes of it, in constant memory, tied to an AbortSignal. */
import { constants, createReadStream, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
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

/** An open regular file and what its descriptor says about it. */
export interface OpenFile {
  handle: FileHandle;
  stats: Stats;
}

/**
 * Opens `file` for reading and stats the open descriptor (so metadata and bytes are of one
 * file); null when it cannot be opened, is not a regular file (the handle is then closed), or
 * its last part is a symlink (`file` is a real path: a symlink there was put there since).
 *
 * @example
 * const opened = await openFile('/srv/media/a.mp3'); // { handle, stats } or null
 */
export async function openFile(file: string): Promise<OpenFile | null> {
  const handle = await open(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0)).catch(() => null);
  if (!handle) return null;
  try {
    const stats = await handle.stat();
    if (stats.isFile()) return { handle, stats };
  } catch {
    // fall through: not readable as a file
  }
  await handle.close();
  return null;
}

/**
 * A stream of `range` (or the whole file) that owns `handle` (closing it when done), destroyed
 * when `signal` fires. An empty file or a range starting past the end is an empty stream.
 *
 * @example
 * const body = await streamOf(opened.handle, opened.stats.size, { start: 0, end: 99 }, req.signal);
 */
export async function streamOf(handle: FileHandle, size: number, range: ByteRange | undefined, signal?: AbortSignal): Promise<Readable> {
  if (size === 0 || (range && range.start >= size)) {
    await handle.close();
    return Readable.from([]);
  }
  // An explicit end (also for whole files) ends the stream with the last byte, without the
  // extra zero-byte read that would race a client closing right after the last byte.
  const stream = createReadStream('', {
    fd: handle,
    start: range?.start ?? 0,
    end: range?.end ?? size - 1,
    autoClose: true,
    highWaterMark: 256 * 1024,
  });
  return destroyOnAbort(stream, signal);
}
