/**
 * createDelivery: serves one file for one request. It plans the response (pure, lib/http), then
 * executes the plan with the storage's delivery mode: stream, nginx hand-off, or redirect.
 * Expected failures become short 4xx/5xx replies; the returned result says what happened.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isStorageError, StorageError } from '../storage/errors';
import type { DispositionType } from '../http/disposition';
import { planResponse, type ResponsePlan } from '../http/plan';
import { readAhead } from '../http/read-ahead';
import type { Readable } from 'node:stream';
import type { ByteRange, DeliveryMode, ObjectMeta, ReadResult, Storage } from '../storage/types';
import { OptionsReader } from '../options/reader';
import { ACCEL_KEYS, accelHeaders, readAccelOptions, sendAccel, type AccelOptions } from './accel';
import { sendRedirect } from './redirect';
import { sendText } from './respond';
import { streamBody, type AbortReason, type StreamProgress } from './stream';

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

export const DELIVERY_KEYS = ['cacheControl', 'maxRanges', 'accel', 'redirectExpiresIn', 'sendTimeoutMs'] as const;

/**
 * Reads {@link ResponseOptions} with the reader's factory and path in every message, so a bad
 * value nested in createStationFiles says `createStationFiles: delivery.maxRanges must be …`.
 *
 * @example
 * readDeliveryOptions(OptionsReader.of('createStationFiles', options, KEYS).nested('delivery', DELIVERY_KEYS));
 */
export function readDeliveryOptions(o: OptionsReader): NormalizedDelivery {
  return {
    cacheControl: o.string('cacheControl', /^[\x20-\x7e]+$/, 'a printable ASCII header value', 'private, no-cache'),
    maxRanges: o.integer('maxRanges', { min: 1, max: 100 }, 1),
    redirectExpiresIn: o.integer('redirectExpiresIn', { min: 1, max: 604_800 }, 300),
    sendTimeoutMs: o.integer('sendTimeoutMs', { min: 0, max: 2_147_483_647 }, 60_000),
    accel: readAccelOptions(o.nested('accel', ACCEL_KEYS)),
  };
}

const STATUS_OUTCOME: Record<number, DeliveryOutcome> = {
  304: 'not-modified',
  412: 'precondition-failed',
  416: 'range-not-satisfiable',
};
const REASONS: Record<number, string> = { 412: 'Precondition Failed', 416: 'Range Not Satisfiable' };

/**
 * Creates a file server with validated options. `serve` answers GET and HEAD with full HTTP
 * Range and conditional-request semantics from any storage, in constant memory.
 *
 * @example
 * const delivery = createDelivery({ cacheControl: 'private, max-age=60' });
 * app.get('/files/:name', async (req, res) => {
 *   await delivery.serve(req, res, { storage: media, key: req.params.name, disposition: 'inline' });
 * });
 */
export function createDelivery(options: ResponseOptions = {}): Delivery {
  return deliveryWith(readDeliveryOptions(OptionsReader.of('createDelivery', options, DELIVERY_KEYS)));
}

