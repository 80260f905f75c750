/** Station media: played inline in the dashboard's players by staff with the `media` permission. */
import type { Catalog, EndpointSpec } from './types';

/** Default path, the shape radio panels already use. */
export const MEDIA_PATH = '/station/:station/file/:id/play';

/**
 * The media play endpoint over the host's `catalog.mediaFile`.
 *
 * @example
 * const spec = mediaEndpoint(catalog); // GET|HEAD /station/1/file/12/play
 */
export function mediaEndpoint(catalog: Catalog, path = MEDIA_PATH): EndpointSpec {
  const lookup = catalog.mediaFile;
  if (!lookup) throw new TypeError('createStationFiles: `catalog.mediaFile` is required for media()');
  return {
    kind: 'media',
    path,
    permission: 'media',
    params: ['station', 'id'],
    fileParam: 'id',
    disposition: 'inline',
    lookup: (p, req) => lookup({ station: p.station as string, id: p.id as string }, req),
  };
}
