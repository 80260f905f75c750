/** The file operations of one localStorage: stat, open and read, over keys resolved by LocalPaths. */
import type { Readable } from 'node:stream';
import { StorageError } from './errors';
import type { FileLease, OpenFiles } from './local-file-cache';
import { fileEtag, fileMeta } from './local-meta';
import type { LocalPaths, Located } from './local-paths';
import { rangeStream } from './local-range-stream';
import type { ObjectMeta, OpenOptions, ReadOptions, ReadResult } from './types';

/** stat, open and read of the files under one root. */
export class LocalFiles {
  constructor(
    private readonly paths: LocalPaths,
    private readonly files: OpenFiles,
  ) {}

  /**
   * The metadata of a key's regular file, or null; remembers where it was for open and accel.
   * It comes from the open descriptor (see OpenFiles), so a later open in the same request reads
   * the file it describes.
   *
   * @example
   * const meta = await new LocalFiles(new LocalPaths('/srv/media'), new OpenFiles(1000, 128)).stat('a.mp3');
   */
  async stat(key: string): Promise<ObjectMeta | null> {
    return this.atPath(key, undefined, async (located) => {
      const lease = await this.files.lease(located.file);
      if (!lease) return null;
      const meta = fileMeta(lease.file.stats);
      lease.release();
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
    const lease = await this.leaseKey(key, opts.meta);
    if (!lease) throw new StorageError('not-found', 'no such file');
    if (opts.ifMatch !== undefined && fileEtag(lease.file.stats) !== opts.ifMatch) {
      lease.release();
      throw new StorageError('changed', 'file changed since the response was planned');
    }
    return rangeStream(lease, opts.range, opts.signal);
  }

  /**
   * Stream delivery: metadata from the open descriptor and the body in one go (no separate
   * stat). A range starting past the end gives metadata only; an open end is the last byte.
   *
   * @example
   * const found = await files.read('a.mp3', { range: { start: 100 }, signal });
   */
  async read(key: string, opts: ReadOptions): Promise<ReadResult | null> {
    const lease = await this.leaseKey(key);
    if (!lease) return null;
    const { stats } = lease.file;
    const meta = fileMeta(stats);
    if (opts.range && opts.range.start >= stats.size) {
      lease.release();
      return { meta, range: null, body: null };
    }
    const last = stats.size - 1;
    const range = opts.range ? { start: opts.range.start, end: Math.min(opts.range.end ?? last, last) } : null;
    return { meta, range, body: rangeStream(lease, range ?? undefined, opts.signal) };
  }

  /** A lease on the file a key names (where stat found it, when `meta` came from stat). */
  private leaseKey(key: string, meta?: ObjectMeta): Promise<FileLease | null> {
    return this.atPath(key, meta, (located) => this.files.lease(located.file));
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
