/**
 * s3Storage: objects in one S3 bucket (any S3-compatible service), under an optional prefix.
 * The pieces live beside it: s3-options.ts (the options, read once), s3-objects.ts (stat, open,
 * read, presign), s3-responses.ts (SDK answers in storage terms), s3-accel.ts (nginx hand-off).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { s3AccelTarget } from './s3-accel';
import { S3Objects } from './s3-objects';
import { readS3Options, type S3StorageOptions } from './s3-options';
import type { DeliveryMode, PresignOptions, Storage } from './types';

export { S3_ACCEL_HEADERS } from './s3-accel';
export type { S3AccelOptions, S3HeadCacheOptions, S3StorageOptions } from './s3-options';

/** A {@link Storage} over an S3 bucket. */
export interface S3Storage extends Storage {
  readonly kind: 's3';
  readonly delivery: DeliveryMode;
  readonly bucket: string;
  readonly prefix: string;
  /** The client this storage reads with (nginxConfig reads its endpoint). */
  readonly client: S3Client;
  /** The nginx internal location for hand-offs, when `accel` is set. */
  readonly accelLocation?: string;
  presign(key: string, options: PresignOptions): Promise<string>;
}

/**
 * Creates a storage over an S3 bucket. `stat` is a HeadObject; `read` is one GetObject that
 * yields metadata and body together (stream delivery of a plain or one-range GET costs one S3
 * request); `open` is a GetObject of an explicit range with `IfMatch`; `presign` makes
 * time-limited URLs; with `accel`, downloads are handed to an nginx location that proxies a
 * presigned URL, so nginx streams the bytes. What S3 says about an object (metadata, first 16 KiB)
 * is reused for `headCache.ms` (1 s): HEAD, 304s and `bytes=0-1` probes of an object read within
 * that time cost no S3 request.
 *
 * @example
 * const recordings = s3Storage({
 *   client: createS3Client({ endpoint: 'http://127.0.0.1:7480', forcePathStyle: true }),
 *   bucket: 'radio', prefix: 'recordings/',
 * });
 */
export function s3Storage(options: S3StorageOptions): S3Storage {
  const settings = readS3Options(options);
  const { client, bucket, prefix, accel, delivery } = settings;
  const objects = new S3Objects(settings);
  const storage: S3Storage = {
    kind: 's3',
    bucket,
    prefix,
    client,
    accelLocation: accel?.location,
    delivery,
    stat: (key, signal) => objects.stat(key, signal),
    open: (key, opts) => objects.open(key, opts),
    read: (key, opts) => objects.read(key, opts),
    presign: (key, opts) => objects.presign(key, opts),
  };
  if (accel) {
    storage.accel = async (key, request) => s3AccelTarget(accel.location, new URL(await objects.presign(key, { expiresIn: accel.urlExpiresIn })), request);
  }
  return storage;
}
