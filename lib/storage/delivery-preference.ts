/** Resolves a storage factory's `delivery` option once, when the factory is called. */
import type { DeliveryMode, DeliveryPreference } from './types';

/**
 * Turns `auto` into a concrete mode and rejects modes the storage cannot do.
 *
 * @example
 * resolveDelivery('localStorage', 'auto', { accel: true, presign: false }) // 'accel'
 * resolveDelivery('localStorage', 'redirect', { accel: false, presign: false }) // throws TypeError
 */
export function resolveDelivery(factory: string, preference: DeliveryPreference | undefined, can: { accel: boolean; presign: boolean }): DeliveryMode {
  const wanted = preference ?? 'auto';
  if (wanted === 'auto') return can.accel ? 'accel' : 'stream';
  if (wanted === 'stream') return 'stream';
  if (wanted === 'accel') {
    if (!can.accel) throw new TypeError(`${factory}: delivery 'accel' needs nginx hand-off settings (accelPrefix or accel)`);
    return 'accel';
  }
  if (wanted === 'redirect') {
    if (!can.presign) throw new TypeError(`${factory}: delivery 'redirect' needs a storage that can presign URLs`);
    return 'redirect';
  }
  throw new TypeError(`${factory}: \`delivery\` must be 'auto', 'stream', 'accel' or 'redirect'`);
}
