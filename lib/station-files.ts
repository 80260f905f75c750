/**
 * createStationFiles: validates the options once and wires the endpoints into Express routers
 * (all of them, or one per kind), plus URL builders and signed links for sessionless downloads.
 */
import express, { type Router } from 'express';
import { badUrlHandler } from './routes/bad-url';
import { buildWiring } from './routes/build-wiring';
import { endpointHandler } from './routes/endpoint';
import { mediaEndpoint } from './routes/media';
import type { SignedTarget, StationFilesOptions } from './routes/options';
import { readPaths } from './routes/paths';
import { podcastEndpoints } from './routes/podcasts';
import { recordingEndpoint } from './routes/recordings';
import { securityHeaders } from './routes/security';
import type { EndpointSpec } from './routes/types';
import { endpointUrls, fillPath, signPath, type EndpointUrls } from './routes/urls';
import { OptionsReader } from './options/reader';
import type { Wiring } from './routes/wiring';

export type { SignedTarget, StationFilesOptions, TrustProxy } from './routes/options';

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
  /**
   * Drains this instance for a shutdown: new requests get `503` with `Retry-After`; downloads in
   * flight may finish until `deadlineMs` (default 10000), then the rest are cut and logged
   * `aborted` with `reason: 'shutdown'`; hand-offs still waiting for an nginx report are emitted
   * `closed`; then every `onDownload` sink with a `close()` (jsonLinesLog) is flushed and
   * closed. Resolves when all is done; never rejects; a second call returns the same promise.
   * Stop the server listening first (`server.close()`), then call this, then exit.
   *
   * @example
   * process.once('SIGTERM', async () => {
   *   server.close();                          // no new connections
   *   await files.close({ deadlineMs: 20_000 }); // downloads finish or are cut and logged
   *   process.exit(0);
   * });
   */
  close(options?: CloseOptions): Promise<void>;
}

/** Options for {@link StationFiles.close}. */
export interface CloseOptions {
  /** How long downloads in flight may still run, in ms. @default 10000 */
  deadlineMs?: number;
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
  const wiring: Wiring = buildWiring(options);
  const paths = readPaths(options.paths, 'createStationFiles');
  const { catalog } = options;
  const specs = {
    recordings: () => [recordingEndpoint(catalog, paths.recording)],
    media: () => [mediaEndpoint(catalog, paths.media)],
    podcasts: () => podcastEndpoints(catalog, { episode: paths.episode, publicEpisode: paths.publicEpisode }),
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
  // helmet's headers, worked out once here (a per-request nonce in the CSP is still made per request).
  const security = securityHeaders(options.helmet);

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
  const urls = endpointUrls(paths, wiring.signer, options.baseUrl ?? '');
  let closed: Promise<void> | null = null;
  return {
    router: () => routerOf(available.flatMap((k) => specs[k]())),
    recordings: () => routerOf(specs.recordings()),
    media: () => routerOf(specs.media()),
    podcasts: () => routerOf(specs.podcasts()),
    url: urls,
    signedUrl(target, opts = {}) {
      const path = fillPath(paths[target.kind], target, 'signedUrl');
      return signPath(wiring.signer, target.station, path, opts.subject === undefined ? { expiresIn: opts.expiresIn } : opts, 'signedUrl');
    },
    close(opts) {
      const deadlineMs = OptionsReader.of('files.close', opts, ['deadlineMs']).integer('deadlineMs', { min: 0, max: 2_147_483_647 }, 10_000);
      closed ??= wiring.drain.close(deadlineMs, () => wiring.reports?.close()).then(() => wiring.closeSinks());
      return closed;
    },
  };
}
