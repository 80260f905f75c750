/** How the PostgreSQL query modules run SQL: on the pool, or on a transaction's connection. */
import type { QueryResultRow } from 'pg';

export interface Query {
  /** The rows of `text` with `$1…` parameters. */
  <T extends QueryResultRow>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** Rows affected (INSERT, UPDATE, DELETE). */
  count(text: string, params?: readonly unknown[]): Promise<number>;
}

/** `$from, $from+1, …` for `n` values. */
export const params = (n: number, from = 1): string => Array.from({ length: n }, (_, i) => `$${from + i}`).join(', ');

/** Column names quoted (`range`, `at` and friends are keywords). */
export const columns = (names: readonly string[]): string => names.map((c) => `"${c}"`).join(', ');

/** Whether `n` fits PostgreSQL's integer (ids): larger ids from a URL match no row instead of failing. */
export const isInt4 = (n: number): boolean => Number.isInteger(n) && n >= -2147483648 && n <= 2147483647;

/** PostgreSQL text cannot hold NUL: a lookup by such a string matches no row instead of failing. */
export const hasNul = (s: string): boolean => s.includes('\u0000');
