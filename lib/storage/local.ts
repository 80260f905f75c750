/**
 * localStorage: files under one root directory. Keys never escape the root: `..`, absolute
 * paths, NUL and symlinks that resolve outside the root all read as "not found". The pieces
 * live beside it: local-options.ts (the options, read once), local-paths.ts (keys to real paths,
 * and where stat found them), local-file-cache.ts (open descriptors shared for a moment),
 * local-files.ts and local-range-stream.ts (stat, open, streaming), local-meta.ts (size, mtime,
 * ETag), local-accel.ts (nginx hand-off).
 */
import { StorageError } from './errors';
import { localAccelTarget } from './local-accel';
import { OpenFiles } from './local-file-cache';
import { LocalFiles } from './local-files';
import { readLocalOptions, type LocalStorageOptions } from './local-options';
import { LocalPaths } from './local-paths';
import type { DeliveryMode, Storage } from './types';

export { LOCAL_FULL_SUFFIX } from './local-accel';
export { fileEtag } from './local-meta';
export type { LocalStorageOptions } from './local-options';

/** A {@link Storage} over a local directory. */
export interface LocalStorage extends Storage {
  readonly kind: 'local';
  readonly delivery: DeliveryMode;
  readonly root: string;
  /** The nginx internal location aliasing `root`, when set. */
  readonly accelPrefix?: string;
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
  const { root, accelPrefix, delivery, pathCacheMs, fileCacheMs, fileCacheFiles } = readLocalOptions(options);
  const paths = new LocalPaths(root, pathCacheMs);
  const files = new LocalFiles(paths, new OpenFiles(fileCacheMs, fileCacheFiles));
  const storage: LocalStorage = {
    kind: 'local',
    root,
    accelPrefix,
    delivery,
    stat: (key) => files.stat(key),
    open: (key, opts) => files.open(key, opts),
    read: (key, opts) => files.read(key, opts),
  };
  if (accelPrefix !== undefined) {
    storage.accel = async (key, request) => {
      const located = await paths.locate(key, request.meta);
      if (!located) throw new StorageError('not-found', 'no such file');
      return localAccelTarget(accelPrefix, located.relative, request.range);
    };
  }
  return storage;
}
