/**
 * The S3 side of the generated nginx config: which host nginx connects to for an S3 storage (the
 * host of the presigned URLs the app makes, resolved by the S3 client's own endpoint rules), and
 * the internal location that fetches a presigned URL with an allowlist of headers each way.
 */
import type { S3Storage } from '../storage/s3';
import { restoreHeaders, S3_HIDDEN_HEADERS, S3_REQUEST_HEADERS } from './nginx-headers';
import { S3_ACCEL_HEADERS, upstreamHeaderVariable } from '../storage/s3-accel';

/** Where nginx connects for one S3 storage: the scheme, host and port of its presigned URLs. */
export interface S3Upstream {
  scheme: 'http' | 'https';
  hostname: string;
  port: number;
}

/** The nginx module the S3 location needs for `more_clear_headers` (Debian: libnginx-mod-http-headers-more-filter). */
export const HEADERS_MORE_MODULE = 'ngx_http_headers_more_filter_module.so';

type Flag = boolean | undefined | (() => Promise<boolean | undefined>);
const flag = async (value: Flag): Promise<boolean> => Boolean(typeof value === 'function' ? await value() : value);

/**
 * Resolves the endpoint of GetObject on the storage's bucket exactly as the SDK does for the
 * presigned URLs the app hands to nginx: the client's endpoint rule set with its region, FIPS,
 * dual-stack, path-style and accelerate settings. A client without an explicit endpoint gets
 * AWS's regional HTTPS endpoint, virtual-hosted (`bucket.s3.region.amazonaws.com`) or path style.
 */
export async function s3Upstream(s: S3Storage): Promise<S3Upstream> {
  const config = s.client.config;
  const custom = config.endpoint ? await config.endpoint() : undefined;
  const endpoint = custom ? `${custom.protocol}//${custom.hostname}${custom.port ? `:${custom.port}` : ''}${custom.path ?? ''}` : undefined;
  let url: URL;
  try {
    url = config.endpointProvider({
      Bucket: s.bucket,
      Key: 'k',
      Region: await config.region(),
      UseFIPS: await flag(config.useFipsEndpoint),
      UseDualStack: await flag(config.useDualstackEndpoint),
      ForcePathStyle: await flag(config.forcePathStyle),
      Accelerate: await flag(config.useAccelerateEndpoint),
      Endpoint: endpoint,
    }).url;
  } catch (err) {
    throw new TypeError(`nginxConfig: no endpoint for S3 bucket ${s.bucket} (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`nginxConfig: S3 endpoint ${url.href} is not http(s)`);
  const scheme = url.protocol === 'https:' ? 'https' : 'http';
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { scheme, hostname, port: url.port ? Number(url.port) : scheme === 'https' ? 443 : 80 };
}

/** `host:port` for an nginx `server` line (IPv6 in brackets). */
export const upstreamServer = (u: S3Upstream): string => `${u.hostname.includes(':') ? `[${u.hostname}]` : u.hostname}:${u.port}`;

function tlsLines(u: S3Upstream, trustedCertificate: string, indent: string): string[] {
  if (u.scheme !== 'https') return [];
  return [
    `# HTTPS to S3: SNI and certificate checked against ${u.hostname}.`,
    'proxy_ssl_server_name on;',
    `proxy_ssl_name ${u.hostname};`,
    'proxy_ssl_verify on;',
    'proxy_ssl_verify_depth 4;',
    `proxy_ssl_trusted_certificate ${trustedCertificate};`,
    'proxy_ssl_session_reuse on;',
  ].map((l) => indent + l);
}

/**
 * The internal location for S3 hand-offs at `location`: nginx fetches the presigned URL the app
 * planned, sending only Host, Range and If-Match, and passes S3's answer without any `x-amz-*`,
 * `x-rgw-*` or duplicate headers; S3 errors become the plain 502, a failed If-Match the 503.
 */
export function s3Location(location: string, upstreamName: string, u: S3Upstream, trustedCertificate: string, report = false): string {
  const i = '        ';
  return `    # s3Storage({ accel: { location: '${location}' } }): nginx fetches the presigned URL the app
    # planned, with the app's explicit range and If-Match on the planned ETag.
    location = ${location} {
        internal;
        set $sf_uri ${upstreamHeaderVariable(S3_ACCEL_HEADERS.uri)};
        set $sf_host ${upstreamHeaderVariable(S3_ACCEL_HEADERS.host)};
        set $sf_range ${upstreamHeaderVariable(S3_ACCEL_HEADERS.range)};
        set $sf_if_match ${upstreamHeaderVariable(S3_ACCEL_HEADERS.ifMatch)};
${restoreHeaders(i, report)}
        proxy_pass ${u.scheme}://${upstreamName}$sf_uri;
        proxy_http_version 1.1;
${tlsLines(u, trustedCertificate, i).join('\n')}
        # To S3, an allowlist: none of the client's headers (cookies, Authorization, Origin,
        # x-amz-*, X-Forwarded-For, ...) and no body, only what the presigned request needs.
        proxy_pass_request_headers off;
        proxy_pass_request_body off;
${Object.entries(S3_REQUEST_HEADERS)
  .map(([h, v]) => `${i}proxy_set_header ${h} ${v};`)
  .join('\n')}
        # From S3: every x-amz-* / x-rgw-* header (request ids, version ids, user metadata
        # x-amz-meta-*, encryption, checksums, ...) is cleared (needs ${HEADERS_MORE_MODULE});
        # headers the app's response supplies are hidden so the client gets them once.
        more_clear_headers 'x-amz-*' 'x-rgw-*';
${S3_HIDDEN_HEADERS.map((h) => `${i}proxy_hide_header ${h};`).join('\n')}
        proxy_max_temp_file_size 0;
        max_ranges 0;
        proxy_intercept_errors on;
        error_page 400 403 404 416 500 502 503 504 =502 /_station_files/storage-error;
        error_page 412 =503 /_station_files/changed;
    }`;
}