/** The file server for options already read (createStationFiles reads them with its own name). */
export function deliveryWith(opts: NormalizedDelivery): Delivery {

  function plan(req: IncomingMessage, target: FileTarget, meta: ObjectMeta): ResponsePlan {
    return planResponse({ method: req.method ?? 'GET', headers: req.headers }, meta, {
      filename: target.filename ?? target.key.slice(target.key.lastIndexOf('/') + 1),
      contentType: target.contentType,
      disposition: target.disposition ?? 'attachment',
      cacheControl: opts.cacheControl,
      maxRanges: opts.maxRanges,
    });
  }

  async function serve(
    req: IncomingMessage,
    res: ServerResponse,
    target: FileTarget,
    progress?: StreamProgress,
  ): Promise<DeliveryResult> {
    const head = req.method === 'HEAD';
    const base = { delivery: null, bytesSent: null, size: null, range: null } as const;
    if (req.method !== 'GET' && !head) {
      sendText(res, 405, 'Method Not Allowed', { Allow: 'GET, HEAD' });
      return { ...base, outcome: 'method-not-allowed', status: 405 };
    }
    const controller = new AbortController();
    const onClose = (): void => {
      if (!res.writableFinished) controller.abort();
    };
    res.once('close', onClose);
    let meta: ObjectMeta | null = null;
    // A body read together with the metadata (storage.read) until it is streamed or destroyed.
    let early: Readable | null = null;
    const mode = target.storage.delivery ?? 'stream';
    try {
      // One retry covers an object replaced between stat and open: re-plan on the new version.
      for (let attempt = 0; ; attempt++) {
        const ahead = mode === 'stream' && attempt === 0 && target.storage.read ? readAhead(req.method, req.headers) : null;
        let read: ReadResult | null = null;
        if (ahead && target.storage.read) {
          read = await target.storage.read(target.key, { range: ahead.range, signal: controller.signal });
          meta = read?.meta ?? null;
          early = read?.body ?? null;
        } else {
          meta = await target.storage.stat(target.key, controller.signal);
        }
        if (!meta) {
          sendText(res, 404, 'Not Found', {}, head);
          return { ...base, outcome: 'not-found', status: 404 };
        }
        const p = plan(req, target, meta);
        const sized = { ...base, size: meta.size };
        if (p.kind !== 'full' && p.kind !== 'partial') {
          if (p.kind === 'not-modified') {
            res.writeHead(304, p.headers);
            res.end();
          } else {
            sendText(res, p.status, REASONS[p.status] ?? 'Error', p.headers, head);
          }
          return { ...sized, outcome: STATUS_OUTCOME[p.status] ?? 'failed', status: p.status };
        }
        if (head) {
          res.writeHead(p.status, p.headers);
          res.end();
          return { ...sized, outcome: 'completed', status: p.status, range: p.range };
        }
        if (mode === 'accel' && target.storage.accel) {
          const via = opts.accel.proxyHeader;
          if (via && req.headers[via] === undefined) {
            // An empty 200 would look like a finished download: refuse loudly instead.
            throw new StorageError('unavailable', `accel delivery needs nginx in front with the nginxConfig() locations: the request has no ${via} header`);
          }
          const accelTarget = await target.storage.accel(target.key, { meta, range: p.range ?? undefined });
          sendAccel(res, accelHeaders(p, accelTarget, opts.accel));
          return { ...sized, outcome: 'completed', status: p.status, delivery: 'accel', range: p.range };
        }
        if (mode === 'redirect') {
          await sendRedirect(res, target.storage, target.key, p, opts.redirectExpiresIn);
          return { ...sized, outcome: 'completed', status: 302, delivery: 'redirect', range: p.range };
        }
        let body: Readable;
        if (early && read && sameSpan(read.range, p.range, meta.size)) {
          body = early;
        } else {
          // The read-ahead guessed other bytes than the plan needs (If-Range, a clipped range):
          // drop it and read exactly the planned bytes of the planned version.
          early?.destroy();
          early = null;
          try {
            body = await target.storage.open(target.key, {
              range: p.range ?? undefined,
              ifMatch: meta.etag,
              signal: controller.signal,
              meta,
            });
          } catch (err) {
            if (isStorageError(err) && err.code === 'changed' && attempt === 0) continue;
            throw err;
          }
        }
        early = null;
        if (controller.signal.aborted || res.destroyed) {
          // The client left while the storage was opening: that is an abort, not a failure.
          body.destroy();
          return { ...sized, outcome: 'aborted', status: 499, range: p.range };
        }
        // The head goes out with the first body byte: a body that fails before it still gets a 502/503.
        const streamed = await streamBody(body, res, p.length, progress, { head: p, sendTimeoutMs: opts.sendTimeoutMs });
        if (!res.headersSent && streamed.outcome === 'failed') throw asStorageError(streamed.error);
        const status = res.headersSent ? p.status : 499;
        return { ...sized, ...streamed, status, delivery: 'stream', range: p.range };
      }
    } catch (err) {
      return failure(res, err, meta, head, controller.signal.aborted);
    } finally {
      early?.destroy();
      res.off('close', onClose);
    }
  }

  return { serve };
}

/** True when a body of `have` (null: whole object) carries exactly the planned bytes (`want`, null: whole). */
function sameSpan(have: ByteRange | null, want: ByteRange | null, size: number): boolean {
  const a = have ?? { start: 0, end: size - 1 };
  const b = want ?? { start: 0, end: size - 1 };
  return a.start === b.start && a.end === b.end;
}

/** A storage body's failure before its first byte, as the StorageError the error reply is chosen by. */
function asStorageError(err: Error | undefined): StorageError {
  if (isStorageError(err)) return err;
  return new StorageError('unavailable', `storage body failed before its first byte: ${err?.message ?? 'no data'}`, { cause: err });
}

/** Turns an error before or during a response into the right reply and result. */
function failure(res: ServerResponse, err: unknown, meta: ObjectMeta | null, head: boolean, clientGone: boolean): DeliveryResult {
  const error = err instanceof Error ? err : new Error(String(err));
  const base = { delivery: null, bytesSent: null, size: meta?.size ?? null, range: null, error } as const;
  if (clientGone || (isStorageError(err) && err.code === 'aborted')) {
    if (!res.headersSent) res.destroy();
    return { ...base, outcome: 'aborted', status: res.headersSent ? res.statusCode : 499 };
  }
  if (res.headersSent) {
    res.destroy();
    return { ...base, outcome: 'failed', status: res.statusCode };
  }
  if (isStorageError(err) && err.code === 'not-found') {
    sendText(res, 404, 'Not Found', {}, head);
    return { ...base, outcome: 'not-found', status: 404 };
  }
  const status = isStorageError(err) ? (err.code === 'changed' ? 503 : 502) : 500;
  const reason = status === 503 ? 'File changed during the request, retry' : status === 502 ? 'Storage unavailable' : 'Internal Server Error';
  sendText(res, status, reason, status === 503 ? { 'Retry-After': '1' } : {}, head);
  return { ...base, outcome: 'failed', status };
}
