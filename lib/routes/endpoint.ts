/**
 * The request pipeline every endpoint shares:
 * validate ids → signed link or authenticate (401) → authorize (403) → catalog (404)
 * → deliver (lib/delivery) → one DownloadEvent when the response is over.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import onFinished from 'on-finished';
import { runMiddleware, wantsChallenge } from '../access/authenticate';
import { readSignedQuery } from '../access/signed-url';
import { sendText } from '../delivery/respond';
import { isLoopback } from '../http/client-ip';
import type { DeliveryResult } from '../delivery/serve';
import { outcomeForDelivery, outcomeForStatus } from '../log/outcome';
import { attachContext, type RequestContext } from '../log/request-context';
import type { DownloadEvent } from '../log/events';
import type { Wiring } from './wiring';
import type { EndpointSpec, FileRef } from './types';

/** Ids are short tokens: digits, letters, `_` and `-`. Anything else is a 400, never a lookup. */
const ID = /^[A-Za-z0-9_-]{1,64}$/;

const finished = (res: ServerResponse): Promise<void> => new Promise((resolve) => onFinished(res, () => resolve()));

function publicHeaders(res: ServerResponse): void {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Expose-Headers', 'Content-Length, Content-Range, Accept-Ranges, ETag, Last-Modified, X-Request-Id');
  res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
  // A host session middleware mounted before us must not set cookies on podcast enclosures:
  // drop any cookie already set, and refuse the ones it adds when the headers are written
  // (its on-headers hook runs after ours, so removing in a hook of our own would be too early).
  res.removeHeader('Set-Cookie');
  const setHeader = res.setHeader.bind(res);
  res.setHeader = (name, value) => (String(name).toLowerCase() === 'set-cookie' ? res : setHeader(name, value));
  const appendHeader = res.appendHeader.bind(res);
  res.appendHeader = (name, value) => (String(name).toLowerCase() === 'set-cookie' ? res : appendHeader(name, value));
}

/** passport's `failWithError` passes an AuthenticationError (status 401/403) instead of answering. */
function authFailure(err: unknown): number {
  const status = (err as { status?: unknown } | null)?.status;
  if (status === 401 || status === 403) return status;
  throw err;
}

function extensionOf(filename: string): string {
  const dot = filename.lastIndexOf('.');
  return dot > 0 ? filename.slice(dot + 1).toLowerCase() : '';
}

/**
 * Creates the Express handler for one endpoint. Answers every request itself; only unexpected
 * errors (a throwing catalog or authorize) are reported through `onError` and answered 500.
 *
 * @example
 * router.get(spec.path, endpointHandler(spec, wiring)); // see lib/station-files.ts
 */
