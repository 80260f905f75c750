/**
 * localStorage: files under one root directory. Keys never escape the root: `..`, absolute
 * paths, NUL and symlinks that resolve outside the root all read as "not found".
 */
import { createReadStream, type Stats } from 'node:fs';
import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { StorageError } from './errors';
import { encodePath, keySegments } from './keys';
import { resolveDelivery } from './delivery-preference';
import type { AccelRequest, AccelTarget, ByteRange, DeliveryMode, DeliveryPreference, ObjectMeta, OpenOptions, ReadOptions, ReadResult, Storage } from './types';

/** Options for {@link localStorage}. */
export interface LocalStorageOptions {
  /** The directory files are served from. Must exist when the first request arrives. */
  root: string;
  /**
   * The nginx `internal` location that aliases `root` (for example `/internal/media`). When set,
   * files are handed to nginx with X-Accel-Redirect; when absent, they are streamed by Node.
   * @default undefined
   */
  accelPrefix?: string;
  /** `auto`: accel when `accelPrefix` is set, else stream. @default 'auto' */
  delivery?: DeliveryPreference;
}

/** The twin nginx location (`accelPrefix` + this) that serves whole-file plans with ranges off. */
export const LOCAL_FULL_SUFFIX = '.full';

/** A {@link Storage} over a local directory. */
export interface LocalStorage extends Storage {
  readonly kind: 'local';
  readonly delivery: DeliveryMode;
  readonly root: string;
  /** The nginx internal location aliasing `root`, when set. */
  readonly accelPrefix?: string;
}

/**
 * The ETag nginx itself sends for a static file (`"<mtime seconds hex>-<size hex>"`), so a
 * client sees one validator whether the bytes came through nginx or through Node.
 */
export function fileEtag(stats: Pick<Stats, 'mtimeMs' | 'size'>): string {
  return `"${Math.floor(stats.mtimeMs / 1000).toString(16)}-${stats.size.toString(16)}"`;
}

