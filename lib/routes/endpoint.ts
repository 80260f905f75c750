/**
 * The request pipeline every endpoint shares:
 * validate ids → signed link or authenticate (401) → authorize (403) → catalog (404)
 * → limits (429) → deliver (lib/delivery) → one DownloadEvent when the response is over.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import onFinished from 'on-finished';
import { REPORT_HEADER } from '../delivery/accel';
import { sendText } from '../delivery/respond';
import type { DeliveryResult } from '../delivery/serve';
import { isLoopback } from '../http/client-ip';
import { outcomeForDelivery, outcomeForStatus } from '../log/outcome';
import { attachContext, type RequestContext } from '../log/request-context';
import type { DownloadEvent, DownloadVia } from '../log/events';
import { withReport } from '../log/nginx-report-event';
import type { DrainEntry } from './drain';
import { identify, type Refusal } from './identify';
import { publicHeaders, sendPreflight } from './public-headers';
import type { Wiring } from './wiring';
import type { EndpointSpec, FileRef } from './types';

/** Ids are short tokens: digits, letters, `_` and `-`. Anything else is a 400, never a lookup. */
const ID = /^[A-Za-z0-9_-]{1,64}$/;

type EndpointRequest = IncomingMessage & { params: Record<string, string>; user?: unknown };

/** What one request learned on its way, for its DownloadEvent. */
interface Trail {
  started: number;
  ids: Record<string, string>;
  via: DownloadVia | null;
  linkSubject: string | null;
  stationExists: boolean | null;
  storage: string | null;
  result: DeliveryResult | null;
  /** Set when the host's onUnauthenticated hook answered: a refusal whatever its status. */
  deniedByHook: boolean;
  /** A possible nginx hand-off registered with the report receiver (settled or cancelled at the end). */
  awaitsReport: boolean;
  /** The request in files.close()'s register, until its event is emitted. */
  entry: DrainEntry;
}

const finished = (res: ServerResponse): Promise<void> => new Promise((resolve) => onFinished(res, () => resolve()));

function extensionOf(filename: string): string {
  const dot = filename.lastIndexOf('.');
  return dot > 0 ? filename.slice(dot + 1).toLowerCase() : '';
}

/** The route's ids when every one is well-formed, else null. */
function validIds(spec: EndpointSpec, params: Record<string, string>): Record<string, string> | null {
  const ids: Record<string, string> = {};
  for (const name of spec.params) {
    const value = params[name] ?? '';
    if (!ID.test(value)) return null;
    ids[name] = value;
  }
  return ids;
}

/**
 * Creates the Express handler for one endpoint. Answers every request itself; only unexpected
 * errors (a throwing catalog or authorize) are reported through `onError` and answered 500.
 *
 * @example
 * router.all(spec.path, endpointHandler(spec, wiring)); // see lib/station-files.ts
 */
export function endpointHandler(spec: EndpointSpec, wiring: Wiring) {
  return async (req: EndpointRequest, res: ServerResponse): Promise<void> => {
    const params = req.params;
    const ctx: RequestContext = {
      id: randomUUID(),
      kind: spec.kind,
      station: typeof params.station === 'string' ? params.station : null,
      fileId: typeof params[spec.fileParam] === 'string' ? (params[spec.fileParam] ?? null) : null,
      user: null,
      progress: { bytesSent: 0 },
      event: null,
    };
    attachContext(req, ctx);
    res.setHeader('X-Request-Id', ctx.id);
    const trail: Trail = {
      started: Date.now(),
      ids: {},
      via: null,
      linkSubject: null,
      stationExists: null,
      storage: null,
      result: null,
      deniedByHook: false,
      awaitsReport: false,
      entry: wiring.drain.enter(res),
    };
    try {
      await handle(spec, wiring, req, res, ctx, trail);
    } catch (err) {
      wiring.onError(err instanceof Error ? err : new Error(String(err)), req);
      if (!res.headersSent) sendText(res, 500, 'Internal Server Error', {}, req.method === 'HEAD');
      else res.destroy();
    }
    await finished(res);
    if (trail.stationExists === null && ctx.station !== null && ID.test(ctx.station)) {
      trail.stationExists = await wiring.stationExists(ctx.station, req);
    }
    finish(downloadEvent(spec, wiring, req, res, ctx, trail), wiring, req, ctx, trail);
  };
}