export function endpointHandler(spec: EndpointSpec, wiring: Wiring) {
  return async (req: IncomingMessage & { params: Record<string, string>; user?: unknown }, res: ServerResponse): Promise<void> => {
    const started = Date.now();
    const head = req.method === 'HEAD';
    const params = req.params;
    const ctx: RequestContext = {
      id: randomUUID(),
      kind: spec.kind,
      station: typeof params.station === 'string' ? params.station : null,
      fileId: typeof params[spec.fileParam] === 'string' ? params[spec.fileParam] ?? null : null,
      user: null,
      progress: { bytesSent: 0 },
      event: null,
    };
    attachContext(req, ctx);
    res.setHeader('X-Request-Id', ctx.id);
    let result: DeliveryResult | null = null;
    let storageName: string | null = null;
    let authenticated = false;
    let stationExists: boolean | null = null;

    const refuse = (status: number, reason: string, headers: Record<string, string> = {}): void =>
      sendText(res, status, reason, headers, head);

    const run = async (): Promise<void> => {
      for (const name of spec.params) {
        if (!ID.test(params[name] ?? '')) return refuse(400, `Invalid ${name} id`);
      }
      const station = params.station as string;
      const allowed = spec.permission === null ? ['GET', 'HEAD', 'OPTIONS'] : ['GET', 'HEAD'];
      if (!allowed.includes(req.method ?? '')) return refuse(405, 'Method Not Allowed', { Allow: allowed.join(', ') });
      if (spec.permission === null) {
        publicHeaders(res);
        if (req.method === 'OPTIONS') {
          res.writeHead(204, {
            'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
            'Access-Control-Allow-Headers': 'Range, If-Range, If-None-Match, If-Modified-Since',
            'Access-Control-Max-Age': '86400',
          });
          res.end();
          return;
        }
      } else {
        // Parsed only when a signed link is possible (a URL object per request shows in profiles).
        const url = wiring.signer && req.url?.includes('sig=') ? new URL(req.url, 'http://station-files.invalid') : null;
        if (url?.searchParams.has('sig') && wiring.signer) {
          // The signed "file" is the endpoint path below the mount point: it names station,
          // kind and ids at once, so a link for one file never opens another.
          const check = wiring.signer.verify({ station, file: url.pathname, ...readSignedQuery(url.searchParams) });
          if (!check.ok) return refuse(403, check.reason === 'expired' ? 'Link expired' : 'Invalid link signature');
          authenticated = true;
        } else {
          // A user already set by the host (passport.session() mounted app-wide) is authenticated.
          const known = req.user !== undefined && req.user !== null && req.user !== false;
          if (!known && wiring.authenticate) {
            const step = await runMiddleware(wiring.authenticate, req, res).catch((err: unknown) => authFailure(err));
            if (step === 'handled') return;
            if (typeof step === 'number') {
              return refuse(step, step === 401 ? 'Authentication required' : 'Forbidden',
                step === 401 && wantsChallenge(req) ? { 'WWW-Authenticate': wiring.challenge } : {});
            }
          }
          if (req.user === undefined || req.user === null || req.user === false) {
            return refuse(401, 'Authentication required', wantsChallenge(req) ? { 'WWW-Authenticate': wiring.challenge } : {});
          }
          ctx.user = wiring.userInfo(req.user);
          authenticated = true;
          if (!(await wiring.authorize(req.user, station, spec.permission))) return refuse(403, 'Forbidden');
        }
      }

      const ref: FileRef | null = await spec.lookup(params, req);
      if (!ref || ref.station !== station) return refuse(404, 'Not Found');
      stationExists = true;
      if (spec.permission === null) {
        if (ref.public !== true) return refuse(404, 'Not Found');
        if (extensionOf(ref.filename) !== String(params.ext ?? '').toLowerCase()) return refuse(404, 'Not Found');
        if (wiring.limiter && req.method === 'GET') {
          const decision = wiring.limiter.check(wiring.clientIp(req), `${station}/${params.podcast}/${params.episode}`);
          if (!decision.ok) return refuse(429, 'Too Many Requests', { 'Retry-After': String(decision.retryAfterSeconds) });
        }
      }
      const storage = Object.prototype.hasOwnProperty.call(wiring.storages, ref.storage) ? wiring.storages[ref.storage] : undefined;
      if (!storage) throw new Error(`catalog returned unknown storage "${ref.storage}" for ${spec.kind} ${ctx.fileId}`);
      storageName = ref.storage;
      // A cap on downloads in flight per client: stalled readers must not hold resources without
      // bound. Loopback is not capped: a local tool, or a proxy whose trust setting is missing
      // (capping it would cap every client at once).
      const ip = wiring.clientIp(req);
      const release = wiring.concurrency && req.method === 'GET' && !isLoopback(ip) ? wiring.concurrency.acquire(ip) : undefined;
      if (release === null) {
        return refuse(429, 'Too many downloads at once', { 'Retry-After': String(wiring.concurrency?.retryAfterSeconds ?? 5) });
      }
      if (release) onFinished(res, release);
      result = await wiring.delivery.serve(req, res, {
        storage,
        key: ref.key,
        filename: ref.filename,
        contentType: ref.contentType,
        disposition: spec.disposition,
      }, ctx.progress);
      if (result.outcome === 'failed' && result.error) wiring.onError(result.error, req);
    };

    try {
      await run();
    } catch (err) {
      wiring.onError(err instanceof Error ? err : new Error(String(err)), req);
      if (!res.headersSent) refuse(500, 'Internal Server Error');
      else res.destroy();
    }
    await finished(res);
    if (stationExists === null && ctx.station !== null && ID.test(ctx.station)) {
      stationExists = await wiring.stationExists(ctx.station, req);
    }

    const r = result as DeliveryResult | null;
    const event: DownloadEvent = {
      id: ctx.id,
      correlationId: wiring.correlationId(req),
      authenticated,
      stationExists,
      at: new Date(started).toISOString(),
      outcome: r ? outcomeForDelivery(r.outcome) : outcomeForStatus(res.statusCode, res.writableFinished),
      status: r ? r.status : res.headersSent ? res.statusCode : 499,
      station: ctx.station,
      user: ctx.user,
      kind: spec.kind,
      fileId: ctx.fileId,
      storage: storageName,
      delivery: r ? r.delivery : null,
      method: req.method ?? 'GET',
      range: typeof req.headers.range === 'string' ? req.headers.range : null,
      // null only where nginx or S3 sent the body; refusals and empty answers sent no file bytes.
      bytesSent: r && (r.delivery === 'accel' || r.delivery === 'redirect') ? null : (r?.bytesSent ?? 0),
      size: r ? r.size : null,
      durationMs: Date.now() - started,
      ip: wiring.clientIp(req),
      userAgent: req.headers['user-agent'] ?? null,
      referer: req.headers.referer ?? null,
    };
    ctx.event = event;
    wiring.emit(event, req);
  };
}
