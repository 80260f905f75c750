/**
 * createStationFiles: validates the options once and wires the endpoints into Express routers
 * (all of them, or one per kind), plus signed links for sessionless downloads.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Router } from 'express';
import helmet, { type HelmetOptions } from 'helmet';
import proxyaddr from 'proxy-addr';
import type { Middleware } from './access/authenticate';
import type { Authorize } from './access/permissions';
import { createConcurrencyLimit, type ConcurrencyLimitOptions } from './access/concurrency';
import { createNewDownloadLimiter, type NewDownloadLimitOptions } from './access/rate-limit';
import { createUrlSigner, type UrlSignerOptions } from './access/signed-url';
import { createDelivery, type DeliveryOptions } from './delivery/serve';
import type { DownloadSink, DownloadUser } from './log/events';
import { badUrlHandler } from './routes/bad-url';
import { endpointHandler } from './routes/endpoint';
import { mediaEndpoint, MEDIA_PATH } from './routes/media';
import { EPISODE_PATH, podcastEndpoints, PUBLIC_EPISODE_PATH } from './routes/podcasts';
import { RECORDING_PATH, recordingEndpoint } from './routes/recordings';
import type { Catalog, EndpointSpec } from './routes/types';
import { endpointUrls, fillPath, signPath, type EndpointUrls } from './routes/urls';
import type { Wiring } from './routes/wiring';
import type { Storage } from './storage/types';

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
  paths?: { recording?: string; media?: string; episode?: string; publicEpisode?: string };
  /**
   * Where the router is mounted, for `files.url.*`: a path (`/api`) or an absolute URL
   * (`https://radio.example/api`, for feeds). @default ''
   */
  baseUrl?: string;
  /** Cache-Control, maxRanges, nginx X-Accel-* controls, redirect lifetime. */
  delivery?: DeliveryOptions;
  /** Receives one DownloadEvent per request (a function, or several). @default none */
  onDownload?: DownloadSink | DownloadSink[];
  /** Unexpected errors and sink failures (never sent to clients). @default console.error */
  onError?: (err: Error, req?: IncomingMessage) => void;
  /** Keys for signed links (`signedUrl()`); without them, `?sig=` links are not accepted. @default undefined */
  signing?: UrlSignerOptions;
  /** Per-IP limit on new public enclosure downloads; `false` turns it off. @default { windowMs: 600000, max: 60 } */
  publicRateLimit?: NewDownloadLimitOptions | false;
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

