/** The one rule for the nginx location a storage hands files to (`accelPrefix`, `accel.location`). */
import type { OptionsReader } from '../options/reader';

/** An absolute nginx location path: starts with `/`, no `?`, `#`, `%` or whitespace. */
const LOCATION_PATH = /^\/[^?#%\s]*$/;

/**
 * Reads the nginx location path option `key` (used verbatim in X-Accel-Redirect values and in
 * the generated nginx config, so it may not carry a query, fragment, escape or space). Returns
 * `fallback` when the option is absent (undefined: no location), and throws the reader's
 * TypeError with the option's full path when it is not such a path.
 *
 * @example
 * const o = OptionsReader.of('localStorage', { root: '/srv', accelPrefix: '/internal/media' }, ['root', 'accelPrefix']);
 * nginxLocation(o, 'accelPrefix') // '/internal/media'
 */
export function nginxLocation(o: OptionsReader, key: string, fallback: string): string;
export function nginxLocation(o: OptionsReader, key: string): string | undefined;
export function nginxLocation(o: OptionsReader, key: string, fallback?: string): string | undefined {
  const value = o.raw(key) ?? fallback;
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !LOCATION_PATH.test(value)) {
    o.fail(key, 'an nginx location path starting with "/", without ?, #, % or spaces');
  }
  return value;
}
