/**
 * stationFilesMetrics: Prometheus metrics (prom-client) in the host's registry. Every label
 * value comes from a fixed set (kind, outcome, delivery, limit, operation, error type, reason):
 * never a file id, user, IP or station, so the number of series stays bounded.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { DownloadEvent, DownloadKind } from '../log/events';
import type { DownloadMetrics, LimitName } from '../log/metrics-hooks';
import { OptionsReader } from '../options/reader';
import { type MiddlewareHost, observeS3Requests } from './s3';

/** Options for {@link stationFilesMetrics}. */
export interface StationFilesMetricsOptions {
  /** The host's prom-client Registry (e.g. `register`, prom-client's default one). */
  registry: Registry;
  /** Prepended to every metric name. @default 'station_files_' */
  prefix?: string;
  /** Buckets of the S3 request histogram, in seconds. @default [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] */
  s3Buckets?: number[];
}

/** The metrics: hooks for createStationFiles' `metrics` option, and the pieces for S3 and sinks. */
export interface StationFilesMetrics extends DownloadMetrics {
  /** Times every request `client` sends (an S3Client) and counts its failures by type; returns the client. */
  observeS3<C extends MiddlewareHost>(client: C): C;
  /** For s3Storage's `onResume`: counts resumed S3 bodies. */
  onResume(info?: unknown): void;
  /**
   * An `onError` for jsonLinesLog that counts the events it lost (its reports' `dropped`, by
   * code), then passes the error on to `next` (default: nothing more).
   */
  sinkErrors(next?: (err: Error) => void): (err: Error) => void;
}

const SINK_REASONS = new Set(['failed', 'overflow', 'closed', 'invalid']);

/** The counters and gauges, registered in `registry` under `prefix`. */
function instruments(registry: Registry, prefix: string, s3Buckets: number[]) {
  const registers = [registry];
  return {
    downloads: new Counter({
      name: `${prefix}downloads_total`,
      help: 'Requests to station-files endpoints, by route kind, outcome and delivery',
      labelNames: ['kind', 'outcome', 'delivery'] as const,
      registers,
    }),
    bytes: new Counter({
      name: `${prefix}sent_bytes_total`,
      help: 'File body bytes sent (stream delivery, and nginx hand-offs that nginx reported), by route kind and delivery',
      labelNames: ['kind', 'delivery'] as const,
      registers,
    }),
    inFlight: new Gauge({
      name: `${prefix}downloads_in_flight`,
      help: 'Deliveries under way in this process, by route kind',
      labelNames: ['kind'] as const,
      registers,
    }),
    refusals: new Counter({
      name: `${prefix}limit_refusals_total`,
      help: 'Requests refused with 429, by limit (public-new: new public downloads per client; concurrent: downloads in flight per client)',
      labelNames: ['limit'] as const,
      registers,
    }),
    storeFailures: new Counter({
      name: `${prefix}limit_store_failures_total`,
      help: 'Public limit store failures or timeouts; each request was let through',
      registers,
    }),
    s3Seconds: new Histogram({
      name: `${prefix}s3_request_duration_seconds`,
      help: 'S3 requests until the response head (retries included), by operation',
      labelNames: ['operation'] as const,
      buckets: s3Buckets,
      registers,
    }),
    s3Errors: new Counter({
      name: `${prefix}s3_errors_total`,
      help: 'Failed S3 requests, by operation and error type',
      labelNames: ['operation', 'type'] as const,
      registers,
    }),
    resumes: new Counter({
      name: `${prefix}s3_resumes_total`,
      help: 'S3 bodies re-requested from the next byte after a failure or a released connection',
      registers,
    }),
    dropped: new Counter({
      name: `${prefix}sink_dropped_events_total`,
      help: 'Download events a sink lost, by reason (failed, overflow, closed, invalid)',
      labelNames: ['reason'] as const,
      registers,
    }),
  };
}

/**
 * Creates the metrics in the host's prom-client registry. Pass the result as createStationFiles'
 * `metrics`; wrap S3 clients with `observeS3`, give `onResume` to s3Storage and `sinkErrors()`
 * to jsonLinesLog's `onError`. Metric names and labels are listed in the README.
 *
 * @example
 * import { register } from 'prom-client';
 * import { stationFilesMetrics } from 'station-files/metrics';
 * const metrics = stationFilesMetrics({ registry: register });
 * const client = metrics.observeS3(createS3Client({ region }));
 * const files = createStationFiles({
 *   storages: { s3: s3Storage({ client, bucket, onResume: metrics.onResume }) },
 *   onDownload: jsonLinesLog(path, { onError: metrics.sinkErrors((err) => log.warn(err.message)) }),
 *   metrics, authorize, catalog,
 * });
 * app.get('/metrics', async (_req, res) => res.type(register.contentType).send(await register.metrics()));
 */
export function stationFilesMetrics(options: StationFilesMetricsOptions): StationFilesMetrics {
  const o = OptionsReader.of('stationFilesMetrics', options, ['registry', 'prefix', 's3Buckets']);
  const registry = o.raw('registry') as Partial<Registry> | undefined;
  if (typeof registry?.registerMetric !== 'function') o.fail('registry', 'a prom-client Registry');
  const prefix = o.string('prefix', /^(?:[a-zA-Z_:][a-zA-Z0-9_:]*)?$/, 'a metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*)', 'station_files_');
  const buckets = o.raw('s3Buckets') ?? [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  if (!Array.isArray(buckets) || buckets.length === 0 || !buckets.every((b) => typeof b === 'number' && b > 0))
    o.fail('s3Buckets', 'a non-empty array of positive numbers');
  const m = instruments(registry as Registry, prefix, buckets as number[]);
  for (const kind of ['recording', 'media', 'episode', 'public-episode'] as const) m.inFlight.set({ kind }, 0);
  return {
    deliveryStarted: (kind: DownloadKind) => m.inFlight.inc({ kind }),
    deliveryEnded: (kind: DownloadKind) => m.inFlight.dec({ kind }),
    event(e: DownloadEvent) {
      const delivery = e.delivery ?? 'none';
      m.downloads.inc({ kind: e.kind, outcome: e.outcome, delivery });
      if (e.bytesSent !== null && e.bytesSent > 0) m.bytes.inc({ kind: e.kind, delivery }, e.bytesSent);
    },
    refused: (limit: LimitName) => m.refusals.inc({ limit }),
    limitStoreFailed: () => m.storeFailures.inc(),
    observeS3: (client) =>
      observeS3Requests(client, (operation, seconds, error) => {
        m.s3Seconds.observe({ operation }, seconds);
        if (error) m.s3Errors.inc({ operation, type: error });
      }),
    onResume: () => m.resumes.inc(),
    sinkErrors: (next) => (err) => {
      const { code, dropped } = err as Error & { code?: unknown; dropped?: unknown };
      if (typeof dropped === 'number' && dropped > 0) m.dropped.inc({ reason: typeof code === 'string' && SINK_REASONS.has(code) ? code : 'other' }, dropped);
      next?.(err);
    },
  };
}
