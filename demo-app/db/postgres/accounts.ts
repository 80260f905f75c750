/** PostgreSQL: stations, users, grants and API keys. */
import { newApiKey, sha256 } from '../rows';
import type { AccountQueries, ApiKeyRow, GrantRow, Station, User, UserWithHash } from '../types';
import { hasNul, isInt4, type Query } from './query';

const USER = 'id, email, name, global_admin';

export function pgAccounts(q: Query): AccountQueries {
  const one = async <T extends object>(text: string, values: readonly unknown[]): Promise<T | undefined> => (await q<T>(text, values))[0];
  return {
    stations: () => q<Station>('SELECT id, shortcode, name FROM stations ORDER BY name'),
    station: async (ref) =>
      hasNul(String(ref))
        ? undefined
        : ((await one<Station>('SELECT id, shortcode, name FROM stations WHERE shortcode = $1', [String(ref)])) ??
          (/^\d{1,9}$/.test(String(ref)) ? one<Station>('SELECT id, shortcode, name FROM stations WHERE id = $1', [Number(ref)]) : undefined)),
    addStation: async (shortcode, name) => {
      const row = await one<{ id: number }>('INSERT INTO stations (shortcode, name) VALUES ($1, $2) RETURNING id', [shortcode, name]);
      return { id: row?.id ?? 0, shortcode, name };
    },
    userByEmail: async (email) => (hasNul(email) ? undefined : one<UserWithHash>('SELECT * FROM users WHERE lower(email) = lower($1)', [email])),
    userById: async (id) => (!isInt4(id) ? undefined : one<User>(`SELECT ${USER} FROM users WHERE id = $1`, [id])),
    addUser: async (u) => {
      const row = await one<User>(`INSERT INTO users (email, name, password_hash, global_admin) VALUES ($1, $2, $3, $4) RETURNING ${USER}`, [
        u.email,
        u.name,
        u.passwordHash,
        u.globalAdmin ? 1 : 0,
      ]);
      if (!row) throw new Error('the new user cannot be read back');
      return row;
    },
    grant: async (userId, stationId, permission) =>
      void (await q.count('INSERT INTO grants (user_id, station_id, permission) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [userId, stationId, permission])),
    allows: async (user, shortcode, permission) =>
      user.global_admin === 1 ||
      (
        await q(
          `SELECT 1 FROM grants g JOIN stations s ON s.id = g.station_id
       WHERE g.user_id = $1 AND s.shortcode = $2 AND g.permission IN ($3, 'administer all') LIMIT 1`,
          [user.id, shortcode, permission],
        )
      ).length > 0,
    grantsOf: (userId) => q<GrantRow>('SELECT s.shortcode, g.permission FROM grants g JOIN stations s ON s.id = g.station_id WHERE g.user_id = $1', [userId]),
    createApiKey: async (userId) => {
      const { key, hash, prefix } = newApiKey();
      await q.count('INSERT INTO api_keys (user_id, key_hash, created_at, key_prefix) VALUES ($1, $2, $3, $4)', [
        userId,
        hash,
        new Date().toISOString(),
        prefix,
      ]);
      return key;
    },
    apiKeys: (userId) => q<ApiKeyRow>('SELECT id, user_id, created_at, key_prefix FROM api_keys WHERE user_id = $1 ORDER BY id', [userId]),
    apiKey: async (id) => (!isInt4(id) ? undefined : one<ApiKeyRow>('SELECT id, user_id, created_at, key_prefix FROM api_keys WHERE id = $1', [id])),
    revokeApiKey: async (id) => isInt4(id) && (await q.count('DELETE FROM api_keys WHERE id = $1', [id])) === 1,
    userByApiKey: (key) =>
      one<User>('SELECT u.id, u.email, u.name, u.global_admin FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = $1', [sha256(key)]),
  };
}
