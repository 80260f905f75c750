/**
 * Per-request state of a station-files endpoint, readable by the host (morgan tokens, its own
 * logs) while the request runs and after: request id, station, user, live byte count, and the
 * final DownloadEvent once it exists.
 */
import type { IncomingMessage } from 'node:http';
import type { StreamProgress } from '../delivery/stream';
import type { DownloadEvent, DownloadKind, DownloadUser } from './events';

/** What the library knows about a request so far. */
export interface RequestContext {
  id: string;
  kind: DownloadKind;
  station: string | null;
  fileId: string | null;
  user: DownloadUser | null;
  /** Body bytes handed to the response so far (stream delivery), and whether the storage failed mid-body. */
  progress: StreamProgress;
  /** The final event, once the request is over. */
  event: DownloadEvent | null;
}

const contexts = new WeakMap<IncomingMessage, RequestContext>();

/** Attaches a context to a request (done by the endpoints). */
export function attachContext(req: IncomingMessage, context: RequestContext): void {
  contexts.set(req, context);
}

/**
 * The station-files context of a request, or undefined for requests that did not reach an
 * endpoint.
 *
 * @example
 * const ctx = requestContext(req);
 * console.log(ctx?.id, ctx?.station, ctx?.user?.name);
 */
export function requestContext(req: IncomingMessage): RequestContext | undefined {
  return contexts.get(req);
}
