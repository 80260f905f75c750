/**
 * nginxConfig: the nginx server block for an app using station-files, generated from the same
 * storages the app uses, so the internal locations and the app cannot drift apart.
 */
import { LOCAL_FULL_SUFFIX, type LocalStorage } from '../storage/local';
import type { S3Storage } from '../storage/s3';
import { ACCEL_PROXY_HEADER, REPORT_HEADER } from './accel';
import { restoreHeaders } from './nginx-headers';
import { reportHttpLines } from './nginx-report-config';
import { normalizeNginxOptions, safe, type NginxConfigOptions, type NormalizedNginxOptions } from './nginx-options';
import { HEADERS_MORE_MODULE, s3Location, s3Upstream, upstreamServer, type S3Upstream } from './nginx-s3';

export type { NextUpstreamCondition, NextUpstreamOptions, NginxConfigOptions } from './nginx-options';

function localLocation(s: LocalStorage, report: boolean): string {
  const prefix = safe('accelPrefix', s.accelPrefix as string);
  const root = safe('root', s.root);
  // The app has already decided the preconditions (304/412 never reach nginx), so nginx must
  // not decide them again: if_modified_since off; and the whole-file plans go to a twin
  // location with range support off, so a Range header the app ignored stays ignored.
  const location = (path: string, ranges: string, comment: string): string => `    # ${comment}
    location ^~ ${path}/ {
        internal;
        alias ${root}/;
        if_modified_since off;
        max_ranges ${ranges};
${restoreHeaders('        ', report)}
    }`;
  return [
    location(prefix, '1', `localStorage({ root: '${s.root}', accelPrefix: '${s.accelPrefix}' }): planned 206 (one range)`),
    location(`${prefix}${LOCAL_FULL_SUFFIX}`, '0', 'the same files, planned 200 (whole file)'),
  ].join('\n\n');
}

interface S3Locations {
  /** accel location → its upstream */
  byLocation: Map<string, S3Upstream>;
  /** distinct upstreams, keyed `scheme://host:port`, in order */
  upstreams: Map<string, S3Upstream>;
}

const upstreamKey = (u: S3Upstream): string => `${u.scheme}://${upstreamServer(u)}`;

/** One S3 location per accel location; one location cannot serve two endpoints. */
async function s3Locations(storages: NormalizedNginxOptions['storages']): Promise<S3Locations> {
  const byLocation = new Map<string, S3Upstream>();
  const upstreams = new Map<string, S3Upstream>();
  for (const storage of storages) {
    if (storage.kind !== 's3' || !(storage as S3Storage).accelLocation) continue;
    const s = storage as S3Storage;
    const location = safe('accel.location', s.accelLocation as string);
    const u = await s3Upstream(s);
    safe('S3 endpoint', upstreamServer(u));
    const known = byLocation.get(location);
    if (known && upstreamKey(known) !== upstreamKey(u)) {
      throw new TypeError(`nginxConfig: ${location} is used for two S3 endpoints (${upstreamKey(known)}, ${upstreamKey(u)})`);
    }
    byLocation.set(location, u);
    upstreams.set(upstreamKey(u), u);
  }
  return { byLocation, upstreams };
}

/** `proxy_next_upstream` lines of the app location (nginxConfig's `nextUpstream`). */
function nextUpstreamLines(next: NormalizedNginxOptions['nextUpstream']): string {
  if (next === null) return '        proxy_next_upstream off;\n';
  return `        # A request no app server answered (${next.when.join(', ')}) goes to the next one, only while
        # nothing of the response reached the client, and never a POST/PATCH/LOCK (non_idempotent off).
        proxy_next_upstream ${next.when.join(' ')};
        proxy_next_upstream_tries ${next.tries};
`;
}

/**
 * Idle connections to the app each nginx worker keeps. With fewer than the requests in flight,
 * every request beyond them opened and closed a connection to the app: at 16, under 50 podcast
 * listeners, that cost the app and nginx CPU and doubled the p99 latency (see the README).
 */
const APP_KEEPALIVE = 64;
/** Below Node's default `server.keepAliveTimeout` (5 s), so nginx never reuses one the app is closing. */
const APP_KEEPALIVE_TIMEOUT = '4s';