function normalizeOptions(options: LocalStorageOptions): { root: string; accelPrefix?: string; delivery: DeliveryMode } {
  if (!options || typeof options.root !== 'string' || options.root === '') {
    throw new TypeError('localStorage: `root` must be a non-empty directory path');
  }
  const { accelPrefix } = options;
  if (accelPrefix !== undefined && (typeof accelPrefix !== 'string' || !/^\/[^?#%\s]*$/.test(accelPrefix))) {
    throw new TypeError('localStorage: `accelPrefix` must be an nginx location path starting with "/", without ?, #, % or spaces');
  }
  const delivery = resolveDelivery('localStorage', options.delivery, { accel: accelPrefix !== undefined, presign: false });
  return { root: path.resolve(options.root), accelPrefix: accelPrefix?.replace(/\/+$/, ''), delivery };
}

/**
 * Creates a storage over a local directory. With `accelPrefix`, responses are handed to nginx
 * (X-Accel-Redirect) after the app has authenticated, authorized and planned them.
 *
 * @example
 * const media = localStorage({ root: '/var/radio/stations', accelPrefix: '/internal/stations' });
 * const meta = await media.stat('station-1/media/song.mp3'); // { size, mtime, etag, ... } or null
 */
export function localStorage(options: LocalStorageOptions): LocalStorage {
  const { root, accelPrefix, delivery } = normalizeOptions(options);
  let realRoot: Promise<string> | undefined;
  const rootReal = (): Promise<string> => (realRoot ??= realpath(root).catch((err: unknown) => {
    realRoot = undefined;
    throw new StorageError('unavailable', `localStorage root ${root} is not readable`, { cause: err });
  }));

  /** The real path of a key's file, or null when it is invalid, missing or outside the root. */
  async function resolve(key: string): Promise<{ file: string; relative: string[] } | null> {
    const segments = keySegments(key);
    if (!segments) return null;
    const base = await rootReal();
    let file: string;
    try {
      file = await realpath(path.join(base, ...segments));
    } catch {
      return null;
    }
    if (!file.startsWith(base + path.sep)) return null; // a symlink that leaves the root
    return { file, relative: path.relative(base, file).split(path.sep) };
  }

  // Where stat() found each key, keyed by the metadata object it returned: open() and accel()
  // of the same request reuse it instead of resolving the path again (realpath was a quarter of
  // the app's CPU under a small-range load).
  const located = new WeakMap<ObjectMeta, { key: string; file: string; relative: string[] }>();
  const locate = (key: string, meta?: ObjectMeta) => {
    const known = meta && located.get(meta);
    return known && known.key === key ? Promise.resolve(known) : resolve(key);
  };

  async function statKey(key: string): Promise<ObjectMeta | null> {
    const resolved = await resolve(key);
    if (!resolved) return null;
    const stats = await stat(resolved.file).catch(() => null);
    if (!stats?.isFile()) return null;
    const meta: ObjectMeta = { size: stats.size, mtime: stats.mtime, etag: fileEtag(stats) };
    located.set(meta, { key, ...resolved });
    return meta;
  }

  /** Opens the file a key names and reads its metadata from the open descriptor. */
  async function openFile(key: string, meta?: ObjectMeta): Promise<{ handle: FileHandle; stats: Stats } | null> {
    const resolved = await locate(key, meta);
    if (!resolved) return null;
    const handle = await open(resolved.file, 'r').catch(() => null);
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

  /** A stream of `range` (or the whole file) that owns `handle`, tied to the abort signal. */
  async function streamOf(handle: FileHandle, size: number, range: ByteRange | undefined, signal?: AbortSignal): Promise<Readable> {
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
    if (signal) {
      const onAbort = (): void => void stream.destroy();
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      stream.once('close', () => signal.removeEventListener('abort', onAbort));
    }
    return stream;
  }

  async function openKey(key: string, opts: OpenOptions): Promise<Readable> {
    const opened = await openFile(key, opts.meta);
    if (!opened) throw new StorageError('not-found', 'no such file');
    if (opts.ifMatch !== undefined && fileEtag(opened.stats) !== opts.ifMatch) {
      await opened.handle.close();
      throw new StorageError('changed', 'file changed since the response was planned');
    }
    return streamOf(opened.handle, opened.stats.size, opts.range, opts.signal);
  }

  // Stream delivery: metadata from the open descriptor and the body in one go (no separate stat).
  async function readKey(key: string, opts: ReadOptions): Promise<ReadResult | null> {
    const opened = await openFile(key);
    if (!opened) return null;
    const { handle, stats } = opened;
    const meta: ObjectMeta = { size: stats.size, mtime: stats.mtime, etag: fileEtag(stats) };
    if (opts.range && opts.range.start >= stats.size) {
      await handle.close();
      return { meta, range: null, body: null };
    }
    const range = opts.range ? { start: opts.range.start, end: Math.min(opts.range.end ?? stats.size - 1, stats.size - 1) } : null;
    return { meta, range, body: await streamOf(handle, stats.size, range ?? undefined, opts.signal) };
  }

  const storage: LocalStorage = { kind: 'local', root, accelPrefix, delivery, stat: statKey, open: openKey, read: readKey };
  if (accelPrefix !== undefined) {
    storage.accel = async (key: string, request: AccelRequest): Promise<AccelTarget> => {
      const resolved = await locate(key, request.meta);
      if (!resolved) throw new StorageError('not-found', 'no such file');
      // nginx serves the bytes with its own Range handling: a whole-file plan goes to the twin
      // location where ranges are off, so nginx sends exactly what the app planned.
      const location = request.range ? accelPrefix : `${accelPrefix}${LOCAL_FULL_SUFFIX}`;
      return { uri: `${location}/${encodePath(resolved.relative)}` };
    };
  }
  return storage;
}
