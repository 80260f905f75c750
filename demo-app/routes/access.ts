/** Access checks for the panel's own pages and JSON API (the same rules station-files applies). */
import type { NextFunction, Request, Response } from 'express';
import type { Permission } from '../../lib';
import type { Db, Station, User } from '../db/database';

/** Stations the user may see: all for a global admin, else those with any grant. */
export function visibleStations(db: Db, user: User): Station[] {
  if (user.global_admin) return db.stations();
  const codes = new Set(db.grantsOf(user.id).map((g) => g.shortcode));
  return db.stations().filter((s) => codes.has(s.shortcode));
}

/** What the user may do on a station, for showing or hiding sections. */
export function permissionsOn(db: Db, user: User, shortcode: string): Record<Permission, boolean> {
  const can = (p: Permission) => db.allows(user, shortcode, p);
  return { 'administer all': can('administer all'), streamers: can('streamers'), media: can('media'), podcasts: can('podcasts'), reports: can('reports') };
}

export type Guarded = (req: Request, res: Response, station: Station, user: User) => void;

/**
 * Wraps a JSON handler: 401 without a user, 404 for an unknown station, 403 without the
 * permission.
 */
export function jsonGuard(db: Db, permission: Permission, handler: Guarded) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const user = req.user as User | undefined;
    if (!user) {
      res.status(401).json({ error: 'authentication required' });
      return;
    }
    const station = db.station(String(req.params.station));
    if (!station || station.shortcode !== req.params.station) {
      res.status(404).json({ error: 'no such station' });
      return;
    }
    if (!db.allows(user, station.shortcode, permission)) {
      res.status(403).json({ error: `needs the "${permission}" permission on ${station.shortcode}` });
      return;
    }
    try {
      handler(req, res, station, user);
    } catch (err) {
      next(err);
    }
  };
}
