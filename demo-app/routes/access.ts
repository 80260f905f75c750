/** Access checks for the panel's own pages and JSON API (the same rules station-files applies). */
import type { NextFunction, Request, Response } from 'express';
import type { Permission } from '../../lib';
import type { Db, Station, User } from '../db/database';

/** Stations the user may see: all for a global admin, else those with any grant. */
export async function visibleStations(db: Db, user: User): Promise<Station[]> {
  if (user.global_admin) return db.stations();
  const codes = new Set((await db.grantsOf(user.id)).map((g) => g.shortcode));
  return (await db.stations()).filter((s) => codes.has(s.shortcode));
}

/** What the user may do on a station, for showing or hiding sections. */
export async function permissionsOn(db: Db, user: User, shortcode: string): Promise<Record<Permission, boolean>> {
  const names = ['administer all', 'streamers', 'media', 'podcasts', 'reports'] as const satisfies readonly Permission[];
  const allowed = await Promise.all(names.map((p) => db.allows(user, shortcode, p)));
  return Object.fromEntries(names.map((p, i) => [p, allowed[i] === true])) as Record<Permission, boolean>;
}

export type Guarded = (req: Request, res: Response, station: Station, user: User) => Promise<void>;

/**
 * Wraps a JSON handler: 401 without a user, 404 for an unknown station, 403 without the
 * permission.
 */
export function jsonGuard(db: Db, permission: Permission, handler: Guarded) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const user = req.user as User | undefined;
      if (!user) {
        res.status(401).json({ error: 'authentication required' });
        return;
      }
      const station = await db.station(String(req.params.station));
      if (!station || station.shortcode !== req.params.station) {
        res.status(404).json({ error: 'no such station' });
        return;
      }
      if (!(await db.allows(user, station.shortcode, permission))) {
        res.status(403).json({ error: `needs the "${permission}" permission on ${station.shortcode}` });
        return;
      }
      await handler(req, res, station, user);
    } catch (err) {
      next(err);
    }
  };
}
