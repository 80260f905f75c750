/**
 * morgan integration: tokens that put station-files' view of a request in the host's access
 * log (`:station`, `:user`, `:request-id`, `:download-outcome`, `:download-bytes`) and a ready
 * format. Tokens read the live request context, so they are right even though morgan writes its
 * line the moment the response finishes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import morgan from 'morgan';
import { outcomeForStatus } from './outcome';
import { requestContext } from './request-context';

/** A ready morgan format: who downloaded what, how it ended, and how many body bytes went out. */
export const DOWNLOAD_LOG_FORMAT =
  ':remote-addr :request-id :user :station ":method :url" :status :download-outcome :download-bytes ":referrer" ":user-agent" :response-time ms';

type Morgan = typeof morgan;

/**
 * Registers the station-files tokens on a morgan instance (the package's own by default).
 * Requests that did not reach a station-files endpoint log `-` for every token.
 *
 * @example
 * registerMorganTokens();
 * app.use(morgan(DOWNLOAD_LOG_FORMAT));
 * app.use('/api', files.router());
 */
export function registerMorganTokens(instance: Morgan = morgan): Morgan {
  const ctx = (req: IncomingMessage) => requestContext(req);
  instance.token('station', (req: IncomingMessage) => ctx(req)?.station ?? '-');
  instance.token('request-id', (req: IncomingMessage) => ctx(req)?.id ?? '-');
  instance.token('user', (req: IncomingMessage) => {
    const user = ctx(req)?.user;
    return user ? JSON.stringify(user.name ?? user.id).slice(1, -1).replace(/\s/g, '_') : '-';
  });
  instance.token('download-outcome', (req: IncomingMessage, res: ServerResponse) => {
    const c = ctx(req);
    if (!c) return '-';
    if (c.event) return c.event.outcome;
    if (c.progress.failed) return 'failed';
    // Every planned byte went out and the client hung up before Node's end: complete, as in the event.
    if (!res.writableFinished && c.progress.expected !== undefined && c.progress.bytesSent === c.progress.expected) return 'completed';
    return outcomeForStatus(res.headersSent ? res.statusCode : 499, res.writableFinished);
  });
  instance.token('download-bytes', (req: IncomingMessage, res: ServerResponse) => {
    const c = ctx(req);
    if (!c) return '-';
    if (c.event) return c.event.bytesSent === null ? '-' : String(c.event.bytesSent);
    // An nginx hand-off has an X-Accel-Redirect and no body from Node.
    return res.getHeader('X-Accel-Redirect') ? '-' : String(c.progress.bytesSent);
  });
  return instance;
}
