/**
 * DownloadEvent: one record per request to a station-files endpoint, emitted when the response
 * is over (finished, aborted, or refused). Sinks (callback, JSON lines, morgan tokens, podcast
 * statistics) all read this one shape.
 */
import type { DeliveryMode } from '../storage/types';

/**
 * What happened: `completed` (every byte went out, or nginx/S3 got the hand-off), `aborted` (the
 * client left), `failed` (storage or server failure), `denied` (401, 403, 429), `not-modified`
 * (304), `not-found` (404), `rejected` (400, 405, 412, 416: the request itself was refused).
 */
export type DownloadOutcome = 'completed' | 'aborted' | 'failed' | 'denied' | 'not-modified' | 'not-found' | 'rejected';

/** What was asked for: the route family. */
export type DownloadKind = 'recording' | 'media' | 'episode' | 'public-episode';

/** The authenticated user, as the host's passport strategy describes them. */
export interface DownloadUser {
  id: string;
  name?: string;
}

/** One request, for logs, download history and podcast statistics. */
export interface DownloadEvent {
  /** Request id, also sent as `X-Request-Id` (and to nginx, so both logs join). */
  id: string;
  /** When the request arrived (ISO 8601, UTC). */
  at: string;
  outcome: DownloadOutcome;
  /** HTTP status sent (499 when the client left before the headers). */
  status: number;
  /** Station id from the URL, or null when the URL had none. */
  station: string | null;
  user: DownloadUser | null;
  kind: DownloadKind;
  /** The file's id from the URL (broadcast, media or episode id). */
  fileId: string | null;
  /** Storage name (the key of `storages` in the options), when a file was resolved. */
  storage: string | null;
  /** How the body went out; null when none was due. */
  delivery: DeliveryMode | null;
  method: string;
  /** The request's Range header, as sent. */
  range: string | null;
  /** Body bytes Node sent; null for nginx hand-offs and redirects (nginx or S3 sent them). */
  bytesSent: number | null;
  /** File size, when known. */
  size: number | null;
  durationMs: number;
  /** Client IP (from X-Forwarded-For only through trusted proxies). */
  ip: string;
  userAgent: string | null;
  referer: string | null;
}

/** A sink receives every event; it must not throw (errors are caught and reported). */
export type DownloadSink = (event: DownloadEvent) => void | Promise<void>;
