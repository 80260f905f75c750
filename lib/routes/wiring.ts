/** The normalized, validated settings the endpoints run with (built once by createStationFiles). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Middleware } from '../access/authenticate';
import type { Authorize } from '../access/permissions';
import type { ConcurrencyLimit } from '../access/concurrency';
import type { NewDownloadLimiter } from '../access/rate-limit';
import type { UrlSigner } from '../access/signed-url';
import type { Delivery } from '../delivery/serve';
import type { DownloadEvent, DownloadUser } from '../log/events';
import type { DownloadMetrics } from '../log/metrics-hooks';
import type { PendingReports } from '../log/nginx-report-pending';
import type { Storage } from '../storage/types';
import type { Drain } from './drain';

/** Everything an endpoint needs, resolved from the options. */
export interface Wiring {
  authenticate: Middleware | null;
  authorize: Authorize<unknown>;
  userInfo(user: unknown): DownloadUser;
  challenge: string;
  storages: Readonly<Record<string, Storage>>;
  delivery: Delivery;
  signer: UrlSigner | null;
  limiter: NewDownloadLimiter | null;
  concurrency: ConcurrencyLimit | null;
  /** The incoming X-Request-Id when a trusted proxy sent a well-formed one, else null. */
  correlationId(req: IncomingMessage): string | null;
  clientIp(req: IncomingMessage): string;
  /** The catalog's `station(id)` answer (errors reported, then null); null without the hook. */
  stationExists(station: string, req: IncomingMessage): Promise<boolean | null>;
  emit(event: DownloadEvent, req: IncomingMessage): void;
  /** Hand-offs waiting for nginx's report (createStationFiles' `nginxReports`), or null. */
  reports: PendingReports<DownloadEvent> | null;
  onError(err: Error, req: IncomingMessage): void;
  /** Runs the host's onUnauthenticated hook; true when it answered the request itself. */
  onUnauthenticated(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Requests in flight, for files.close(). */
  drain: Drain;
  /** Closes every `onDownload` sink that has a `close()` (jsonLinesLog); never rejects. */
  closeSinks(): Promise<void>;
  /** The `metrics` option's hooks (no-ops without it). */
  metrics: DownloadMetrics;
}
