/**
 * The response headers of the generated nginx config's internal locations. nginx keeps only a few
 * of the app's headers across X-Accel-Redirect (Content-Type, Content-Disposition, Cache-Control,
 * Expires, Accept-Ranges, Set-Cookie); every other header the app set on its hand-off response is
 * restored here from `$upstream_http_*`, so a handed-off file carries the same security headers as
 * a streamed one. An empty variable adds no header, so a header the app did not set stays absent.
 */
import { reportLocationLine } from './nginx-report-config';

/**
 * Headers restored after a hand-off: the request id, CORS, and the security headers helmet 8
 * sets by default (plus the ones its options and common setups add: COEP, Permissions-Policy,
 * report-only CSP). X-Content-Type-Options is not here: every internal location sends its own
 * `nosniff`, whatever the app set.
 */
export const RESTORED_HEADERS: readonly string[] = [
  'X-Request-Id',
  'Access-Control-Allow-Origin',
  'Access-Control-Allow-Credentials',
  'Access-Control-Expose-Headers',
  'Content-Security-Policy',
  'Content-Security-Policy-Report-Only',
  'Cross-Origin-Embedder-Policy',
  'Cross-Origin-Opener-Policy',
  'Cross-Origin-Resource-Policy',
  'Origin-Agent-Cluster',
  'Permissions-Policy',
  'Referrer-Policy',
  'Strict-Transport-Security',
  'X-DNS-Prefetch-Control',
  'X-Download-Options',
  'X-Frame-Options',
  'X-Permitted-Cross-Domain-Policies',
  'X-XSS-Protection',
];

const varName = (header: string): string => header.toLowerCase().replace(/-/g, '_');

/**
 * The `set` + `add_header` lines restoring {@link RESTORED_HEADERS} (and, with `report`, the
 * report id's `set`). The `set`s run in the rewrite phase, before an S3 location proxies
 * anywhere, so `$upstream_http_*` is still the app's response.
 */
export function restoreHeaders(indent: string, report = false): string {
  return [
    ...(report ? [reportLocationLine(indent)] : []),
    ...RESTORED_HEADERS.map((h) => `${indent}set $sf_${varName(h)} $upstream_http_${varName(h)};`),
    ...RESTORED_HEADERS.map((h) => `${indent}add_header ${h} $sf_${varName(h)} always;`),
    `${indent}add_header X-Content-Type-Options nosniff always;`,
  ].join('\n');
}

/**
 * Response headers of S3 (or any S3-compatible server) an S3 location never passes on: the ones
 * the app's response or the location itself supplies (S3's copies would duplicate or contradict
 * them) and server identity. Every `x-amz-*` / `x-rgw-*` header is cleared separately, by pattern.
 */
export const S3_HIDDEN_HEADERS: readonly string[] = [
  'Set-Cookie',
  'Server',
  'Content-Type',
  'Content-Disposition',
  'Cache-Control',
  'Expires',
  'Accept-Ranges',
  'X-Content-Type-Options',
  ...RESTORED_HEADERS,
];

/** Request headers an S3 location sends (all others, the client's included, are not passed). */
export const S3_REQUEST_HEADERS = {
  Connection: '""',
  Host: '$sf_host',
  Range: '$sf_range',
  'If-Match': '$sf_if_match',
} as const;
