/**
 * nginxConfig: the nginx server block for an app using station-files, generated from the same
 * storages the app uses, so the internal locations and the app cannot drift apart.
 */
import { LOCAL_FULL_SUFFIX, type LocalStorage } from '../storage/local';
import { ACCEL_PROXY_HEADER } from './accel';
import type { S3Storage } from '../storage/s3';
import type { Storage } from '../storage/types';

/** Options for {@link nginxConfig}. */
export interface NginxConfigOptions {
  /** nginx `listen` value, e.g. `80` or `127.0.0.1:8080`. */
  listen: string;
  /** The Node app, `host:port`. */
  app: string;
  /** The app's storages (the same objects passed to createStationFiles). */
  storages: Record<string, Storage>;
  /** `server_name`. @default '_' */
  serverName?: string;
}

// Headers the app sets that nginx would drop across X-Accel-Redirect; restored in every internal location.
const RESTORED = ['X-Request-Id', 'Access-Control-Allow-Origin', 'Access-Control-Expose-Headers', 'Cross-Origin-Resource-Policy'];
const SAFE = /^[\w./:\[\]-]+$/;

const varName = (header: string): string => header.toLowerCase().replace(/-/g, '_');

function restoreHeaders(indent: string): string {
  return [
    ...RESTORED.map((h) => `${indent}set $sf_${varName(h)} $upstream_http_${varName(h)};`),
    ...RESTORED.map((h) => `${indent}add_header ${h} $sf_${varName(h)} always;`),
    `${indent}add_header X-Content-Type-Options nosniff always;`,
  ].join('\n');
}

function safe(name: string, value: string): string {
  if (!SAFE.test(value)) throw new TypeError(`nginxConfig: ${name} "${value}" has characters nginx would misread`);
  return value;
}

function localLocation(s: LocalStorage): string {
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
${restoreHeaders('        ')}
    }`;
  return [
    location(prefix, '1', `localStorage({ root: '${s.root}', accelPrefix: '${s.accelPrefix}' }): planned 206 (one range)`),
    location(`${prefix}${LOCAL_FULL_SUFFIX}`, '0', 'the same files, planned 200 (whole file)'),
  ].join('\n\n');
}

function s3Location(location: string, upstream: string): string {
  return `    # s3Storage({ accel: { location: '${location}' } }): nginx fetches the presigned URL the app
    # planned, with the app's explicit range and If-Match on the planned ETag.
    location = ${safe('accel.location', location)} {
        internal;
        set $sf_uri $upstream_http_x_station_files_s3_uri;
        set $sf_host $upstream_http_x_station_files_s3_host;
        set $sf_range $upstream_http_x_station_files_range;
        set $sf_if_match $upstream_http_x_station_files_if_match;
${restoreHeaders('        ')}
        proxy_pass http://${upstream}$sf_uri;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $sf_host;
        proxy_set_header Range $sf_range;
        proxy_set_header If-Match $sf_if_match;
${['If-None-Match', 'If-Modified-Since', 'If-Unmodified-Since', 'If-Range', 'Authorization', 'Cookie', 'X-Forwarded-For', 'X-Request-Id']
    .map((h) => `        proxy_set_header ${h} "";`).join('\n')}
${['x-amz-request-id', 'x-amz-id-2', 'x-amz-version-id', 'x-rgw-object-type', 'x-amz-storage-class', 'Set-Cookie', 'Server',
    // The app's own copies of these travel across the hand-off; S3's would duplicate them.
    'Content-Type', 'Content-Disposition', 'Cache-Control', 'Expires', 'Accept-Ranges']
    .map((h) => `        proxy_hide_header ${h};`).join('\n')}
        proxy_max_temp_file_size 0;
        max_ranges 0;
        proxy_intercept_errors on;
        error_page 400 403 404 416 500 502 503 504 =502 /_station_files/storage-error;
        error_page 412 =503 /_station_files/changed;
    }`;
}

async function endpointHost(s: S3Storage): Promise<string> {
  const provider = s.client.config.endpoint;
  if (!provider) throw new TypeError(`nginxConfig: the S3 client of bucket ${s.bucket} has no endpoint (set one for S3 hand-offs)`);
  const ep = await provider();
  return `${ep.hostname}${ep.port ? `:${ep.port}` : ''}`;
}

/**
 * Renders an nginx `server { }` block (plus `upstream` blocks) for `http { }`: a proxy to the
 * app, an internal alias location per local storage with `accelPrefix`, and an internal
 * presigned-URL proxy location per S3 storage with `accel`. Headers the app sets (request id,
 * CORS, CORP) are restored after the hand-off, where nginx would otherwise drop them.
 *
 * @example
 * const conf = await nginxConfig({ listen: '80', app: '127.0.0.1:3000', storages: { media, recordings } });
 * await writeFile('/etc/nginx/conf.d/station-files.conf', conf);
 */
export async function nginxConfig(options: NginxConfigOptions): Promise<string> {
  const listen = safe('listen', options.listen);
  const app = safe('app', options.app);
  const serverName = safe('serverName', options.serverName ?? '_');
  const locals: string[] = [];
  const s3ByLocation = new Map<string, string>();
  for (const storage of Object.values(options.storages)) {
    if (storage.kind === 'local' && (storage as LocalStorage).accelPrefix) locals.push(localLocation(storage as LocalStorage));
    if (storage.kind === 's3' && (storage as S3Storage).accelLocation) {
      const s = storage as S3Storage;
      const host = safe('S3 endpoint', await endpointHost(s));
      const known = s3ByLocation.get(s.accelLocation as string);
      if (known && known !== host) throw new TypeError(`nginxConfig: ${s.accelLocation} is used for two S3 endpoints (${known}, ${host})`);
      s3ByLocation.set(s.accelLocation as string, host);
    }
  }
  const upstreams = [...new Set(s3ByLocation.values())];
  const upstreamName = (host: string): string => `station_files_s3_${upstreams.indexOf(host)}`;
  return `# Generated by station-files nginxConfig(); include inside http { }.
upstream station_files_app { server ${app}; keepalive 16; }
${upstreams.map((h) => `upstream ${upstreamName(h)} { server ${h}; keepalive 16; }`).join('\n')}

server {
    listen ${listen};
    server_name ${serverName};
    server_tokens off;
    client_max_body_size 1m;

    location / {
        proxy_pass http://station_files_app;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Request-Id $request_id;
        # Tells the app that hand-offs will be honoured (accel.proxyHeader).
        proxy_set_header ${ACCEL_PROXY_HEADER} 1;
        # Stream delivery: never spool a 2 GB body to disk; Node's backpressure reaches the client.
        proxy_max_temp_file_size 0;
        proxy_request_buffering off;
    }

${[...locals, ...[...s3ByLocation].map(([loc, host]) => s3Location(loc, upstreamName(host)))].join('\n\n')}

    location = /_station_files/changed {
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
    }
}
`;
}
