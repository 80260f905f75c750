/**
 * `station-files/s3`: files in an S3 bucket (streamed, handed to nginx, or redirected to a
 * presigned URL) and an S3 client set up for streaming. Needs `@aws-sdk/client-s3` and
 * `@aws-sdk/s3-request-presigner` installed next to station-files.
 */
export { s3Storage } from '../storage/s3';
export type { S3Storage, S3StorageOptions, S3AccelOptions, S3HeadCacheOptions } from '../storage/s3';
export { createS3Client } from '../storage/s3-client';
export type { S3ClientSettings } from '../storage/s3-client';
export type { ResumeOptions } from '../storage/resume';