/**
 * Emits the request's one event: at once, or, for an nginx hand-off with reports on, once nginx
 * has reported what it sent (or the receiver gave up waiting: timeout, overflow, closed).
 */
function finish(event: DownloadEvent, wiring: Wiring, req: IncomingMessage, ctx: RequestContext, trail: Trail): void {
  const emit = (e: DownloadEvent): void => {
    ctx.event = e;
    wiring.emit(e, req);
    wiring.metrics.event(e);
    trail.entry.done();
  };
  if (!trail.awaitsReport || !wiring.reports) return emit(event);
  if (event.delivery !== 'accel') {
    wiring.reports.cancel(ctx.id);
    return emit(event);
  }
  wiring.reports.settle(ctx.id, event, (e, report) => emit(withReport(e, report)));
}

/** Runs the pipeline up to the delivery; every refusal is answered here. */
async function handle(spec: EndpointSpec, wiring: Wiring, req: EndpointRequest, res: ServerResponse, ctx: RequestContext, trail: Trail): Promise<void> {
  const head = req.method === 'HEAD';
  const refuse = (r: Refusal): void => {
    if (r !== 'handled') sendText(res, r.status, r.reason, r.headers ?? {}, head);
  };
  // files.close() was called: this instance takes no new downloads (Connection: close moves a
  // keep-alive client on to another instance).
  if (wiring.drain.closing) return refuse({ status: 503, reason: 'Shutting down, retry', headers: { 'Retry-After': '5', Connection: 'close' } });
  const ids = validIds(spec, req.params);
  if (!ids) return refuse({ status: 400, reason: `Invalid ${spec.params.find((n) => !ID.test(req.params[n] ?? ''))} id` });
  trail.ids = ids;
  const station = ids.station as string;
  const allowed = spec.permission === null ? ['GET', 'HEAD', 'OPTIONS'] : ['GET', 'HEAD'];
  if (!allowed.includes(req.method ?? '')) return refuse({ status: 405, reason: 'Method Not Allowed', headers: { Allow: allowed.join(', ') } });

  if (spec.permission === null) {
    publicHeaders(res);
    if (req.method === 'OPTIONS') return sendPreflight(res);
    trail.via = 'public';
  } else {
    const who = await identify(req, res, wiring, station);
    if (who === 'handled') return;
    if (!('via' in who)) {
      if (who.status === 401 && (await wiring.onUnauthenticated(req, res))) {
        trail.deniedByHook = true;
        return;
      }
      return refuse(who);
    }
    trail.via = who.via;
    trail.linkSubject = who.linkSubject;
    if (who.via !== 'signed-link') {
      ctx.user = wiring.userInfo(who.user);
      if (!(await wiring.authorize(who.user, station, spec.permission))) return refuse({ status: 403, reason: 'Forbidden' });
    }
  }

  const ref: FileRef | null = await spec.lookup(req.params, req);
  if (!ref || ref.station !== station) return refuse({ status: 404, reason: 'Not Found' });
  trail.stationExists = true;
  const limited = await limits(spec, wiring, req, ref, ids);
  if (limited) return refuse(limited);
  const storage = Object.hasOwn(wiring.storages, ref.storage) ? wiring.storages[ref.storage] : undefined;
  if (!storage) throw new Error(`catalog returned unknown storage "${ref.storage}" for ${spec.kind} ${ctx.fileId}`);
  trail.storage = ref.storage;
  // A cap on downloads in flight per client: stalled readers must not hold resources without
  // bound. Loopback is not capped: a local tool, or a proxy whose trust setting is missing
  // (capping it would cap every client at once).
  const ip = wiring.clientIp(req);
  const release = wiring.concurrency && req.method === 'GET' && !isLoopback(ip) ? wiring.concurrency.acquire(ip) : undefined;
  if (release === null) {
    wiring.metrics.refused('concurrent');
    return refuse({ status: 429, reason: 'Too many downloads at once', headers: { 'Retry-After': String(wiring.concurrency?.retryAfterSeconds ?? 5) } });
  }
  if (release) onFinished(res, release);
  if (wiring.reports && storage.delivery === 'accel' && req.method === 'GET') {
    // Registered before nginx can report; a full receiver gets no header, so nginx sends no line.
    trail.awaitsReport = true;
    if (wiring.reports.expect(ctx.id)) res.setHeader(REPORT_HEADER, ctx.id);
  }
  wiring.metrics.deliveryStarted(spec.kind);
  try {
    trail.result = await wiring.delivery.serve(
      req,
      res,
      {
        storage,
        key: ref.key,
        filename: ref.filename,
        contentType: ref.contentType,
        disposition: spec.disposition,
      },
      ctx.progress,
    );
  } finally {
    wiring.metrics.deliveryEnded(spec.kind);
  }
  if (trail.result.outcome === 'failed' && trail.result.error) wiring.onError(trail.result.error, req);
}

