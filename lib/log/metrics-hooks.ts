/**
 * The hooks createStationFiles calls for metrics (its `metrics` option). Plain callbacks with
 * bounded values only, so any metrics library can sit behind them; `station-files/metrics`
 * implements them with prom-client.
 */
import type { DownloadEvent, DownloadKind } from './events';

/** Which limit refused a request with 429: the public new-download limit, or the in-flight cap. */
export type LimitName = 'public-new' | 'concurrent';

/** What createStationFiles reports to a metrics backend. Every hook must return at once and never throw. */
export interface DownloadMetrics {
  /** A GET or HEAD reached its delivery (stream, hand-off, redirect). */
  deliveryStarted(kind: DownloadKind): void;
  /** That delivery is over (the response finished or was cut). */
  deliveryEnded(kind: DownloadKind): void;
  /** Every request's one event, when it is emitted. */
  event(event: DownloadEvent): void;
  /** A request refused with 429 by `limit`. */
  refused(limit: LimitName): void;
  /** The public limit's store failed or timed out: the request was let through (fail open). */
  limitStoreFailed(): void;
}

/** Hooks that do nothing: the default without the `metrics` option. */
export const NO_METRICS: DownloadMetrics = {
  deliveryStarted() {},
  deliveryEnded() {},
  event() {},
  refused() {},
  limitStoreFailed() {},
};

/**
 * True for an object with every hook of {@link DownloadMetrics}.
 *
 * @example
 * isDownloadMetrics(stationFilesMetrics({ registry })) // true
 */
export function isDownloadMetrics(value: unknown): value is DownloadMetrics {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (['deliveryStarted', 'deliveryEnded', 'event', 'refused', 'limitStoreFailed'] as const).every((k) => typeof v[k] === 'function');
}
