/**
 * station-files: access-controlled, logged, range-capable file delivery for radio panels.
 * The root entry point: the routers, the file handler, local storage, the nginx config, logging
 * and errors. S3 lives in `station-files/s3` (so a local-only panel never loads the AWS SDK); the
 * pure HTTP rules in `station-files/http`, signed links in `station-files/signing`, podcast
 * counting in `station-files/podcast-stats`.
 */
export { createStationFiles } from './station-files';
export type { CloseOptions, StationFiles, StationFilesOptions, SignedTarget, TrustProxy } from './station-files';
export type { Catalog, FileRef, Lookup } from './routes/types';
export { stationFileUrls } from './routes/urls';
export type { EndpointUrls, UrlOptions, RecordingIds, MediaIds, EpisodeIds, PublicEpisodeIds, StationFileUrlsOptions } from './routes/urls';
export type { EndpointPaths } from './routes/paths';
export { staticPermissions, PERMISSIONS } from './access/permissions';
export type { Authorize, Permission, StaticGrants } from './access/permissions';
export type { Middleware } from './access/authenticate';
export type { LimitDecision, LimitRule, LimitStore, NewDownloadLimitOptions } from './access/rate-limit';
export type { ConcurrencyLimitOptions } from './access/concurrency';
export type { UrlSignerOptions, SigningKey } from './access/signed-url';

export { fileHandler } from './file-handler';
export type { FileHandlerOptions } from './file-handler';
export { createDelivery } from './delivery/serve';
export type { Delivery, ResponseOptions, DeliveryOutcome, DeliveryResult, FileTarget } from './delivery/serve';
export type { AccelOptions } from './delivery/accel';
export type { AbortReason } from './delivery/stream';
export type { DispositionType } from './http/disposition';

export { localStorage } from './storage/local';
export type { LocalStorage, LocalStorageOptions } from './storage/local';
export type {
  AccelRequest,
  AccelTarget,
  ByteRange,
  DeliveryMode,
  DeliveryPreference,
  ObjectMeta,
  OpenOptions,
  PresignOptions,
  ReadOptions,
  ReadResult,
  Storage,
} from './storage/types';
export { StorageError, isStorageError } from './storage/errors';
export type { StorageErrorCode } from './storage/errors';

export { nginxConfig } from './delivery/nginx-config';
export type { NextUpstreamCondition, NextUpstreamOptions, NginxConfigOptions } from './delivery/nginx-config';

export type {
  DownloadEvent,
  DownloadKind,
  DownloadOutcome,
  DownloadReport,
  DownloadSink,
  DownloadUser,
  DownloadVia,
  NginxReportDetails,
} from './log/events';
export type { DownloadMetrics, LimitName } from './log/metrics-hooks';
export { createNginxReports } from './log/nginx-reports';
export type { NginxReports, NginxReportsOptions, NginxReportStats } from './log/nginx-reports';
export type { NginxReportConfig } from './delivery/nginx-report-config';
export { requestContext } from './log/request-context';
export type { RequestContext } from './log/request-context';
export { registerMorganTokens, DOWNLOAD_LOG_FORMAT } from './log/morgan';
export type { MorganTokens } from './log/morgan';
export { jsonLinesLog, JsonLinesLogError } from './log/json-lines';
export type { JsonLinesLog, JsonLinesLogOptions, JsonLinesLogErrorCode } from './log/json-lines';
