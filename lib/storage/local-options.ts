/** The options of localStorage and their one reading, with the option's name in every message. */
import path from 'node:path';
import { OptionsReader } from '../options/reader';
import { resolveDelivery } from './delivery-preference';
import { nginxLocation } from './nginx-location';
import type { DeliveryMode, DeliveryPreference } from './types';

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
  /**
   * Milliseconds a key's real path (symlinks resolved, checked to be inside `root`) is reused by
   * later requests instead of resolving it again; the file is still stat'ed or opened on every
   * request, and a key whose file is gone is resolved afresh. A symlink inside `root` re-pointed
   * to another file inside `root` is followed within this time. 0 resolves every time.
   * @default 1000
   */
  pathCacheMs?: number;
  /**
   * Milliseconds an opened file's descriptor and metadata (size, mtime, ETag) are reused by later
   * requests, as nginx's `open_file_cache` does: a file replaced, changed or deleted is seen up to
   * this long later, each response still of one version with its own ETag (a file truncated in
   * that time cuts the responses that read past its new end). 0 opens the file per request.
   * @default 1000
   */
  fileCacheMs?: number;
  /** The most files kept open by that cache at once (the oldest is closed first). @default 128 */
  fileCacheFiles?: number;
}

/** {@link LocalStorageOptions} validated: an absolute root, an accelPrefix without trailing slashes. */
export interface LocalSettings {
  root: string;
  accelPrefix?: string;
  delivery: DeliveryMode;
  pathCacheMs: number;
  fileCacheMs: number;
  fileCacheFiles: number;
}

const FACTORY = 'localStorage';
const LOCAL_KEYS = ['root', 'accelPrefix', 'delivery', 'pathCacheMs', 'fileCacheMs', 'fileCacheFiles'] as const;

/**
 * Validates {@link LocalStorageOptions} once, when localStorage is called: unknown keys are
 * refused, `root` is made absolute, `accelPrefix` must be an nginx location path (its trailing
 * slashes are dropped), `delivery` must be a mode this storage can do, `pathCacheMs` and
 * `fileCacheMs` whole numbers of milliseconds up to a minute, `fileCacheFiles` 1 to 10,000.
 *
 * @example
 * readLocalOptions({ root: 'media', accelPrefix: '/internal/media/' })
 * // { root: '/srv/app/media', accelPrefix: '/internal/media', delivery: 'accel', pathCacheMs: 1000, fileCacheMs: 1000, fileCacheFiles: 128 }
 */
export function readLocalOptions(options: LocalStorageOptions): LocalSettings {
  const o = OptionsReader.of(FACTORY, options, LOCAL_KEYS);
  const root = o.string('root', /^[\s\S]+$/, 'a non-empty directory path', '');
  const accelPrefix = nginxLocation(o, 'accelPrefix');
  const delivery = resolveDelivery(FACTORY, o.raw('delivery') as DeliveryPreference | undefined, { accel: accelPrefix !== undefined, presign: false });
  const pathCacheMs = o.integer('pathCacheMs', { min: 0, max: 60_000 }, 1000);
  const fileCacheMs = o.integer('fileCacheMs', { min: 0, max: 60_000 }, 1000);
  const fileCacheFiles = o.integer('fileCacheFiles', { min: 1, max: 10_000 }, 128);
  return { root: path.resolve(root), accelPrefix: accelPrefix?.replace(/\/+$/, ''), delivery, pathCacheMs, fileCacheMs, fileCacheFiles };
}
