/**
 * Station permissions. The host panel decides (`authorize(user, station, permission)`); this
 * module names the permissions and offers a static map implementation for small panels and tests.
 */

/**
 * Station-level permissions, named as radio panels name them: `streamers` guards recordings of
 * live broadcasts, `media` the station's media library, `podcasts` podcast episodes, `reports`
 * the download history, and `administer all` everything on a station.
 */
export type Permission = 'administer all' | 'streamers' | 'media' | 'podcasts' | 'reports';

/** Every permission name, for validation and UIs. */
export const PERMISSIONS: readonly Permission[] = ['administer all', 'streamers', 'media', 'podcasts', 'reports'];

/** The host's decision: may `user` use `permission` on `station`? Sync or async. */
export type Authorize<User> = (user: User, station: string, permission: Permission) => boolean | Promise<boolean>;

/** Grants for {@link staticPermissions}: per user id, global admin or per-station permission lists. */
export interface StaticGrants {
  [userId: string]: { globalAdmin?: boolean; stations?: Record<string, readonly Permission[]> };
}

/**
 * An `authorize` function over a fixed map: global administrators may do everything, a user
 * with `administer all` on a station may do everything there, anyone else needs the exact
 * permission on that station. `idOf` reads the user id from the passport user.
 *
 * @example
 * const authorize = staticPermissions({
 *   '1': { globalAdmin: true },
 *   '2': { stations: { 'station-a': ['streamers'] } },
 * }, (user: { id: number }) => String(user.id));
 */
export function staticPermissions<User>(grants: StaticGrants, idOf: (user: User) => string): Authorize<User> {
  if (typeof grants !== 'object' || grants === null) throw new TypeError('staticPermissions: `grants` must be an object');
  if (typeof idOf !== 'function') throw new TypeError('staticPermissions: `idOf` must be a function');
  for (const [id, grant] of Object.entries(grants)) {
    for (const [station, list] of Object.entries(grant.stations ?? {})) {
      for (const p of list) {
        if (!PERMISSIONS.includes(p)) throw new TypeError(`staticPermissions: unknown permission "${p}" for user ${id} on ${station}`);
      }
    }
  }
  return (user, station, permission) => {
    const grant = Object.hasOwn(grants, idOf(user)) ? grants[idOf(user)] : undefined;
    if (!grant) return false;
    if (grant.globalAdmin) return true;
    const list = grant.stations && Object.hasOwn(grant.stations, station) ? grant.stations[station] : undefined;
    return !!list && (list.includes('administer all') || list.includes(permission));
  };
}
