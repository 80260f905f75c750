/**
 * `station-files/postgres`: the public new-download limit's state in PostgreSQL, shared by
 * several app instances. Give it a `pg` Pool (`pg` is an optional peer dependency; this entry
 * point never loads it itself).
 */
export { postgresLimitStore } from '../access/limit-postgres';
export type { PostgresLimitStore, PostgresLimitStoreOptions, PostgresQueryable } from '../access/limit-postgres';
export type { LimitDecision, LimitRule, LimitStore } from '../access/rate-limit';
