/**
 * The demo radio admin panel: an Express app over SQLite (or PostgreSQL with DATABASE_URL) that
 * mounts station-files for every download, with passport sessions (login form) and API keys,
 * pages, a JSON API and RSS feeds.
 */
import path from 'node:path';
import express, { type Express } from 'express';
import session from 'express-session';
import helmet from 'helmet';
import morgan from 'morgan';
import { Passport } from 'passport';
import { Registry } from 'prom-client';
import { createStationFiles, DOWNLOAD_LOG_FORMAT, registerMorganTokens, type DownloadEvent, type StationFiles } from '../lib';
import { isLoopback } from '../lib/entry/http';
import { stationFilesMetrics } from '../lib/entry/metrics';
import { ApiKeyStrategy } from './auth/api-key-strategy';
import { crossSiteGuard, trustedOrigins, type LoginLimitOptions } from './auth/guards';
import { demoCatalog } from './catalog';
import { DEFAULT_DATA_DIR, type DemoConfig } from './config';
import { prepareDataDir } from './data-dir';
import { openDatabase, type DatabaseOptions, type Db, type User } from './db/database';
import { databaseGuard, sendUnavailable } from './routes/unavailable';
import { apiRouter } from './routes/api';
import { feedRouter } from './routes/feed';
import { pagesRouter } from './routes/pages';
import { loadSecrets } from './secrets';
import { DEMO_LOGINS, seedIfEmpty } from './seed';
import { createDemoStorages, type DemoStorages } from './storage';
import { API_PREFIX } from './urls';

export interface DemoApp {
  app: Express;
  db: Db;
  storages: DemoStorages;
  files: StationFiles;
  /** Stops the session store, closes the database (its pool) and the storages. */
  close(): Promise<void>;
}

export interface DemoAppOptions {
  /** Write an access log line per request to stdout. @default true */
  accessLog?: boolean;
  log?: (line: string) => void;
  /** Failures station-files reports (storage errors, a download-log insert that failed). @default console.error */
  onError?: (err: Error) => void;
  /** Login limits per IP and per account (see auth/guards.ts). */
  loginLimits?: LoginLimitOptions;
  database?: DatabaseOptions;
}

/**
 * The history sink, with the inserts still under way: close() waits for them before it closes
 * the database, so a drained instance has every event it emitted in the history.
 *
 * @example
 * const history = trackedHistory(db);
 * createStationFiles({ onDownload: (e) => history.record(e), ... });
 * await history.settled();
 */
export function trackedHistory(db: Db): { record(event: DownloadEvent): Promise<void>; settled(): Promise<void> } {
  const pending = new Set<Promise<void>>();
  return {
    record(event) {
      const insert = db.recordDownload(event);
      pending.add(insert);
      const forget = (): void => void pending.delete(insert);
      insert.then(forget, forget);
      return insert;
    },
    settled: async () => void (await Promise.allSettled([...pending])),
  };
}

