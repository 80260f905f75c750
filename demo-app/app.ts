/**
 * The demo radio admin panel: an Express app over SQLite that mounts station-files for every
 * download, with passport sessions (login form) and API keys, pages, a JSON API and RSS feeds.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import express, { type Express } from 'express';
import session from 'express-session';
import helmet from 'helmet';
import morgan from 'morgan';
import { Passport } from 'passport';
import { createStationFiles, DOWNLOAD_LOG_FORMAT, registerMorganTokens, type StationFiles } from '../lib';
import { ApiKeyStrategy } from './auth/api-key-strategy';
import { SqliteSessionStore } from './auth/session-store';
import { demoCatalog } from './catalog';
import type { DemoConfig } from './config';
import { openDatabase, type Db, type User } from './db/database';
import { apiRouter } from './routes/api';
import { feedRouter } from './routes/feed';
import { pagesRouter } from './routes/pages';
import { loadSecrets } from './secrets';
import { seedIfEmpty } from './seed';
import { createDemoStorages, type DemoStorages } from './storage';

export interface DemoApp {
  app: Express;
  db: Db;
  storages: DemoStorages;
  files: StationFiles;
  close(): void;
}

export interface DemoAppOptions {
  /** Write an access log line per request to stdout. @default true */
  accessLog?: boolean;
  log?: (line: string) => void;
}

/** Opens the data folder (seeding it on first start) and builds the app. */
export async function createDemoApp(config: DemoConfig, options: DemoAppOptions = {}): Promise<DemoApp> {
  mkdirSync(config.dataDir, { recursive: true });
  const db = openDatabase(path.join(config.dataDir, 'panel.db'));
  const storages = createDemoStorages(config);
  await storages.prepare();
  await seedIfEmpty(db, storages, options.log);
  const secrets = loadSecrets(config.dataDir, { session: config.sessionSecret, link: config.linkSecret });

  const passport = new Passport();
  passport.use(new ApiKeyStrategy(db));
  passport.serializeUser((user, done) => done(null, (user as User).id));
  passport.deserializeUser((id: number, done) => done(null, db.userById(id) ?? false));

  const files = createStationFiles<User>({
    // Dashboard users arrive with a session (passport.session() below); scripts with X-API-Key.
    authenticate: passport.authenticate('api-key', { session: false }),
    authorize: (user, station, permission) => db.allows(user, station, permission),
    userInfo: (user) => ({ id: String(user.id), name: user.name }),
    storages: storages.storages,
    catalog: demoCatalog(db),
    signing: { keys: [secrets.link] },
    trustProxy: 'loopback',
    onDownload: (event) => db.recordDownload(event),
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  if (options.accessLog !== false) {
    registerMorganTokens();
    app.use(morgan(DOWNLOAD_LOG_FORMAT));
  }
  const s3Origin = config.s3 && config.delivery === 'redirect' ? [new URL(config.s3.endpoint).origin] : [];
  // Plain HTTP on loopback by default: no HSTS, and no upgrade-insecure-requests (it would send
  // the players' requests to https://127.0.0.1). Behind TLS, turn both back on.
  app.use(helmet({
    contentSecurityPolicy: { directives: { mediaSrc: ["'self'", ...s3Origin], upgradeInsecureRequests: null } },
    strictTransportSecurity: false,
  }));
  // Public routes first: podcast apps need no session, and get no cookie.
  app.use(feedRouter(db, config.publicUrl));
  app.use('/static', express.static(path.join(__dirname, 'public'), { maxAge: '1h' }));

  // chart.js exports only its module entry points: find the UMD build next to the main file.
  const chartJs = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.js');
  app.get('/static/chart.umd.js', (_req, res) => res.sendFile(chartJs, { maxAge: '1h' }));
  app.use(session({
    name: 'panel.sid',
    secret: secrets.session,
    store: new SqliteSessionStore(db),
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', maxAge: 7 * 24 * 3600 * 1000 },
  }));
  app.use(passport.session());
  app.use('/api', files.router());
  // The JSON API accepts sessions and API keys alike.
  app.use('/api', (req, res, next) => (req.user ? next() : passport.authenticate('api-key', { session: false })(req, res, next)), apiRouter(db));
  app.use(pagesRouter(db));
  app.use((_req, res) => void res.status(404).type('text').send('Not Found\n'));
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    console.error('demo-app:', err);
    if (!res.headersSent) res.status(500).type('text').send('Internal Server Error\n');
  });
  return { app, db, storages, files, close: () => { db.close(); storages.close(); } };
}
