/** The panel's HTML pages and the login/logout actions. */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Db, User } from '../db/database';
import { loginLimits, type LoginLimitOptions } from '../auth/guards';
import { DUMMY_HASH, HashBusyError, verifyPassword } from '../auth/passwords';
import { stationReport } from '../reports';
import type { DemoLogin } from '../seed';
import { historyPage, loginPage, stationPage, stationsPage } from '../views/pages';
import { permissionsOn, visibleStations } from './access';

const requirePage = (req: Request, res: Response, next: NextFunction): void => {
  if (req.user) next();
  else res.redirect(303, '/login');
};

export interface PagesOptions {
  /** The seeded demo logins to show on the login page (only for the default demo DATA_DIR), or null. */
  demoLogins: DemoLogin[] | null;
  loginLimits?: LoginLimitOptions;
}

/**
 * Where to go after logging in: a path on this panel only (`/…`, never `//host` or a scheme), so
 * the login page cannot be used to send someone elsewhere.
 */
export function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])[\x21-\x7e]{0,2000}$/.test(value) ? value : '/';
}

const MAX_EMAIL = 320;
const MAX_PASSWORD = 1024;

export function pagesRouter(db: Db, options: PagesOptions): Router {
  const pages = express.Router();
  const form = express.urlencoded({ extended: false, limit: '4kb' });
  const loginForm = (res: express.Response, status: number, error: string | null, next = '/'): void => {
    res
      .status(status)
      .type('html')
      .set('Cache-Control', 'no-store')
      .send(loginPage(error, options.demoLogins, next));
  };
  const tooMany = (res: express.Response, seconds: number, what: string): void => {
    res.set('Retry-After', String(seconds));
    const wait = seconds >= 90 ? `${Math.ceil(seconds / 60)} minutes` : `${seconds} seconds`;
    loginForm(res, 429, `${what} Try again in ${wait}.`);
  };
  const limits = loginLimits(options.loginLimits ?? {}, (_req, res, seconds) => tooMany(res, seconds, 'Too many failed logins.'));

  pages.get('/login', (req, res) => {
    if (req.user) return void res.redirect(303, safeNext(req.query.next));
    loginForm(res, 200, null, safeNext(req.query.next));
  });
  pages.post('/login', limits.perIp, form, limits.perAccount, async (req, res, next) => {
    try {
      const email = typeof req.body?.email === 'string' ? req.body.email.trim() : '';
      const password = typeof req.body?.password === 'string' ? req.body.password : '';
      if (!email || !password) return void loginForm(res, 400, 'Enter your email and password.');
      if (email.length > MAX_EMAIL || password.length > MAX_PASSWORD) return void loginForm(res, 400, 'Email or password too long.');
      const found = await db.userByEmail(email);
      let ok: boolean;
      try {
        // Unknown emails are checked against a dummy hash: the same work, the same time.
        ok = (await verifyPassword(password, found?.password_hash ?? DUMMY_HASH)) && found !== undefined;
      } catch (err) {
        if (err instanceof HashBusyError) return void tooMany(res, 2, 'Too many logins in progress.');
        throw err;
      }
      if (!found || !ok) return void loginForm(res, 401, 'Wrong email or password.');
      const user: User = { id: found.id, email: found.email, name: found.name, global_admin: found.global_admin };
      req.session.regenerate((err) => {
        if (err) return next(err);
        req.login(user, (e) => (e ? next(e) : res.redirect(303, safeNext(req.body?.next))));
      });
    } catch (err) {
      next(err);
    }
  });
  pages.post('/logout', (req, res, next) => {
    req.logout((err) => (err ? next(err) : req.session.destroy(() => res.redirect(303, '/login'))));
  });

  pages.get('/', requirePage, async (req, res) => {
    const user = req.user as User;
    res.type('html').send(stationsPage(user, await visibleStations(db, user)));
  });

  pages.get('/station/:station', requirePage, async (req, res) => {
    const user = req.user as User;
    const station = await db.station(String(req.params.station));
    if (!station || station.shortcode !== req.params.station) return void res.status(404).type('text').send('No such station\n');
    const can = await permissionsOn(db, user, station.shortcode);
    if (!can.streamers && !can.media && !can.podcasts && !can.reports) return void res.status(403).type('text').send('Forbidden\n');
    const recordings = can.streamers
      ? await Promise.all(
          (await db.files(station.id, 'recording')).map(async (r) => ({
            ...r,
            streamer: r.streamer_id !== null ? await db.streamerName(r.streamer_id) : '',
          })),
        )
      : [];
    const podcasts = can.podcasts
      ? await Promise.all((await db.podcasts(station.id)).map(async (podcast) => ({ podcast, episodes: await db.episodes(podcast.id) })))
      : [];
    res.type('html').send(stationPage(user, { station, can, recordings, media: can.media ? await db.files(station.id, 'media') : [], podcasts }));
  });

  pages.get('/station/:station/history', requirePage, async (req, res) => {
    const user = req.user as User;
    const station = await db.station(String(req.params.station));
    if (!station || station.shortcode !== req.params.station) return void res.status(404).type('text').send('No such station\n');
    if (!(await db.allows(user, station.shortcode, 'reports'))) return void res.status(403).type('text').send('Forbidden\n');
    const { daily, episodes, rows, refused, excluded } = await stationReport(db, station.shortcode, 30, 200);
    res.type('html').send(
      historyPage(
        user,
        station,
        daily,
        episodes,
        rows,
        refused.reduce((n, r) => n + r.count, 0),
        excluded,
      ),
    );
  });
  return pages;
}