/** The proxy to the app: X-Forwarded-For set (never appended), body size as configured. */
function appLocation(o: NormalizedNginxOptions): string {
  return `    location / {
${o.clientMaxBodySize === undefined ? '' : `        client_max_body_size ${o.clientMaxBodySize};\n`}        proxy_pass http://station_files_app;
${nextUpstreamLines(o.nextUpstream)}        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $http_host;
        # The address nginx saw (after real_ip, when realIpFrom is set), never the client's own
        # X-Forwarded-For: trust one proxy hop in the app (Express 'trust proxy': 'loopback').
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Request-Id $request_id;
        # Tells the app that hand-offs will be honoured (accel.proxyHeader).
        proxy_set_header ${ACCEL_PROXY_HEADER} 1;
        # The report id is for nginx's internal locations only.
        proxy_hide_header ${REPORT_HEADER};
        # Stream delivery: never spool a 2 GB body to disk; Node's backpressure reaches the client.
        proxy_max_temp_file_size 0;
        proxy_request_buffering off;
    }`;
}

function realIpLines(from: string[]): string {
  if (from.length === 0) return '';
  return `    # Proxies in front of nginx (realIpFrom): their X-Forwarded-For names the client.
${from.map((a) => `    set_real_ip_from ${a};`).join('\n')}
    real_ip_header X-Forwarded-For;
    real_ip_recursive on;
`;
}

const ERROR_LOCATIONS = `    location = /_station_files/changed {
        internal;
        default_type text/plain;
        add_header Cache-Control no-store always;
        add_header Retry-After 1 always;
        return 503 "File changed during the request, retry\\n";
    }

    location = /_station_files/storage-error {
        internal;
        default_type text/plain;
        add_header Cache-Control no-store always;
        return 502 "Storage unavailable\\n";
    }`;

/**
 * Renders an nginx `server { }` block (plus `upstream` blocks) for `http { }`: a proxy to the
 * app that sets `X-Forwarded-For` to the address nginx saw, an internal alias location per local
 * storage with `accelPrefix`, and an internal presigned-URL proxy location per S3 storage with
 * `accel` (HTTP or verified HTTPS to the host the SDK presigns for, AWS included). Every header
 * the app set on a hand-off (request id, CORS, helmet's security headers) is restored after it.
 * S3 locations clear S3's `x-amz-*` / `x-rgw-*` headers with `more_clear_headers`, so nginx needs
 * the headers-more module (Debian: `libnginx-mod-http-headers-more-filter`) when any S3 storage
 * has `accel`; the output says so in its first lines. With `report`, nginx sends the app's
 * receiver (createNginxReports) one line per hand-off when it has finished sending it. `app` may
 * list several instances: a request one of them refused or left unanswered goes to the next
 * (`nextUpstream`), never once the client has received part of its response.
 *
 * @example
 * const conf = await nginxConfig({
 *   listen: '80', app: ['10.0.0.5:3000', '10.0.0.6:3000'], storages: { media, recordings },
 *   clientMaxBodySize: '500m', realIpFrom: ['10.0.0.0/8'],
 * });
 * await writeFile('/etc/nginx/conf.d/station-files.conf', conf);
 */
export async function nginxConfig(options: NginxConfigOptions): Promise<string> {
  const o = normalizeNginxOptions(options);
  const locals = o.storages
    .filter((s): s is LocalStorage => s.kind === 'local' && Boolean((s as LocalStorage).accelPrefix))
    .map((s) => localLocation(s, o.report !== null));
  const s3 = await s3Locations(o.storages);
  const keys = [...s3.upstreams.keys()];
  const upstreamName = (u: S3Upstream): string => `station_files_s3_${keys.indexOf(upstreamKey(u))}`;
  const needsModule =
    s3.byLocation.size > 0
      ? `# Needs nginx's headers-more module (Debian: apt-get install libnginx-mod-http-headers-more-filter,
# which loads it from /etc/nginx/modules-enabled; elsewhere: load_module modules/${HEADERS_MORE_MODULE};).
`
      : '';
  const s3Blocks = [...s3.byLocation].map(([loc, u]) => s3Location(loc, upstreamName(u), u, o.s3TrustedCertificate, o.report !== null));
  return `# Generated by station-files nginxConfig(); include inside http { }.
${needsModule}${o.report ? reportHttpLines(o.report) : ''}upstream station_files_app { ${o.app.map((a) => `server ${a}; `).join('')}keepalive ${APP_KEEPALIVE}; keepalive_timeout ${APP_KEEPALIVE_TIMEOUT}; }
${[...s3.upstreams.values()].map((u) => `upstream ${upstreamName(u)} { server ${upstreamServer(u)}; keepalive 16; }`).join('\n')}

server {
    listen ${o.listen};
    server_name ${o.serverName};
    server_tokens off;
${realIpLines(o.realIpFrom)}
${appLocation(o)}

${[...locals, ...s3Blocks].join('\n\n')}

${ERROR_LOCATIONS}
}
`;
}
