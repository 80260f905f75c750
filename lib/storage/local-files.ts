/** The file operations of one localStorage: stat, open and read, over keys resolved by LocalPaths. */
import { lstat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { StorageError } from './errors';
import { fileEtag, fileMeta, openFile, streamOf, type OpenFile } from './local-open';
import type { LocalPaths, Located } from './local-paths';
import type { ObjectMeta, OpenOptions, ReadOptions, ReadResult } from './types';

/** stat, open and read of the files under one root. */
export class LocalFiles {
  constructor(private readonly paths: LocalPaths) {}

  /**
   * The metadata of a key's regular file, or null; remembers where it was for open and accel.
   *
   * @example
   * const meta = await new LocalFiles(new LocalPaths('/srv/media')).stat('a.mp3');
   */
  async stat(key: string): Promise<ObjectMeta | null> {
    return this.atPath(key, undefined, async (located) => {
      // A real path's last part is never a symlink; lstat refuses one put there since.
      const stats = await lstat(located.file).catch(() => null);
      if (!stats?.isFile()) return null;
      const meta = fileMeta(stats);
      this.paths.remember(meta, key, located);
      return meta;
    });
  }

  /**
   * A stream of `opts.range` (or the whole file); rejects `not-found`, or `changed` when the
   * file no longer has the ETag `opts.ifMatch` planned with.
   *
   * @example
   * const body = await files.open('a.mp3', { range: { start: 0, end: 99 }, ifMatch: meta.etag, meta });
   */
  async open(key: string, opts: OpenOptions): Promise<Readable> {
    const opened = await this.openKey(key, opts.meta);
    if (!opened) throw new StorageError('not-found', 'no such file');
    if (opts.ifMatch !== undefined && fileEtag(opened.stats) !== opts.ifMatch) {
      await opened.handle.close();
      throw new StorageError('changed', 'file changed since the response was planned');
    }
    return streamOf(opened.handle, opened.stats.size, opts.range, opts.signal);
  }

  /**
   * Stream delivery: metadata from the open descriptor and the body in one go (no separate
   * stat). A range starting past the end gives metadata only; an open end is the last byte.
   *
   * @example
   * const found = await files.read('a.mp3', { range: { start: 100 }, signal });
   */
  async read(key: string, opts: ReadOptions): Promise<ReadResult | null> {
    const opened = await this.openKey(key);
    if (!opened) return null;
    const { handle, stats } = opened;
    const meta = fileMeta(stats);
    if (opts.range && opts.range.start >= stats.size) {
      await handle.close();
      return { meta, range: null, body: null };
    }
    const last = stats.size - 1;
    const range = opts.range ? { start: opts.range.start, end: Math.min(opts.range.end ?? last, last) } : null;
    return { meta, range, body: await streamOf(handle, stats.size, range ?? undefined, opts.signal) };
  }

  /** Opens the file a key names (where stat found it, when `meta` came from stat). */
  private openKey(key: string, meta?: ObjectMeta): Promise<OpenFile | null> {
    return this.atPath(key, meta, (located) => openFile(located.file));
  }

  /**
   * Runs `use` on where the key is; when that came from the path cache and `use` found nothing
   * there (the file was moved, deleted, or replaced by a symlink), resolves the key afresh once.
   */
  private async atPath<T>(key: string, meta: ObjectMeta | undefined, use: (located: Located) => Promise<T | null>): Promise<T | null> {
    const located = await this.paths.locate(key, meta);
    if (!located) return null;
    const found = await use(located);
    if (found !== null || !located.cached) return found;
    this.paths.forget(key);
    const fresh = await this.paths.resolve(key);
    return fresh && use(fresh);
  }
}
