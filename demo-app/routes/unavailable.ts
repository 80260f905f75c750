/**
 * When the database cannot be reached (PostgreSQL restarting, a network cut): pages and API calls
 * that need it are answered `503 Service Unavailable` with a short reason and Retry-After, never a
 * 500 with a stack trace, and the panel serves again as soon as the database answers.
 *
 * `noteError` classifies any error (db/errors.ts) and remembers that the database is down; while
 * it is, `gate` checks with one cheap round trip (`ping`) before letting a request in, so requests
 * fail fast with 503 instead of each discovering it (the library's file routes would answer 500),
 * and the first successful ping lets everything through again. Downloads already streaming need
 * no database and go on; their history rows are reported to onError if the insert fails.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { unavailableReason } from '../db/errors';
import type { Db } from '../db/types';

export const RETRY_AFTER_SECONDS = 5;

export function sendUnavailable(req: Request, res: Response, reason: string): void {
  res.status(503).set({ 'Retry-After': String(RETRY_AFTER_SECONDS), 'Cache-Control': 'no-store' });
  if (req.originalUrl.startsWith('/api/')) res.json({ error: `service unavailable: ${reason}` });
  else res.type('text').send(`Service Unavailable: ${reason}. Try again in a few seconds.\n`);
}

export interface DatabaseGuard {
  /** Middleware: 503 while the database is known to be down and a ping says it still is. */
  gate: RequestHandler;
  /** Remembers an unavailability error; returns its reason, or null for any other error. */
  noteError(err: unknown): string | null;
  /** The reason the database is down, or null. */
  down(): string | null;
}

export function databaseGuard(db: Db, log: (line: string) => void): DatabaseGuard {
  let down: string | null = null;
  let pinging: Promise<void> | null = null;
  const noteError = (err: unknown): string | null => {
    const reason = unavailableReason(err);
    if (reason !== null && down === null) log(`demo-app: database unavailable: ${reason}; answering 503 until it is back`);
    if (reason !== null) down = reason;
    return reason;
  };
  // One ping at a time, shared by the requests that arrive meanwhile.
  const ping = (): Promise<void> => {
    pinging ??= db
      .ping()
      .then(
        () => {
          if (down !== null) log('demo-app: database reachable again');
          down = null;
        },
        (err: unknown) => void (noteError(err) ?? (down = 'the database is not answering')),
      )
      .finally(() => {
        pinging = null;
      });
    return pinging;
  };
  const gate = (req: Request, res: Response, next: NextFunction): void => {
    if (down === null) return next();
    ping().then(() => (down === null ? next() : sendUnavailable(req, res, down)), next);
  };
  return { gate, noteError, down: () => down };
}
