/** Recordings of live broadcasts: downloaded by staff with the `streamers` permission. */
import type { Catalog, EndpointSpec } from './types';

/** Default path, the shape radio panels already use. */
export const RECORDING_PATH = '/station/:station/streamer/:streamer/broadcast/:broadcast/download';

/**
 * The recording download endpoint over the host's `catalog.recording`.
 *
 * @example
 * const spec = recordingEndpoint(catalog); // GET|HEAD /station/1/streamer/4/broadcast/77/download
 */
export function recordingEndpoint(catalog: Catalog, path = RECORDING_PATH): EndpointSpec {
  const lookup = catalog.recording;
  if (!lookup) throw new TypeError('createStationFiles: `catalog.recording` is required for recordings()');
  return {
    kind: 'recording',
    path,
    permission: 'streamers',
    params: ['station', 'streamer', 'broadcast'],
    fileParam: 'broadcast',
    disposition: 'attachment',
    lookup: (p, req) => lookup({ station: p.station as string, streamer: p.streamer as string, broadcast: p.broadcast as string }, req),
  };
}
