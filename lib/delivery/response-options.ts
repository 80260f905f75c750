/** Reading the response options once, with the caller's factory name and option path in every message. */
import type { OptionsReader } from '../options/reader';
import { ACCEL_KEYS, readAccelOptions } from './accel';
import type { NormalizedDelivery } from './types';

export const DELIVERY_KEYS = ['cacheControl', 'maxRanges', 'accel', 'redirectExpiresIn', 'sendTimeoutMs'] as const;

/**
 * Reads {@link ResponseOptions} with the reader's factory and path in every message, so a bad
 * value nested in createStationFiles says `createStationFiles: delivery.maxRanges must be …`.
 *
 * @example
 * readDeliveryOptions(OptionsReader.of('createStationFiles', options, KEYS).nested('delivery', DELIVERY_KEYS));
 */
export function readDeliveryOptions(o: OptionsReader): NormalizedDelivery {
  return {
    cacheControl: o.string('cacheControl', /^[\x20-\x7e]+$/, 'a printable ASCII header value', 'private, no-cache'),
    maxRanges: o.integer('maxRanges', { min: 1, max: 100 }, 1),
    redirectExpiresIn: o.integer('redirectExpiresIn', { min: 1, max: 604_800 }, 300),
    sendTimeoutMs: o.integer('sendTimeoutMs', { min: 0, max: 2_147_483_647 }, 60_000),
    accel: readAccelOptions(o.nested('accel', ACCEL_KEYS)),
  };
}
