/** The delivery layer's shapes: what to serve, the response options, and what happened. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DispositionType } from '../http/disposition';
import type { ByteRange, DeliveryMode, Storage } from '../storage/types';
import type { AccelOptions } from './accel';
import type { AbortReason, StreamProgress } from './stream';

/** One file to serve: where it lives and how to present it. */
export interface FileTarget {
  storage: Storage;
  key: string;
  /** Name for Content-Disposition; defaults to the key's last segment. */
  filename?: string;
  /** Explicit Content-Type; otherwise from the extension, then the storage. */
  contentType?: string;
  /** @default 'attachment' */
  disposition?: DispositionType;
}

/** Options for {@link createDelivery}. */
export interface ResponseOptions {
  /** Cache-Control for files. @default 'private, no-cache' */
  cacheControl?: string;
  /** Ranges one request may name (they must coalesce into one), else the full 200 is sent. @default 1 */
  maxRanges?: number;
  /** X-Accel-* controls for nginx hand-offs. */
  accel?: AccelOptions;
  /** Lifetime in seconds of presigned URLs for redirect delivery. @default 300 */
  redirectExpiresIn?: number;
  /**
   * Stream delivery: cut a response that has been unable to take more bytes (a client that
   * stopped reading) for this many ms, releasing its socket, file descriptor or S3 connection,
   * and buffers; the download is `aborted` with `reason: 'client-stalled'`. Like nginx's
   * `send_timeout`. 0 turns it off. @default 60000
   */
  sendTimeoutMs?: number;
}

/** What happened to one request. */
export type DeliveryOutcome =
  | 'completed'
  | 'aborted'
  | 'failed'
  | 'not-modified'
  | 'not-found'
  | 'precondition-failed'
  | 'range-not-satisfiable'
  | 'method-not-allowed';

/** The result of {@link Delivery.serve}, for logs and download events. */
export interface DeliveryResult {
  outcome: DeliveryOutcome;
  status: number;
  /** How the bytes went out; `null` when no body was due (HEAD, 304, errors). */
  delivery: DeliveryMode | null;
  /** Body bytes sent by Node; `null` for nginx hand-offs and redirects (nginx or S3 send them). */
  bytesSent: number | null;
  /** The file's size, when it was found. */
  size: number | null;
  /** The byte range served (206), else `null`. */
  range: ByteRange | null;
  /** The failure behind `failed` (for logs; never sent to the client). */
  error?: Error;
  /** Why the server cut an `aborted` download: `client-stalled` (see `sendTimeoutMs`). */
  reason?: AbortReason;
}

/** A configured file server. */
export interface Delivery {
  /**
   * Serves `target` to `req`/`res` and resolves when the response is over. Never rejects.
   * `progress.bytesSent` follows a streamed body live.
   */
  serve(req: IncomingMessage, res: ServerResponse, target: FileTarget, progress?: StreamProgress): Promise<DeliveryResult>;
}

/** {@link ResponseOptions} checked once, with defaults applied. */
export interface NormalizedDelivery {
  cacheControl: string;
  maxRanges: number;
  accel: AccelOptions;
  redirectExpiresIn: number;
  sendTimeoutMs: number;
}