/** The configured library. */
export interface StationFiles {
  /** All endpoints in one router. */
  router(): Router;
  recordings(): Router;
  media(): Router;
  podcasts(): Router;
  /**
   * URLs of every endpoint, built from the same paths the routers mount, below `baseUrl` (or a
   * per-call `base`, such as `req.baseUrl`); `{ signed: … }` makes a sessionless link.
   *
   * @example
   * files.url.recording({ station: 'alpha', streamer: '3', broadcast: '41' })            // '/api/station/alpha/streamer/3/broadcast/41/download'
   * files.url.publicEpisode({ station: 'alpha', podcast: '1', episode: '9', ext: 'mp3' }, { base: 'https://radio.example/api' })
   */
  readonly url: EndpointUrls;
  /**
   * A link (path and query, relative to the router's mount point) that serves the file without
   * a session until it expires; `subject` is signed into it and reported as `linkSubject`.
   */
  signedUrl(target: SignedTarget, options?: { expiresIn?: number; subject?: string }): string;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

function defaultUserInfo(user: unknown): DownloadUser {
  const u = (typeof user === 'object' && user !== null ? user : {}) as Record<string, unknown>;
  const id = u.id ?? u.username ?? u.email ?? 'unknown';
  const name = u.name ?? u.displayName ?? u.username ?? u.email;
  return { id: String(id), ...(name !== undefined ? { name: String(name) } : {}) };
}

/** Express-compatible `trust proxy` values as a function (proxy-addr semantics). */
function compileTrust(t: TrustProxy): (addr: string, hop: number) => boolean {
  if (typeof t === 'function') return t;
  if (t === true) return () => true;
  if (t === false) return () => false;
  if (typeof t === 'number') return (_addr, hop) => hop < t;
  return proxyaddr.compile(typeof t === 'string' ? t.split(',').map((s) => s.trim()) : t);
}

/** The host app's compiled `trust proxy` setting (Express keeps it as 'trust proxy fn'); none trusts nobody. */
function expressTrust(req: IncomingMessage): (addr: string, hop: number) => boolean {
  const app = (req as IncomingMessage & { app?: { get?(name: string): unknown } }).app;
  const fn = typeof app?.get === 'function' ? app.get('trust proxy fn') : undefined;
  return typeof fn === 'function' ? (fn as (addr: string, hop: number) => boolean) : () => false;
}

function checkPath(name: string, path: string | undefined, required: readonly string[]): string | undefined {
  if (path === undefined) return undefined;
  if (typeof path !== 'string' || !path.startsWith('/')) throw new TypeError(`createStationFiles: paths.${name} must start with "/"`);
  for (const p of required) {
    if (!path.includes(`:${p}`)) throw new TypeError(`createStationFiles: paths.${name} must contain :${p}`);
  }
  return path;
}

function buildWiring<User>(options: StationFilesOptions<User>): Wiring {
  if (typeof options !== 'object' || options === null) throw new TypeError('createStationFiles: options are required');
  if (typeof options.authorize !== 'function') throw new TypeError('createStationFiles: `authorize` must be a function');
  if (options.authenticate !== undefined && typeof options.authenticate !== 'function') {
    throw new TypeError('createStationFiles: `authenticate` must be a middleware function');
  }
  if (typeof options.storages !== 'object' || options.storages === null || Object.keys(options.storages).length === 0) {
    throw new TypeError('createStationFiles: `storages` must name at least one storage');
  }
  for (const [name, s] of Object.entries(options.storages)) {
    if (typeof s?.stat !== 'function' || typeof s.open !== 'function') {
      throw new TypeError(`createStationFiles: storages.${name} is not a storage (needs stat and open)`);
    }
  }
  if (typeof options.catalog !== 'object' || options.catalog === null) throw new TypeError('createStationFiles: `catalog` is required');
  const sinks = options.onDownload === undefined ? [] : Array.isArray(options.onDownload) ? options.onDownload : [options.onDownload];
  if (sinks.some((s) => typeof s !== 'function')) throw new TypeError('createStationFiles: `onDownload` must be a function or an array of functions');
  const onError = options.onError ?? ((err: Error) => console.error(`station-files: ${err.stack ?? err.message}`));
  const trust = options.trustProxy === undefined ? null : compileTrust(options.trustProxy);
  const challenge = options.challenge ?? 'Bearer realm="station-files"';
  if (!/^[\x20-\x7e]+$/.test(challenge)) throw new TypeError('createStationFiles: `challenge` must be a printable header value');
  const userInfo = (options.userInfo ?? defaultUserInfo) as (user: unknown) => DownloadUser;
  const catalogStation = options.catalog.station;
  if (options.onUnauthenticated !== undefined && typeof options.onUnauthenticated !== 'function') {
    throw new TypeError('createStationFiles: `onUnauthenticated` must be a function');
  }
  if (catalogStation !== undefined && typeof catalogStation !== 'function') throw new TypeError('createStationFiles: `catalog.station` must be a function');
  return {
    authenticate: options.authenticate ?? null,
    authorize: options.authorize as Authorize<unknown>,
    userInfo,
    challenge,
    storages: { ...options.storages },
    delivery: createDelivery(options.delivery),
    signer: options.signing ? createUrlSigner(options.signing) : null,
    limiter: options.publicRateLimit === false ? null : createNewDownloadLimiter(options.publicRateLimit),
    concurrency: options.concurrentDownloads === false ? null : createConcurrencyLimit(options.concurrentDownloads),
    correlationId: (req) => {
      const given = req.headers['x-request-id'];
      if (typeof given !== 'string' || !REQUEST_ID.test(given)) return null;
      // Only a proxy we trust may name the request (the generated nginx config sends $request_id).
      const peerTrusted = trust ?? expressTrust(req);
      return peerTrusted(req.socket.remoteAddress ?? '', 0) ? given : null;
    },
    clientIp: (req) => {
      if (trust) return proxyaddr(req, trust);
      return (req as IncomingMessage & { ip?: string }).ip ?? req.socket.remoteAddress ?? '';
    },
    stationExists: async (station, req) => {
      if (!catalogStation) return null;
      try {
        return (await catalogStation.call(options.catalog, station)) === true;
      } catch (err) {
        onError(err instanceof Error ? err : new Error(String(err)), req);
        return null;
      }
    },
    emit: (event, req) => {
      for (const sink of sinks) {
        try {
          const pending = sink(event);
          if (pending && typeof pending.then === 'function') pending.then(undefined, (err: unknown) => onError(err as Error, req));
        } catch (err) {
          onError(err instanceof Error ? err : new Error(String(err)), req);
        }
      }
    },
    onUnauthenticated: async (req, res) => {
      if (!options.onUnauthenticated) return false;
      await options.onUnauthenticated(req, res);
      return res.headersSent || res.writableEnded;
    },
    onError: (err, req) => {
      try {
        onError(err, req);
      } catch {
        // An error reporter that throws must not take a download down with it.
      }
    },
  };
}

/**
 * Validates the options once and returns routers for the recording, media and podcast
 * endpoints (authenticated, authorized per station, logged), and signed links.
 *
 * @example
 * const files = createStationFiles({
 *   authenticate: passport.authenticate(['api-key', 'bearer'], { session: false }),
 *   authorize: (user, station, permission) => acl.allows(user, station, permission),
 *   storages: { recordings: s3Storage({ client, bucket: 'radio', prefix: 'recordings/' }) },
 *   catalog: { recording: ({ station, broadcast }) => db.findBroadcast(station, broadcast) },
 *   onDownload: jsonLinesLog('/var/log/station-files/downloads.jsonl'),
 * });
 * app.use('/api', files.router());
 */
export function createStationFiles<User = unknown>(options: StationFilesOptions<User>): StationFiles {
  const wiring = buildWiring(options);
  const paths = options.paths ?? {};
  const recordingPath = checkPath('recording', paths.recording, ['station', 'streamer', 'broadcast']) ?? RECORDING_PATH;
  const mediaPath = checkPath('media', paths.media, ['station', 'id']) ?? MEDIA_PATH;
  const episodePath = checkPath('episode', paths.episode, ['station', 'podcast', 'episode']) ?? EPISODE_PATH;
  const publicPath = checkPath('publicEpisode', paths.publicEpisode, ['station', 'podcast', 'episode', 'ext']) ?? PUBLIC_EPISODE_PATH;
  const { catalog } = options;
  const specs = {
    recordings: () => [recordingEndpoint(catalog, recordingPath)],
    media: () => [mediaEndpoint(catalog, mediaPath)],
    podcasts: () => podcastEndpoints(catalog, { episode: episodePath, publicEpisode: publicPath }),
  };
  // Fail at creation, not at the first request, when a kind's catalog lookup is missing.
  const available = (Object.keys(specs) as (keyof typeof specs)[]).filter((k) => {
    try {
      specs[k]();
      return true;
    } catch {
      return false;
    }
  });
  if (available.length === 0) throw new TypeError('createStationFiles: `catalog` needs recording, mediaFile or episode');
  const security = options.helmet === false ? null : helmet(options.helmet);

  const routerOf = (list: EndpointSpec[]): Router => {
    const router = express.Router();
    for (const spec of list) {
      const handler = endpointHandler(spec, wiring);
      const stack = security ? [security, handler] : [handler];
      router.all(spec.path, ...(stack as express.RequestHandler[]));
    }
    router.use(badUrlHandler as unknown as express.ErrorRequestHandler);
    return router;
  };
  const templates: Record<SignedTarget['kind'], string> = { recording: recordingPath, media: mediaPath, episode: episodePath };
  const urls = endpointUrls({ ...templates, publicEpisode: publicPath }, wiring.signer, options.baseUrl ?? '');
  return {
    router: () => routerOf(available.flatMap((k) => specs[k]())),
    recordings: () => routerOf(specs.recordings()),
    media: () => routerOf(specs.media()),
    podcasts: () => routerOf(specs.podcasts()),
    url: urls,
    signedUrl(target, opts = {}) {
      const path = fillPath(templates[target.kind], target, 'signedUrl');
      return signPath(wiring.signer, target.station, path, opts.subject === undefined ? { expiresIn: opts.expiresIn } : opts, 'signedUrl');
    },
  };
}
