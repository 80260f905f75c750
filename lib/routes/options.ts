/**
 * The options of createStationFiles, and the ids a signed link names. Read once by
 * build-wiring.ts; every message names the option's full path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HelmetOptions } from 'helmet';
import type { Middleware } from '../access/authenticate';
import type { ConcurrencyLimitOptions } from '../access/concurrency';
import type { Authorize } from '../access/permissions';
import type { NewDownloadLimitOptions } from '../access/rate-limit';
import type { UrlSignerOptions } from '../access/signed-url';
import type { ResponseOptions } from '../delivery/serve';
import type { DownloadSink, DownloadUser } from '../log/events';
import type { DownloadMetrics } from '../log/metrics-hooks';
import type { NginxReports } from '../log/nginx-reports';
import type { Storage } from '../storage/types';
import type { EndpointPaths } from './paths';
import type { Catalog } from './types';

/** Which addresses may set X-Forwarded-For: as Express's `trust proxy` setting. */
export type TrustProxy = boolean | number | string | string[] | ((addr: string, hop: number) => boolean);

/** Options for {@link createStationFiles}. */
export interface StationFilesOptions<User = unknown> {
  /**
   * Authentication middleware that sets `req.user` or answers 401 itself, e.g.
   * `passport.authenticate(['api-key', 'bearer'], { session: false })`. It runs only when the
   * request has no `req.user` yet (a session user set by an app-wide `passport.session()` is
   * already authenticated). Without it, `req.user` must be set by the host app. @default undefined
   */
  authenticate?: Middleware;
  /** May this user use this permission on this station? Sync or async. */
  authorize: Authorize<User>;
  /** How a user appears in download events. @default id from `id`, name from `name`/`username`/`email` */
  userInfo?: (user: User) => DownloadUser;
  /** Named storages; the catalog's file references name one of them. */
  storages: Record<string, Storage>;
  /** The host's data: ids → file references, or null (404). */
  catalog: Catalog;
  /** Route paths, relative to where the router is mounted. @default the panel-style paths in the README */
  paths?: EndpointPaths;
  /**
   * Where the router is mounted, for `files.url.*`: a path (`/api`) or an absolute URL
   * (`https://radio.example/api`, for feeds). @default ''
   */
  baseUrl?: string;
  /** How file responses are made: Cache-Control, maxRanges, sendTimeoutMs, nginx X-Accel-* controls, redirect lifetime. @default see createDelivery */
  responses?: ResponseOptions;
  /** Receives one DownloadEvent per request (a function, or several). @default none */
  onDownload?: DownloadSink | DownloadSink[];
  /**
   * The receiver of nginx's download reports (createNginxReports()): every nginx hand-off's event
   * then waits for nginx's status, bytes and completion. @default undefined (hand-offs are
   * logged when the app hands them to nginx, bytes unknown)
   */
  nginxReports?: NginxReports;
  /** Unexpected errors and sink failures (never sent to clients). @default console.error */
  onError?: (err: Error, req?: IncomingMessage) => void;
  /** Keys for signed links (`signedUrl()`); without them, `?sig=` links are not accepted. @default undefined */
  signing?: UrlSignerOptions;
  /**
   * Per-IP limit on new public enclosure downloads; `false` turns it off. `store` shares its
   * state between app instances (`postgresLimitStore` from `station-files/postgres`); a store that
   * fails or times out lets requests through, reported to `onError`. @default { windowMs: 600000, max: 60 } in memory
   */
  publicRateLimit?: NewDownloadLimitOptions | false;
  /** Metrics hooks, e.g. `stationFilesMetrics({ registry })` from `station-files/metrics`. @default none */
  metrics?: DownloadMetrics;
  /**
   * Downloads (GETs that reach delivery) one client may have in flight at once, on every route;
   * IPv6 clients counted by /64; loopback clients are not capped (see the README). Past it:
   * `429 Too many downloads at once` with `Retry-After`. `false` turns the cap off. @default { perClient: 16, retryAfterSeconds: 5 }
   */
  concurrentDownloads?: ConcurrencyLimitOptions | false;
  /** Whose X-Forwarded-For to believe for the client IP. @default Express's `req.ip` (the app's `trust proxy`) */
  trustProxy?: TrustProxy;
  /** helmet options for every endpoint; `false` turns helmet off. @default helmet's defaults */
  helmet?: HelmetOptions | false;
  /**
   * Called instead of the plain `401` when a private route gets no credentials (no session, no
   * API key, no signed link); answer the request in it to replace the 401, e.g. redirect a
   * browser to the panel's login page: `(req, res) => { if (wantsHtml(req)) res.redirect(...) }`.
   * A hook that does not answer leaves the 401. The event is `denied` either way. @default none
   */
  onUnauthenticated?: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
  /** `WWW-Authenticate` sent with 401 to non-browser clients. @default 'Bearer realm="station-files"' */
  challenge?: string;
}

/** What to sign: one endpoint's ids. */
export type SignedTarget =
  | { kind: 'recording'; station: string; streamer: string; broadcast: string }
  | { kind: 'media'; station: string; id: string }
  | { kind: 'episode'; station: string; podcast: string; episode: string };

/** Every key of {@link StationFilesOptions}: anything else is a typo, refused at creation. */
export const STATION_FILES_KEYS = [
  'authenticate',
  'authorize',
  'userInfo',
  'storages',
  'catalog',
  'paths',
  'baseUrl',
  'responses',
  'onDownload',
  'nginxReports',
  'onError',
  'signing',
  'publicRateLimit',
  'concurrentDownloads',
  'trustProxy',
  'helmet',
  'onUnauthenticated',
  'challenge',
  'metrics',
] as const;
