/**
 * Request guards of the panel's forms:
 *
 * - `crossSiteGuard`: state-changing requests (anything but GET, HEAD, OPTIONS) from another
 *   site are refused with `403 Cross-site request refused`, login included (login CSRF). The
 *   browser says where a request comes from: `Sec-Fetch-Site` (only `same-origin` and `none`, a
 *   typed URL or bookmark, pass) or, from browsers without it, `Origin` (must name this host, or
 *   PUBLIC_URL / PUBLIC_HOSTS). A request with neither header is not from a browser and carries no
 *   ambient credentials to abuse, so it passes (curl, scripts).
 * - `loginLimits`: failed logins per client IP and per account (email), in a fixed window, with
 *   express-rate-limit. Every attempt counts from its start (so a burst of parallel attempts is
 *   bounded too) and a successful one is taken back. Past a limit: 429 with Retry-After.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Origins trusted besides the request's own: PUBLIC_URL's, and http(s)://each of PUBLIC_HOSTS. */
export function trustedOrigins(publicUrl: string | null, publicHosts: readonly string[]): Set<string> {
  const set = new Set<string>();
  if (publicUrl) set.add(new URL(publicUrl).origin);
  for (const h of publicHosts) for (const scheme of ['http', 'https']) set.add(`${scheme}://${h}`);
  return set;
}

function originHost(origin: string): string | null {
  try {
    const url = new URL(origin);
    return url.origin === 'null' ? null : url.host;
  } catch {
    return null;
  }
}

export function crossSiteGuard(trusted: ReadonlySet<string>): RequestHandler {
  const refuse = (res: Response, why: string): void => {
    res.status(403).type('text').set('Cache-Control', 'no-store').send(`Cross-site request refused (${why})\n`);
  };
  return (req: Request, res: Response, next: NextFunction): void => {
    if (SAFE.has(req.method)) return next();
    const origin = req.get('origin');
    const isTrusted = origin !== undefined && trusted.has(origin.toLowerCase());
    const site = req.get('sec-fetch-site');
    if (site !== undefined) {
      if (site === 'same-origin' || site === 'none' || isTrusted) return next();
      return refuse(res, `Sec-Fetch-Site: ${site.slice(0, 20)}`);
    }
    if (origin === undefined) return next();
    const host = originHost(origin);
    if ((host !== null && host === req.get('host')?.toLowerCase()) || isTrusted) return next();
    return refuse(res, 'Origin is not this site');
  };
}

export interface LoginLimitOptions {
  /** Window of the counts. @default 15 minutes */
  windowMs?: number;
  /** Failed logins per client IP (IPv6 by /56, express-rate-limit's default) per window. @default 30 */
  perIp?: number;
  /** Failed logins per account (email, case-insensitive) per window. @default 10 */
  perAccount?: number;
}

export interface LoginLimits {
  perIp: RequestHandler;
  /** Must run after the form body is parsed (it reads `req.body.email`). */
  perAccount: RequestHandler;
}

/** `limited(req, res, retryAfterSeconds)` answers a refused attempt (Retry-After is already set). */
export function loginLimits(options: LoginLimitOptions, limited: (req: Request, res: Response, retryAfterSeconds: number) => void): LoginLimits {
  const windowMs = options.windowMs ?? 15 * 60_000;
  const common = {
    windowMs,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    // Only failed attempts count: a login that worked (303 to the panel) is taken back.
    skipSuccessfulRequests: true,
    requestWasSuccessful: (_req: Request, res: Response) => res.statusCode === 303,
    handler: (req: Request, res: Response) => limited(req, res, Number(res.getHeader('Retry-After')) || Math.ceil(windowMs / 1000)),
  } as const;
  const email = (req: Request): string => (typeof req.body?.email === 'string' ? req.body.email.trim().toLowerCase().slice(0, 320) : '');
  return {
    perIp: rateLimit({ ...common, limit: options.perIp ?? 30, identifier: 'login-ip' }),
    perAccount: rateLimit({
      ...common,
      limit: options.perAccount ?? 10,
      identifier: 'login-account',
      keyGenerator: (req) => `account:${email(req)}`,
      skip: (req) => email(req) === '',
    }),
  };
}
