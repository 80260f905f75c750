/**
 * The demo's storages: local disk under DATA_DIR/files always, S3 when configured, with the
 * delivery mode from DELIVERY; and `putFile`, which stores a stream of any size without
 * buffering it (local: temp file + rename; S3: multipart upload), so nothing half-written is
 * ever visible under its key.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import { Upload } from '@aws-sdk/lib-storage';
import { CreateBucketCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client, s3Storage, type S3Storage } from '../lib/entry/s3';
import { localStorage, type LocalStorage } from '../lib';
import type { DemoConfig } from './config';
import type { FileKind, StorageName } from './db/database';

export interface DemoStorages {
  storages: { local: LocalStorage; s3?: S3Storage };
  /** Where new files of a kind go. */
  storageFor(kind: FileKind): StorageName;
  /** Stores `body` under `key`; resolves with its size once it is complete. */
  putFile(storage: StorageName, key: string, body: Readable, contentType: string): Promise<number>;
  /** Creates the S3 bucket if it is missing. */
  prepare(): Promise<void>;
  close(): void;
}

export const LOCAL_ACCEL_PREFIX = '/_station_files/local';
export const S3_ACCEL_LOCATION = '/_station_files/s3';

export function createDemoStorages(config: DemoConfig): DemoStorages {
  const root = path.join(config.dataDir, 'files');
  const local = localStorage({
    root,
    accelPrefix: config.delivery === 'accel' ? LOCAL_ACCEL_PREFIX : undefined,
  });
  const s3cfg = config.s3;
  const client =
    s3cfg &&
    createS3Client({
      endpoint: s3cfg.endpoint,
      region: s3cfg.region,
      forcePathStyle: s3cfg.forcePathStyle,
      credentials: { accessKeyId: s3cfg.accessKeyId, secretAccessKey: s3cfg.secretAccessKey },
    });
  const s3 =
    s3cfg && client
      ? s3Storage({
          client,
          bucket: s3cfg.bucket,
          prefix: 'station-files-demo/',
          accel: config.delivery === 'accel' ? { location: S3_ACCEL_LOCATION } : undefined,
          delivery: config.delivery === 'redirect' ? 'redirect' : 'auto',
        })
      : undefined;

  return {
    storages: s3 ? { local, s3 } : { local },
    storageFor: (kind) => (s3cfg?.kinds.includes(kind) ? 's3' : 'local'),
    async putFile(storage, key, body, contentType) {
      if (storage === 'local') {
        const file = path.join(root, ...key.split('/'));
        await mkdir(path.dirname(file), { recursive: true });
        const temp = path.join(path.dirname(file), `.${randomUUID()}.part`);
        try {
          await pipeline(body, createWriteStream(temp, { flags: 'wx' }));
          await rename(temp, file);
        } catch (err) {
          await rm(temp, { force: true });
          throw err;
        }
        return (await stat(file)).size;
      }
      if (!s3 || !client) throw new Error('S3 is not configured (set S3_ENDPOINT and friends)');
      const Key = s3.prefix + key;
      await new Upload({ client, params: { Bucket: s3.bucket, Key, Body: body, ContentType: contentType } }).done();
      const head = await client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key }));
      return head.ContentLength ?? 0;
    },
    async prepare() {
      await mkdir(root, { recursive: true });
      if (!client || !s3cfg) return;
      try {
        await client.send(new CreateBucketCommand({ Bucket: s3cfg.bucket }));
      } catch (err) {
        const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (status !== 409) throw err;
      }
    },
    close: () => client?.destroy(),
  };
}
