/**
 * Reads createStationFiles' options once (TypeErrors that name the option's full path, unknown
 * keys refused) and resolves them into the {@link Wiring} every endpoint runs with.
 */
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import type { Middleware } from '../access/authenticate';
import { createConcurrencyLimit, type ConcurrencyLimitOptions } from '../access/concurrency';
import type { Authorize } from '../access/permissions';
import { LIMIT_KEYS, limiterWith, readNewDownloadLimit } from '../access/rate-limit';
import { createUrlSigner, type UrlSignerOptions } from '../access/signed-url';
import { DELIVERY_KEYS, deliveryWith, readDeliveryOptions } from '../delivery/serve';
import type { DownloadEvent, DownloadSink, DownloadUser } from '../log/events';
import { type DownloadMetrics, isDownloadMetrics, NO_METRICS } from '../log/metrics-hooks';
import { pendingOf } from '../log/nginx-reports';
import { OptionsReader } from '../options/reader';
import type { Storage } from '../storage/types';
import { createDrain } from './drain';
import { STATION_FILES_KEYS, type StationFilesOptions, type TrustProxy } from './options';
import type { Wiring } from './wiring';

const FACTORY = 'createStationFiles';
const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;
type Trust = (addr: string, hop: number) => boolean;
type OnError = (err: Error, req?: IncomingMessage) => void;

function defaultUserInfo(user: unknown): DownloadUser {
  const u = (typeof user === 'object' && user !== null ? user : {}) as Record<string, unknown>;
  const id = u.id ?? u.username ?? u.email ?? 'unknown';
  const name = u.name ?? u.displayName ?? u.username ?? u.email;
  return { id: String(id), ...(name !== undefined ? { name: String(name) } : {}) };
}

/** Express-compatible `trust proxy` values as a function (proxy-addr semantics). */
function compileTrust(t: TrustProxy): Trust {
  if (typeof t === 'function') return t;
  if (t === true) return () => true;
  if (t === false) return () => false;
  if (typeof t === 'number') return (_addr, hop) => hop < t;
  return proxyaddr.compile(typeof t === 'string' ? t.split(',').map((s) => s.trim()) : t);
}

/** The host app's compiled `trust proxy` setting (Express keeps it as 'trust proxy fn'); none trusts nobody. */
function expressTrust(req: IncomingMessage): Trust {
  const app = (req as IncomingMessage & { app?: { get?(name: string): unknown } }).app;
  const fn = typeof app?.get === 'function' ? app.get('trust proxy fn') : undefined;
  return typeof fn === 'function' ? (fn as Trust) : () => false;
}

function readStorages(o: OptionsReader): Record<string, Storage> {
  const storages = o.raw('storages');
  if (typeof storages !== 'object' || storages === null || Object.keys(storages).length === 0) o.fail('storages', 'an object naming at least one storage');
  for (const [name, s] of Object.entries(storages as Record<string, Storage>)) {
    if (typeof s?.stat !== 'function' || typeof s.open !== 'function') o.fail(`storages.${name}`, 'a storage (with stat and open)');
  }
  return { ...(storages as Record<string, Storage>) };
}

function readSinks(o: OptionsReader): DownloadSink[] {
  const given = o.raw('onDownload');
  const sinks = given === undefined ? [] : Array.isArray(given) ? given : [given];
  if (sinks.some((s) => typeof s !== 'function')) o.fail('onDownload', 'a function or an array of functions');
  return sinks as DownloadSink[];
}

function readReports(o: OptionsReader): Wiring['reports'] {
  if (!o.has('nginxReports')) return null;
  return pendingOf(o.raw('nginxReports')) ?? o.fail('nginxReports', 'a receiver made by createNginxReports()');
}

/** Closes every sink that has a `close()` (jsonLinesLog: flushes its queue); failures reported, never thrown. */
function sinkCloser(sinks: DownloadSink[], onError: OnError): () => Promise<void> {
  return async () => {
    const closing = sinks.map(async (sink) => {
      const close = (sink as DownloadSink & { close?: unknown }).close;
      if (typeof close !== 'function') return;
      try {
        await close.call(sink);
      } catch (err) {
        onError(err instanceof Error ? err : new Error(String(err)));
      }
    });
    await Promise.all(closing);
  };
}

function readMetrics(o: OptionsReader): DownloadMetrics {
  if (!o.has('metrics')) return NO_METRICS;
  const metrics = o.raw('metrics');
  return isDownloadMetrics(metrics) ? metrics : o.fail('metrics', 'metrics hooks (stationFilesMetrics() from station-files/metrics)');
}

