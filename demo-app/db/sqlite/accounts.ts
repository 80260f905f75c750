/** SQLite: stations, users, grants and API keys. */
import type Database from 'better-sqlite3';
import { newApiKey, sha256 } from '../rows';
import type { AccountQueries, ApiKeyRow, GrantRow, Station, User, UserWithHash } from '../types';

export function sqliteAccounts(db: Database.Database): AccountQueries {
  const q = {
    stations: db.prepare<[], Station>('SELECT id, shortcode, name FROM stations ORDER BY name'),
    stationById: db.prepare<[number], Station>('SELECT id, shortcode, name FROM stations WHERE id = ?'),
    stationByCode: db.prepare<[string], Station>('SELECT id, shortcode, name FROM stations WHERE shortcode = ?'),
    insertStation: db.prepare<[string, string]>('INSERT INTO stations (shortcode, name) VALUES (?, ?)'),
    userByEmail: db.prepare<[string], UserWithHash>('SELECT * FROM users WHERE email = ?'),
    userById: db.prepare<[number], User>('SELECT id, email, name, global_admin FROM users WHERE id = ?'),
    insertUser: db.prepare<[string, string, string, number]>('INSERT INTO users (email, name, password_hash, global_admin) VALUES (?, ?, ?, ?)'),
    grant: db.prepare<[number, number, string]>('INSERT OR IGNORE INTO grants (user_id, station_id, permission) VALUES (?, ?, ?)'),
    allows: db.prepare<[number, string, string], { ok: number }>(
      `SELECT 1 AS ok FROM grants g JOIN stations s ON s.id = g.station_id
       WHERE g.user_id = ? AND s.shortcode = ? AND g.permission IN (?, 'administer all') LIMIT 1`,
    ),
    grantsOf: db.prepare<[number], GrantRow>('SELECT s.shortcode, g.permission FROM grants g JOIN stations s ON s.id = g.station_id WHERE g.user_id = ?'),
    insertKey: db.prepare<[number, string, string, string]>('INSERT INTO api_keys (user_id, key_hash, created_at, key_prefix) VALUES (?, ?, ?, ?)'),
    apiKeysOf: db.prepare<[number], ApiKeyRow>('SELECT id, user_id, created_at, key_prefix FROM api_keys WHERE user_id = ? ORDER BY id'),
    apiKeyById: db.prepare<[number], ApiKeyRow>('SELECT id, user_id, created_at, key_prefix FROM api_keys WHERE id = ?'),
    deleteApiKey: db.prepare<[number]>('DELETE FROM api_keys WHERE id = ?'),
    userByKey: db.prepare<[string], User>('SELECT u.id, u.email, u.name, u.global_admin FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = ?'),
  };
  return {
    stations: async () => q.stations.all(),
    station: async (ref) => q.stationByCode.get(String(ref)) ?? (/^\d+$/.test(String(ref)) ? q.stationById.get(Number(ref)) : undefined),
    addStation: async (shortcode, name) => ({ id: Number(q.insertStation.run(shortcode, name).lastInsertRowid), shortcode, name }),
    userByEmail: async (email) => q.userByEmail.get(email),
    userById: async (id) => q.userById.get(id),
    addUser: async (u) => {
      const id = Number(q.insertUser.run(u.email, u.name, u.passwordHash, u.globalAdmin ? 1 : 0).lastInsertRowid);
      return { id, email: u.email, name: u.name, global_admin: u.globalAdmin ? 1 : 0 };
    },
    grant: async (userId, stationId, permission) => void q.grant.run(userId, stationId, permission),
    allows: async (user, shortcode, permission) => user.global_admin === 1 || q.allows.get(user.id, shortcode, permission) !== undefined,
    grantsOf: async (userId) => q.grantsOf.all(userId),
    createApiKey: async (userId) => {
      const { key, hash, prefix } = newApiKey();
      q.insertKey.run(userId, hash, new Date().toISOString(), prefix);
      return key;
    },
    apiKeys: async (userId) => q.apiKeysOf.all(userId),
    apiKey: async (id) => q.apiKeyById.get(id),
    revokeApiKey: async (id) => q.deleteApiKey.run(id).changes === 1,
    userByApiKey: async (key) => q.userByKey.get(sha256(key)),
  };
}
