/**
 * Running the host's authentication middleware (passport, or anything that sets `req.user`)
 * inside the pipeline: whether it called next(), answered by itself, or passed an error; and
 * whether a 401 should carry a WWW-Authenticate challenge. routes/identify.ts uses both.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

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
    // Plain listeners rather than on-finished: this runs on every request, and they are removed
    // as soon as the middleware calls next().
    const onEnd = (): void => settle(() => resolve('handled'));
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      res.off('finish', onEnd);
      res.off('close', onEnd);
      fn();
    };
    if (res.writableEnded || res.destroyed) return resolve('handled');
    res.once('finish', onEnd);
    res.once('close', onEnd);
    try {
      middleware(req, res, (err?: unknown) => settle(() => (err ? reject(err) : resolve('next'))));
    } catch (err) {
      settle(() => reject(err));
    }
  });
}

/** The `WWW-Authenticate` challenge sent with a 401 to clients that are not browsers. */
export function wantsChallenge(req: IncomingMessage): boolean {
  const accept = String(req.headers.accept ?? '');
  return !accept.includes('text/html');
}
