/** station-files: access-controlled, logged, range-capable file delivery for radio panels. */
export { localStorage, fileEtag } from './storage/local';
export type { LocalStorage, LocalStorageOptions } from './storage/local';
export { s3Storage, S3_ACCEL_HEADERS } from './storage/s3';
export type { S3Storage, S3StorageOptions, S3AccelOptions } from './storage/s3';
export { createS3Client } from './storage/s3-client';
export type { S3ClientSettings } from './storage/s3-client';
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
export { StorageError, isStorageError } from './errors';
export type { StorageErrorCode } from './errors';
export { planResponse, httpDate } from './http/plan';
export type { PlanOptions, PlanRequest, ResponsePlan, PlanHeaders } from './http/plan';
export { decideRange, contentRange } from './http/range';
export type { RangeDecision } from './http/range';
export { readAhead } from './http/read-ahead';
export type { ReadAhead } from './http/read-ahead';
export { evaluatePreconditions, ifRangeAllows } from './http/conditional';
export type { PreconditionResult, Validators } from './http/conditional';
export { contentDisposition, safeFilename, asciiFallback } from './http/disposition';
export type { DispositionType } from './http/disposition';
export { chooseContentType } from './http/content-type';
export { createDelivery } from './delivery/serve';
export type { Delivery, DeliveryOptions, DeliveryOutcome, DeliveryResult, FileTarget } from './delivery/serve';
export type { AccelOptions } from './delivery/accel';
export { fileHandler } from './file-handler';
export type { FileHandlerOptions } from './file-handler';
export { nginxConfig } from './delivery/nginx-config';
export type { NginxConfigOptions } from './delivery/nginx-config';
export { createStationFiles } from './station-files';
export type { StationFiles, StationFilesOptions, SignedTarget, TrustProxy } from './station-files';
export type { Catalog, FileRef, Lookup } from './routes/types';
export { staticPermissions, PERMISSIONS } from './access/permissions';
export type { Authorize, Permission, StaticGrants } from './access/permissions';
export type { Middleware } from './access/authenticate';
export type { NewDownloadLimitOptions } from './access/rate-limit';
export { createUrlSigner, signedQuery, readSignedQuery, deriveKeyId } from './access/signed-url';
export type { SigningKey, UrlSigner, UrlSignerOptions, VerifyFailure, VerifyResult } from './access/signed-url';
export type { DownloadEvent, DownloadKind, DownloadOutcome, DownloadSink, DownloadUser } from './log/events';
export { requestContext } from './log/request-context';
export type { RequestContext } from './log/request-context';
export { registerMorganTokens, DOWNLOAD_LOG_FORMAT } from './log/morgan';
export { jsonLinesLog, JsonLinesLogError } from './log/json-lines';
export type { JsonLinesLog, JsonLinesLogOptions, JsonLinesLogErrorCode } from './log/json-lines';
export { countPodcastDownloads, truncateIp, listenerKey, DEFAULT_MIN_BYTES, PODCAST_PLAYER_USER_AGENTS } from './log/podcast-stats';
export type { PodcastCountOptions, PodcastDownloadCount, PodcastWindow } from './log/podcast-stats';
