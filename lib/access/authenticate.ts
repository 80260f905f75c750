/**
 * Authentication through the host's passport setup (or any middleware that sets `req.user`).
 * The middleware runs inside the library's pipeline; if it answers by itself (passport's 401
 * with WWW-Authenticate), the pipeline stops there.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import onFinished from 'on-finished';

/** A connect/Express-style middleware, e.g. `passport.authenticate(['session', 'api-key'], { session: false })`. */
export type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/**
 * Runs `middleware` and resolves `'next'` when it calls `next()`, `'handled'` when it ended the
 * response itself; rejects when it passes an error.
 *
 * @example
 * if ((await runMiddleware(passport.authenticate('api-key', { session: false }), req, res)) === 'handled') return;
 */
export function runMiddleware(middleware: Middleware, req: IncomingMessage, res: ServerResponse): Promise<'next' | 'handled'> {
  return new Promise((resolve, reject) => {
    let settled = false;
    onFinished(res, () => {
      if (!settled) {
        settled = true;
        resolve('handled');
      }
    });
    try {
      middleware(req, res, (err?: unknown) => {
        if (settled) return;
        settled = true;
        if (err) reject(err);
        else resolve('next');
      });
    } catch (err) {
      if (!settled) {
        settled = true;
        reject(err);
      }
    }
  });
}

/** The `WWW-Authenticate` challenge sent with a 401 to clients that are not browsers. */
export function wantsChallenge(req: IncomingMessage): boolean {
  const accept = String(req.headers.accept ?? '');
  return !accept.includes('text/html');
}
