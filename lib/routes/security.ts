/**
 * helmet's security headers, worked out once per router: for given options helmet sets the same
 * values on every response, so it is run once at creation against a stub response and the
 * headers it set (and removed: `X-Powered-By`) are replayed on each request, in helmet's order,
 * without its chain of twelve middleware calls. A Content-Security-Policy with a function among
 * its directive values (a per-request nonce) depends on the request: that header alone is still
 * made per request by helmet's own middleware (it comes first in helmet's order, so the order
 * stays the same). Options helmet rejects throw here, at creation, as helmet itself does.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';

type Next = (err?: unknown) => void;
/** An Express-style middleware over plain Node request and response types. */
export type SecurityMiddleware = (req: IncomingMessage, res: ServerResponse, next: Next) => void;
/** One header call helmet made: set `name` to `value`, or remove `name` (value null). */
type HeaderCall = readonly [name: string, value: string | null];

/** True when a CSP option carries a function among its directive values (helmet calls it per request). */
function dynamicCsp(csp: HelmetOptions['contentSecurityPolicy']): boolean {
  if (typeof csp !== 'object' || csp === null || !csp.directives) return false;
  return Object.values(csp.directives).some((value) => (Array.isArray(value) || value instanceof Set) && [...value].some((v) => typeof v === 'function'));
}

/**
 * The header calls `middleware` makes on a stub response, or null when it did not finish at once
 * without an error (then it cannot be replayed and runs per request).
 */
function capture(middleware: SecurityMiddleware): HeaderCall[] | null {
  const calls: HeaderCall[] = [];
  const res = {
    setHeader(name: string, value: unknown): unknown {
      calls.push([name, String(value)]);
      return res;
    },
    removeHeader(name: string): void {
      calls.push([name, null]);
    },
  };
  let ok = false;
  middleware({} as IncomingMessage, res as unknown as ServerResponse, (err) => {
    ok = err === undefined;
  });
  return ok ? calls : null;
}

/** A function that makes `calls` on a response. */
function replay(calls: readonly HeaderCall[]): (res: ServerResponse) => void {
  return (res) => {
    for (const [name, value] of calls) {
      if (value === null) res.removeHeader(name);
      else res.setHeader(name, value);
    }
  };
}

/**
 * The middleware that gives each response exactly the headers `helmet(options)` would, with the
 * static ones computed once (see the file comment); null when `options` is `false`.
 *
 * @example
 * const security = securityHeaders(options.helmet);
 * if (security) router.all(spec.path, security, handler);
 */
export function securityHeaders(options: HelmetOptions | false | undefined): SecurityMiddleware | null {
  if (options === false) return null;
  const perRequestCsp = dynamicCsp(options?.contentSecurityPolicy);
  const fixed = helmet(perRequestCsp ? { ...options, contentSecurityPolicy: false } : options) as unknown as SecurityMiddleware;
  const calls = capture(fixed);
  if (calls === null) return perRequestCsp ? (helmet(options) as unknown as SecurityMiddleware) : fixed;
  const apply = replay(calls);
  if (!perRequestCsp) {
    return (_req, res, next) => {
      apply(res);
      next();
    };
  }
  const csp = helmet.contentSecurityPolicy(
    options?.contentSecurityPolicy as Parameters<typeof helmet.contentSecurityPolicy>[0],
  ) as unknown as SecurityMiddleware;
  return (req, res, next) =>
    csp(req, res, (err) => {
      if (err) return next(err);
      apply(res);
      next();
    });
}
