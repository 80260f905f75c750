/**
 * Who is asking, for a private route: a valid signed link, a user the host already set
 * (`passport.session()` mounted app-wide), or the `authenticate` middleware's user. Returns who
 * it is and how they got in, or the refusal to send.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { runMiddleware, wantsChallenge } from '../access/authenticate';
import { readSignedQuery } from '../access/signed-url';
import type { DownloadVia } from '../log/events';
import type { Wiring } from './wiring';

/** A request that got in: how, and for signed links whose link it was. */
export interface Identity {
  via: DownloadVia;
  user: unknown;
  linkSubject: string | null;
}

/** A refusal to send: status, one-line reason, extra headers. `handled`: the middleware answered itself. */
export type Refusal = { status: number; reason: string; headers?: Record<string, string> } | 'handled';

type AuthRequest = IncomingMessage & { user?: unknown };

const hasUser = (req: AuthRequest): boolean => req.user !== undefined && req.user !== null && req.user !== false;

/** passport's `failWithError` passes an AuthenticationError (status 401/403) instead of answering. */
function authFailure(err: unknown): number {
  const status = (err as { status?: unknown } | null)?.status;
  if (status === 401 || status === 403) return status;
  throw err;
}

function unauthenticated(req: IncomingMessage, wiring: Wiring, status = 401): Refusal {
  if (status === 403) return { status, reason: 'Forbidden' };
  return { status, reason: 'Authentication required', headers: wantsChallenge(req) ? { 'WWW-Authenticate': wiring.challenge } : {} };
}

/** The signed link's verdict, or null when the request carries no signature. */
function signedLink(req: IncomingMessage, wiring: Wiring, station: string): Identity | Refusal | null {
  // Parsed only when a signed link is possible (a URL object per request shows in profiles).
  const url = wiring.signer && req.url?.includes('sig=') ? new URL(req.url, 'http://station-files.invalid') : null;
  if (!url?.searchParams.has('sig') || !wiring.signer) return null;
  // The signed "file" is the endpoint path below the mount point (plus the link's subject, if
  // any): it names station, kind and ids at once, so a link for one file never opens another.
  const subject = url.searchParams.get('sub');
  const file = subject === null ? url.pathname : `${url.pathname}#sub=${subject}`;
  const check = wiring.signer.verify({ station, file, ...readSignedQuery(url.searchParams) });
  if (!check.ok) return { status: 403, reason: check.reason === 'expired' ? 'Link expired' : 'Invalid link signature' };
  return { via: 'signed-link', user: null, linkSubject: subject };
}

/**
 * Identifies the request for `station`: signed link first, then the host's session user, then
 * the `authenticate` middleware. Never throws for a failed login; rethrows unexpected errors.
 *
 * @example
 * const who = await identify(req, res, wiring, 'alpha');
 * if ('via' in who) ... else refuse(who);
 */
export async function identify(req: AuthRequest, res: ServerResponse, wiring: Wiring, station: string): Promise<Identity | Refusal> {
  const link = signedLink(req, wiring, station);
  if (link) return link;
  if (hasUser(req)) return { via: 'session', user: req.user, linkSubject: null };
  if (wiring.authenticate) {
    const step = await runMiddleware(wiring.authenticate, req, res).catch((err: unknown) => authFailure(err));
    if (step === 'handled') return 'handled';
    if (typeof step === 'number') return unauthenticated(req, wiring, step);
  }
  return hasUser(req) ? { via: 'authenticate', user: req.user, linkSubject: null } : unauthenticated(req, wiring);
}
