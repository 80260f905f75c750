/**
 * morgan integration: tokens that put station-files' view of a request in the host's access
 * log (`:station`, `:user`, `:request-id`, `:download-outcome`, `:download-bytes`) and a ready
 * format. Tokens read the live request context, so they are right even though morgan writes its
 * line the moment the response finishes. An nginx hand-off is logged `handed-off` with `-` bytes:
 * morgan writes when the app's empty answer ends, before nginx has sent a byte; the DownloadEvent
 * carries nginx's reported bytes (createNginxReports).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { outcomeForStatus } from './outcome';
import { requestContext } from './request-context';
import { everyByteHandedOver } from '../delivery/stream';

/** A ready morgan format: who downloaded what, how it ended, and how many body bytes went out. */
export const DOWNLOAD_LOG_FORMAT =
  ':remote-addr :request-id :user :station ":method :url" :status :download-outcome :download-bytes ":referrer" ":user-agent" :response-time ms';

/** What the tokens need of morgan: its `token()` registry (morgan 1.9 and later). */
export interface MorganTokens {
  token(name: string, callback: (req: IncomingMessage, res: ServerResponse) => string | undefined): unknown;
}

/**
 * Registers the station-files tokens on the host's own morgan (pass the `morgan` you import;
 * station-files has no morgan of its own, so the tokens land where your formats read them).
 * Requests that did not reach a station-files endpoint log `-` for every token.
 *
 * @example
 * import morgan from 'morgan';
 * registerMorganTokens(morgan);
 * app.use(morgan(DOWNLOAD_LOG_FORMAT));
 * app.use('/api', files.router());
 */
export function registerMorganTokens<M extends MorganTokens>(instance: M): M {
  if (typeof instance?.token !== 'function') throw new TypeError('registerMorganTokens: pass your morgan (import morgan from "morgan")');
  const ctx = (req: IncomingMessage) => requestContext(req);
  instance.token('station', (req: IncomingMessage) => ctx(req)?.station ?? '-');
  instance.token('request-id', (req: IncomingMessage) => ctx(req)?.id ?? '-');
  instance.token('user', (req: IncomingMessage) => {
    const user = ctx(req)?.user;
    return user
      ? JSON.stringify(user.name ?? user.id)
          .slice(1, -1)
          .replace(/\s/g, '_')
      : '-';
  });
  instance.token('download-outcome', (req: IncomingMessage, res: ServerResponse) => {
    const c = ctx(req);
    if (!c) return '-';
    if (handedOff(res)) return 'handed-off';
    if (c.event) return c.event.outcome;
    if (c.progress.failed) return 'failed';
    // Every planned byte went out and the client hung up before Node's end: complete, as in the event.
    if (!res.writableFinished && everyByteHandedOver(c.progress)) return 'completed';
    return outcomeForStatus(res.headersSent ? res.statusCode : 499, res.writableFinished);
  });
  instance.token('download-bytes', (req: IncomingMessage, res: ServerResponse) => {
    const c = ctx(req);
    // An nginx hand-off has an X-Accel-Redirect and no body from Node: nginx's bytes are not known yet.
    if (!c || handedOff(res)) return '-';
    if (c.event) return c.event.bytesSent === null ? '-' : String(c.event.bytesSent);
    return String(c.progress.bytesSent);
  });
  return instance;
}

const handedOff = (res: ServerResponse): boolean => res.getHeader('X-Accel-Redirect') !== undefined;
