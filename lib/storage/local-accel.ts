/** The nginx hand-off of a local file: an X-Accel-Redirect into the location that aliases the root. */
import { encodePath } from './keys';
import type { AccelTarget, ByteRange } from './types';

/** The twin nginx location (`accelPrefix` + this) that serves whole-file plans with ranges off. */
export const LOCAL_FULL_SUFFIX = '.full';

/**
 * The X-Accel-Redirect target of a file at `relative` (segments under the root). nginx serves
 * the bytes with its own Range handling: a whole-file plan goes to the twin location where
 * ranges are off, so nginx sends exactly what the app planned.
 *
 * @example
 * localAccelTarget('/internal/media', ['my show', 'a.mp3'], { start: 0, end: 99 }) // { uri: '/internal/media/my%20show/a.mp3' }
 * localAccelTarget('/internal/media', ['a.mp3'])                                  // { uri: '/internal/media.full/a.mp3' }
 */
export function localAccelTarget(accelPrefix: string, relative: readonly string[], range?: ByteRange): AccelTarget {
  const location = range ? accelPrefix : `${accelPrefix}${LOCAL_FULL_SUFFIX}`;
  return { uri: `${location}/${encodePath(relative)}` };
}
