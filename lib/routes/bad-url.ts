/**
 * Malformed percent-escapes in a path (`/station/%ZZ/…`): the router cannot decode the ids, and
 * Express passes a 400 error to the next error handler, where many host apps answer 500 and log a
 * stack trace on every such request. The station-files routers answer it themselves.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendText } from '../delivery/respond';

type ErrorHandler = (err: unknown, req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/**
 * An Express error handler, mounted last in each station-files router: a parameter that failed to
 * decode becomes `400 Invalid URL encoding`; every other error goes on to the host's handlers.
 *
 * @example
 * router.use(badUrlHandler);
 */
export const badUrlHandler: ErrorHandler = (err, req, res, next) => {
  const e = err as { status?: unknown; message?: unknown } | null;
  const decodeFailure = e?.status === 400 && typeof e.message === 'string' && e.message.startsWith('Failed to decode param');
  if (!decodeFailure || res.headersSent) return next(err);
  sendText(res, 400, 'Invalid URL encoding', {}, req.method === 'HEAD');
};
