/** The panel's HTML pages and the login/logout actions. */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Db, User } from '../db/database';
import { verifyPassword } from '../auth/passwords';
import { stationReport } from '../reports';
import { DEMO_LOGINS } from '../seed';
import { historyPage, loginPage, stationPage, stationsPage } from '../views/pages';
import { permissionsOn, visibleStations } from './access';

const requirePage = (req: Request, res: Response, next: NextFunction): void => {
  if (req.user) next();
  else res.redirect(303, '/login');
};

export function pagesRouter(db: Db): Router {
  const pages = express.Router();
  const form = express.urlencoded({ extended: false, limit: '4kb' });

  pages.get('/login', (req, res) => {
    if (req.user) return void res.redirect(303, '/');
    res.type('html').send(loginPage(null, DEMO_LOGINS));
  });
  pages.post('/login', form, async (req, res, next) => {
    try {
      const email = typeof req.body?.email === 'string' ? req.body.email.trim() : '';
      const password = typeof req.body?.password === 'string' ? req.body.password : '';
      const found = email && password.length <= 1024 ? db.userByEmail(email) : undefined;
      const ok = found ? await verifyPassword(password, found.password_hash) : false;
      if (!found || !ok) return void res.status(401).type('html').send(loginPage('Wrong email or password.', DEMO_LOGINS));
      const user: User = { id: found.id, email: found.email, name: found.name, global_admin: found.global_admin };
      req.session.regenerate((err) => {
        if (err) return next(err);
        req.login(user, (e) => (e ? next(e) : res.redirect(303, '/')));
      });
    } catch (err) {
      next(err);
    }
  });
  pages.post('/logout', (req, res, next) => {
    req.logout((err) => (err ? next(err) : req.session.destroy(() => res.redirect(303, '/login'))));
  });

  pages.get('/', requirePage, (req, res) => {
    const user = req.user as User;
    res.type('html').send(stationsPage(user, visibleStations(db, user)));
  });

  pages.get('/station/:station', requirePage, (req, res) => {
    const user = req.user as User;
    const station = db.station(String(req.params.station));
    if (!station || station.shortcode !== req.params.station) return void res.status(404).type('text').send('No such station\n');
    const can = permissionsOn(db, user, station.shortcode);
    if (!can.streamers && !can.media && !can.podcasts && !can.reports) return void res.status(403).type('text').send('Forbidden\n');
    const recordings = can.streamers
      ? db.files(station.id, 'recording').map((r) => ({ ...r, streamer: r.streamer_id !== null ? db.streamerName(r.streamer_id) : '' }))
      : [];
    res.type('html').send(stationPage(user, {
      station,
      can,
      recordings,
      media: can.media ? db.files(station.id, 'media') : [],
      podcasts: can.podcasts ? db.podcasts(station.id).map((podcast) => ({ podcast, episodes: db.episodes(podcast.id) })) : [],
    }));
  });

  pages.get('/station/:station/history', requirePage, (req, res) => {
    const user = req.user as User;
    const station = db.station(String(req.params.station));
    if (!station || station.shortcode !== req.params.station) return void res.status(404).type('text').send('No such station\n');
    if (!db.allows(user, station.shortcode, 'reports')) return void res.status(403).type('text').send('Forbidden\n');
    const { daily, episodes, rows } = stationReport(db, station.shortcode);
    res.type('html').send(historyPage(user, station, daily, episodes, rows));
  });
  return pages;
}
