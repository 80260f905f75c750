/**
 * Database errors the panel answers in its own words: a database that cannot be reached (503
 * with a short reason, never a stack trace) and a unique violation (a duplicate email, event id).
 */

/** PostgreSQL SQLSTATEs that mean "not reachable now": class 08 (connection), shutdown, starting up, too many connections. */
const UNAVAILABLE_STATES = /^(08...|57P0[123]|53300)$/;
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN', 'SQLITE_BUSY']);
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|not queryable|Client was closed/;

const field = (err: unknown, name: string): unknown => (err !== null && typeof err === 'object' ? (err as Record<string, unknown>)[name] : undefined);

/** Why the database cannot be used now (one short line), or null when `err` is something else. */
export function unavailableReason(err: unknown): string | null {
  const code = field(err, 'code');
  const message = String(field(err, 'message') ?? '');
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_STATES.test(code))) {
    if (code === 'SQLITE_BUSY') return 'the database is busy';
    if (code === '57P03') return 'the database is starting up';
    if (code.startsWith('57P')) return 'the database is shutting down';
    return `the database is not reachable (${code})`;
  }
  if (UNAVAILABLE_MESSAGES.test(message)) return 'the database connection was lost';
  return null;
}

/** A duplicate key: SQLite's UNIQUE/PRIMARY KEY constraint or PostgreSQL's 23505. */
export function isUniqueViolation(err: unknown): boolean {
  const code = field(err, 'code');
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}
