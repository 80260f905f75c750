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
}

/** {@link LocalStorageOptions} validated: an absolute root, an accelPrefix without trailing slashes. */
export interface LocalSettings {
  root: string;
  accelPrefix?: string;
  delivery: DeliveryMode;
}

const FACTORY = 'localStorage';
const LOCAL_KEYS = ['root', 'accelPrefix', 'delivery'] as const;

/**
 * Validates {@link LocalStorageOptions} once, when localStorage is called: unknown keys are
 * refused, `root` is made absolute, `accelPrefix` must be an nginx location path (its trailing
 * slashes are dropped), and `delivery` must be a mode this storage can do.
 *
 * @example
 * readLocalOptions({ root: 'media', accelPrefix: '/internal/media/' })
 * // { root: '/srv/app/media', accelPrefix: '/internal/media', delivery: 'accel' }
 */
export function readLocalOptions(options: LocalStorageOptions): LocalSettings {
  const o = OptionsReader.of(FACTORY, options, LOCAL_KEYS);
  const root = o.string('root', /^[\s\S]+$/, 'a non-empty directory path', '');
  const accelPrefix = nginxLocation(o, 'accelPrefix');
  const delivery = resolveDelivery(FACTORY, o.raw('delivery') as DeliveryPreference | undefined, { accel: accelPrefix !== undefined, presign: false });
  return { root: path.resolve(root), accelPrefix: accelPrefix?.replace(/\/+$/, ''), delivery };
}
