/**
 * The nginx hand-off of an S3 object: the app presigns the planned GetObject and passes its path,
 * host, range and If-Match to the shipped internal location in response headers nginx reads
 * (and never shows the client).
 */
import type { AccelRequest, AccelTarget } from './types';

/** Headers the shipped nginx location reads; the client never sees them. */
export const S3_ACCEL_HEADERS = {
  uri: 'X-Station-Files-S3-Uri',
  host: 'X-Station-Files-S3-Host',
  range: 'X-Station-Files-Range',
  ifMatch: 'X-Station-Files-If-Match',
} as const;

/**
 * The nginx variable that holds a hand-off header of the app's response in the internal
 * location: `$upstream_http_` and the header name in lower case with `-` as `_`.
 *
 * @example
 * upstreamHeaderVariable(S3_ACCEL_HEADERS.uri) // '$upstream_http_x_station_files_s3_uri'
 */
export function upstreamHeaderVariable(header: string): string {
  return `$upstream_http_${header.toLowerCase().replace(/-/g, '_')}`;
}

/**
 * The X-Accel-Redirect target for an S3 object: the internal `location` and the presigned URL's
 * path and host. Content-Type, Content-Disposition and Cache-Control travel in the app's own
 * response, which nginx keeps across the hand-off; the shipped location hides S3's copies. A
 * whole-object request is still pinned to the planned version with If-Match; only a 206 plan
 * sends Range, so S3 answers with the same status the plan chose.
 *
 * @example
 * s3AccelTarget('/_station_files/s3', new URL(presignedUrl), { meta, range: { start: 0, end: 99 } })
 * // { uri: '/_station_files/s3', headers: { 'X-Station-Files-S3-Uri': '/radio/a.mp3?X-Amz-…', … } }
 */
export function s3AccelTarget(location: string, presigned: URL, request: AccelRequest): AccelTarget {
  return {
    uri: location,
    headers: {
      [S3_ACCEL_HEADERS.uri]: presigned.pathname + presigned.search,
      [S3_ACCEL_HEADERS.host]: presigned.host,
      [S3_ACCEL_HEADERS.range]: request.range ? `bytes=${request.range.start}-${request.range.end}` : '',
      [S3_ACCEL_HEADERS.ifMatch]: request.meta.etag,
    },
  };
}
