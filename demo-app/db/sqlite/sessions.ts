/** express-session store on the demo's SQLite database, so sessions survive restarts. */
import type Database from 'better-sqlite3';
import session from 'express-session';

const DAY = 24 * 60 * 60 * 1000;

export class SqliteSessionStore extends session.Store {
  private readonly q;

  constructor(db: Database.Database) {
    super();
    this.q = {
      get: db.prepare<[string, number], { data: string }>('SELECT data FROM sessions WHERE sid = ? AND expires > ?'),
      set: db.prepare<[string, number, string]>(
        'INSERT INTO sessions (sid, expires, data) VALUES (?, ?, ?) ON CONFLICT(sid) DO UPDATE SET expires = excluded.expires, data = excluded.data',
      ),
      destroy: db.prepare<[string]>('DELETE FROM sessions WHERE sid = ?'),
      touch: db.prepare<[number, string]>('UPDATE sessions SET expires = ? WHERE sid = ?'),
      prune: db.prepare<[number]>('DELETE FROM sessions WHERE expires <= ?'),
    };
    this.q.prune.run(Date.now());
  }

  /** Nothing to stop: expired sessions are pruned when a store is made (at start). */
  close(): void {}

  private expiry(data: session.SessionData): number {
    const expires = data.cookie?.expires;
    return expires ? new Date(expires).getTime() : Date.now() + DAY;
  }

  override get(sid: string, cb: (err: unknown, data?: session.SessionData | null) => void): void {
    try {
      const raw = this.q.get.get(sid, Date.now())?.data;
      cb(null, raw ? (JSON.parse(raw) as session.SessionData) : null);
    } catch (err) {
      cb(err);
    }
  }

  override set(sid: string, data: session.SessionData, cb?: (err?: unknown) => void): void {
    try {
      this.q.set.run(sid, this.expiry(data), JSON.stringify(data));
      cb?.();
    } catch (err) {
      cb?.(err);
    }
  }

  override destroy(sid: string, cb?: (err?: unknown) => void): void {
    try {
      this.q.destroy.run(sid);
      cb?.();
    } catch (err) {
      cb?.(err);
    }
  }

  override touch(sid: string, data: session.SessionData, cb?: () => void): void {
    try {
      this.q.touch.run(this.expiry(data), sid);
    } catch {
      // A missed touch only shortens the session; the next request touches it again.
    }
    cb?.();
  }
}