/** Opens the data folder (seeding it on first start) and builds the app. */
export async function createDemoApp(config: DemoConfig, options: DemoAppOptions = {}): Promise<DemoApp> {
  prepareDataDir(config.dataDir); // 0700: the database holds password and API key hashes and IPs
  const log = options.log ?? ((line: string) => console.error(line));
  let noteError = (_err: unknown): string | null => null;
  const db = await openDatabase(config, { ...options.database, onConnectionError: (err) => void noteError(err) });
  const guard = databaseGuard(db, log);
  noteError = guard.noteError;
  const storages = createDemoStorages(config);
  await storages.prepare();
  await seedIfEmpty(db, storages, options.log);
  const secrets = loadSecrets(config.dataDir, { session: config.sessionSecret, link: config.linkSecret });
  const reportError = options.onError ?? ((err: Error) => console.error(`demo-app: ${err.stack ?? err.message}`));

  const passport = new Passport();
  passport.use(new ApiKeyStrategy(db));
  passport.serializeUser((user, done) => done(null, (user as User).id));
  passport.deserializeUser((id: number, done) => void db.userById(id).then((user) => done(null, user ?? false), done));

  const history = trackedHistory(db);
  const registry = new Registry();
  const metrics = stationFilesMetrics({ registry });
  const files = createStationFiles<User>({
    // Dashboard users arrive with a session (passport.session() below); scripts with X-API-Key.
    // failWithError: a failed API key comes back to station-files, which answers 401 or calls onUnauthenticated.
    authenticate: passport.authenticate('api-key', { session: false, failWithError: true }),
    authorize: (user, station, permission) => db.allows(user, station, permission),
    userInfo: (user) => ({ id: String(user.id), name: user.name }),
    storages: storages.storages,
    catalog: demoCatalog(db),
    signing: { keys: [secrets.link] },
    baseUrl: API_PREFIX, // the same base demoUrls (urls.ts) builds links with
    // A browser whose session expired is sent to the login page, and back to the file after it.
    onUnauthenticated: (req, res) => {
      if (!String(req.headers.accept ?? '').includes('text/html')) return;
      res.writeHead(303, { Location: `/login?next=${encodeURIComponent(`${API_PREFIX}${req.url ?? ''}`)}`, 'Cache-Control': 'no-store' }).end();
    },
    trustProxy: config.trustProxy.length ? config.trustProxy : false,
    // Station history, or the bounded refusals tables (see isStationHistory). A failed insert
    // (a duplicate id would be a bug) throws here and station-files reports it to onError.
    onDownload: (event) => history.record(event),
    metrics,
    onError: (err) => void (guard.noteError(err) ?? reportError(err)),
  });

  const app = express();
  app.disable('x-powered-by');
  // X-Forwarded-For/-Proto from these proxies only (TRUST_PROXY; nginx on the same host by
  // default): client IPs for the login limits and logs, and req.secure for COOKIE_SECURE=auto.
  app.set('trust proxy', config.trustProxy.length ? config.trustProxy : false);
  if (options.accessLog !== false) {
    registerMorganTokens(morgan);
    app.use(morgan(DOWNLOAD_LOG_FORMAT));
  }
  const s3Origin = config.s3 && config.delivery === 'redirect' ? [new URL(config.s3.endpoint).origin] : [];
  // Plain HTTP on loopback by default: no HSTS, and no upgrade-insecure-requests (it would send
  // the players' requests to https://127.0.0.1). Behind TLS, turn both back on.
  app.use(
    helmet({
      contentSecurityPolicy: { directives: { mediaSrc: ["'self'", ...s3Origin], upgradeInsecureRequests: null } },
      strictTransportSecurity: false,
    }),
  );
  // Forms and every other state-changing request: same site only (login CSRF included).
  app.use(crossSiteGuard(trustedOrigins(config.publicUrl, config.publicHosts)));
  // Prometheus metrics of this instance, before the database gate (a scrape works while the
  // database is down). Only for scrapers on this host: a request through nginx carries the
  // client's address (trust proxy), so the public never sees them.
  app.get('/metrics', async (req, res) => {
    if (!isLoopback(req.ip ?? '')) return void res.status(404).type('text').send('Not Found\n');
    res.type(registry.contentType).send(await registry.metrics());
  });
  app.use('/static', express.static(path.join(__dirname, 'public'), { maxAge: '1h' }));
  // While the database is known to be down: 503 with a short reason (routes/unavailable.ts).
  app.use(guard.gate);
  // Public routes first: podcast apps need no session, and get no cookie.
  app.use(feedRouter(db, config));

  // chart.js exports only its module entry points: find the UMD build next to the main file.
  // `root` + a plain name: sendFile refuses absolute paths with a dot-folder in them (~/.local/…).
  const chartRoot = path.dirname(require.resolve('chart.js'));
  app.get('/static/chart.umd.js', (_req, res) => res.sendFile('chart.umd.js', { root: chartRoot, maxAge: '1h' }));
  const sessionStore = db.sessionStore((err) => log(`demo-app: session store: ${err.message}`));
  app.use(
    session({
      name: 'panel.sid',
      secret: secrets.session,
      store: sessionStore,
      resave: false,
      saveUninitialized: false,
      // COOKIE_SECURE=auto (default): Secure when the request came over HTTPS (directly, or per
      // X-Forwarded-Proto from a trusted proxy); true: always (behind TLS only); false: never.
      cookie: { httpOnly: true, sameSite: 'lax', secure: config.cookieSecure, maxAge: 7 * 24 * 3600 * 1000 },
    }),
  );
  app.use(passport.session());
  app.use(API_PREFIX, files.router());
  // The JSON API accepts sessions and API keys alike.
  app.use('/api', (req, res, next) => (req.user ? next() : passport.authenticate('api-key', { session: false })(req, res, next)), apiRouter(db));
  app.use(
    pagesRouter(db, {
      // The seeded passwords are public: shown only for the default demo data folder.
      demoLogins: config.dataDir === DEFAULT_DATA_DIR ? DEMO_LOGINS : null,
      loginLimits: options.loginLimits,
    }),
  );
  app.use((_req, res) => void res.status(404).type('text').send('Not Found\n'));
  app.use((err: unknown, req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const unavailable = guard.noteError(err);
    if (unavailable === null) console.error('demo-app:', err);
    if (res.headersSent) return void res.destroy();
    if (unavailable !== null) return sendUnavailable(req, res, unavailable);
    res.status(500).type('text').send('Internal Server Error\n');
  });
  const close = async (): Promise<void> => {
    sessionStore.close();
    storages.close();
    await history.settled(); // inserts still under way (a pool that is ending would drop the queued ones)
    await db.close();
  };
  return { app, db, storages, files, close };
}
