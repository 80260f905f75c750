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
  Storage,
} from './storage/types';
export { StorageError, isStorageError } from './errors';
export type { StorageErrorCode } from './errors';
export { planResponse, httpDate } from './http/plan';
export type { PlanOptions, PlanRequest, ResponsePlan, PlanHeaders } from './http/plan';
export { decideRange, contentRange } from './http/range';
export type { RangeDecision } from './http/range';
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
