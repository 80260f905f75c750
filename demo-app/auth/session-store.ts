/** express-session store on the demo's SQLite database, so sessions survive restarts. */
import session from 'express-session';
import type { Db } from '../db/database';

const DAY = 24 * 60 * 60 * 1000;

export class SqliteSessionStore extends session.Store {
  constructor(private readonly db: Db) {
    super();
    db.sessions.prune();
  }

  private expiry(data: session.SessionData): number {
    const expires = data.cookie?.expires;
    return expires ? new Date(expires).getTime() : Date.now() + DAY;
  }

  override get(sid: string, cb: (err: unknown, data?: session.SessionData | null) => void): void {
    try {
      const raw = this.db.sessions.get(sid);
      cb(null, raw ? (JSON.parse(raw) as session.SessionData) : null);
    } catch (err) {
      cb(err);
    }
  }

  override set(sid: string, data: session.SessionData, cb?: (err?: unknown) => void): void {
    try {
      this.db.sessions.set(sid, this.expiry(data), JSON.stringify(data));
      cb?.();
    } catch (err) {
      cb?.(err);
    }
  }

  override destroy(sid: string, cb?: (err?: unknown) => void): void {
    try {
      this.db.sessions.destroy(sid);
      cb?.();
    } catch (err) {
      cb?.(err);
    }
  }

  override touch(sid: string, data: session.SessionData, cb?: () => void): void {
    this.db.sessions.touch(sid, this.expiry(data));
    cb?.();
  }
}