/** The public route's own checks: published, the right extension, the new-download limit. */
async function limits(spec: EndpointSpec, wiring: Wiring, req: IncomingMessage, ref: FileRef, ids: Record<string, string>): Promise<Refusal | null> {
  if (spec.permission !== null) return null;
  if (ref.public !== true) return { status: 404, reason: 'Not Found' };
  if (extensionOf(ref.filename) !== String((req as EndpointRequest).params.ext ?? '').toLowerCase()) return { status: 404, reason: 'Not Found' };
  if (!wiring.limiter || req.method !== 'GET') return null;
  const decision = await wiring.limiter.check(wiring.clientIp(req), `${ids.station}/${ids.podcast}/${ids.episode}`);
  if (decision.ok) return null;
  wiring.metrics.refused('public-new');
  return { status: 429, reason: 'Too Many Requests', headers: { 'Retry-After': String(decision.retryAfterSeconds) } };
}

/** The one DownloadEvent of a finished request. */
function downloadEvent(spec: EndpointSpec, wiring: Wiring, req: IncomingMessage, res: ServerResponse, ctx: RequestContext, trail: Trail): DownloadEvent {
  const r = trail.result;
  const status = r ? r.status : res.headersSent ? res.statusCode : 499;
  const outcome = trail.deniedByHook ? 'denied' : r ? outcomeForDelivery(r.outcome) : outcomeForStatus(res.statusCode, res.writableFinished);
  const bodySent = r !== null && r.delivery !== null && (r.status === 200 || r.status === 206);
  return {
    id: ctx.id,
    correlationId: wiring.correlationId(req),
    authenticated: trail.via !== null && trail.via !== 'public',
    via: trail.via,
    linkSubject: trail.linkSubject,
    stationExists: trail.stationExists,
    at: new Date(trail.started).toISOString(),
    outcome,
    reason: outcome === 'aborted' && trail.entry.cutByShutdown ? 'shutdown' : (r?.reason ?? null),
    status,
    station: ctx.station,
    user: ctx.user,
    kind: spec.kind,
    fileId: ctx.fileId,
    ids: trail.ids,
    storage: trail.storage,
    delivery: r ? r.delivery : null,
    method: req.method ?? 'GET',
    range: typeof req.headers.range === 'string' ? req.headers.range : null,
    served: bodySent && r.size !== null && r.size > 0 ? (r.range ?? { start: 0, end: r.size - 1 }) : null,
    // null only where nginx or S3 sent the body; refusals and empty answers sent no file bytes.
    bytesSent: r && (r.delivery === 'accel' || r.delivery === 'redirect') ? null : (r?.bytesSent ?? 0),
    report: null,
    nginx: null,
    size: r ? r.size : null,
    durationMs: Date.now() - trail.started,
    ip: wiring.clientIp(req),
    userAgent: req.headers['user-agent'] ?? null,
    referer: req.headers.referer ?? null,
  };
}