/** The public new-download limiter, or null when `publicRateLimit` is false; store failures are reported and counted. */
function readLimiter(o: OptionsReader, onError: OnError, metrics: DownloadMetrics): Wiring['limiter'] {
  if (o.raw('publicRateLimit') === false) return null;
  return limiterWith(readNewDownloadLimit(o.nested('publicRateLimit', LIMIT_KEYS)), (err) => {
    metrics.limitStoreFailed();
    onError(new Error(`publicRateLimit store failed, request let through: ${err.message}`, { cause: err }));
  });
}

/** Calls every sink with the event; a sink that throws or rejects is reported, never fatal. */
function fanOut(sinks: DownloadSink[], onError: OnError): (event: DownloadEvent, req: IncomingMessage) => void {
  return (event, req) => {
    for (const sink of sinks) {
      try {
        const pending = sink(event);
        if (pending && typeof pending.then === 'function') pending.then(undefined, (err: unknown) => onError(err as Error, req));
      } catch (err) {
        onError(err instanceof Error ? err : new Error(String(err)), req);
      }
    }
  };
}

/** The correlation id: an incoming X-Request-Id, believed only from a trusted proxy. */
function correlation(trust: Trust | null): (req: IncomingMessage) => string | null {
  return (req) => {
    const given = req.headers['x-request-id'];
    if (typeof given !== 'string' || !REQUEST_ID.test(given)) return null;
    return (trust ?? expressTrust(req))(req.socket.remoteAddress ?? '', 0) ? given : null;
  };
}

/**
 * Validates createStationFiles' options and builds the endpoints' wiring.
 *
 * @example
 * const wiring = buildWiring({ authorize, storages, catalog }); // throws TypeError on a bad option
 */
export function buildWiring<User>(options: StationFilesOptions<User>): Wiring {
  const o = OptionsReader.of(FACTORY, options, STATION_FILES_KEYS);
  const authorize = o.raw('authorize');
  if (typeof authorize !== 'function') o.fail('authorize', 'a function (user, station, permission) => boolean');
  const catalog = o.raw('catalog');
  if (typeof catalog !== 'object' || catalog === null) o.fail('catalog', 'an object of lookup functions');
  const catalogStation = o.nested('catalog', ['recording', 'mediaFile', 'episode', 'station']).optionalFunction<(id: string) => unknown>('station');
  const reportError = o.optionalFunction<OnError>('onError') ?? ((err: Error) => console.error(`station-files: ${err.stack ?? err.message}`));
  const onError: OnError = (err, req) => {
    try {
      reportError(err, req);
    } catch {
      // An error reporter that throws must not take a download down with it.
    }
  };
  const trust = o.has('trustProxy') ? compileTrust(o.raw('trustProxy') as TrustProxy) : null;
  const onUnauthenticated = o.optionalFunction<NonNullable<StationFilesOptions['onUnauthenticated']>>('onUnauthenticated');
  const metrics = readMetrics(o);
  const sinks = readSinks(o);
  const concurrent = o.raw('concurrentDownloads') as ConcurrencyLimitOptions | false | undefined;
  return {
    authenticate: o.optionalFunction<Middleware>('authenticate') ?? null,
    authorize: authorize as Authorize<unknown>,
    userInfo: o.optionalFunction<(user: unknown) => DownloadUser>('userInfo') ?? defaultUserInfo,
    challenge: o.string('challenge', /^[\x20-\x7e]+$/, 'a printable header value', 'Bearer realm="station-files"'),
    storages: readStorages(o),
    delivery: deliveryWith(readDeliveryOptions(o.nested('responses', DELIVERY_KEYS))),
    signer: o.has('signing') ? createUrlSigner(o.raw('signing') as UrlSignerOptions) : null,
    limiter: readLimiter(o, onError, metrics),
    concurrency: concurrent === false ? null : createConcurrencyLimit(concurrent),
    correlationId: correlation(trust),
    clientIp: (req) => (trust ? proxyaddr(req, trust) : ((req as IncomingMessage & { ip?: string }).ip ?? req.socket.remoteAddress ?? '')),
    stationExists: async (station, req) => {
      if (!catalogStation) return null;
      try {
        return (await catalogStation.call(catalog, station)) === true;
      } catch (err) {
        onError(err instanceof Error ? err : new Error(String(err)), req);
        return null;
      }
    },
    emit: fanOut(sinks, onError),
    reports: readReports(o),
    onUnauthenticated: async (req, res) => {
      if (!onUnauthenticated) return false;
      await onUnauthenticated(req, res);
      return res.headersSent || res.writableEnded;
    },
    onError,
    drain: createDrain(),
    closeSinks: sinkCloser(sinks, onError),
    metrics,
  };
}
