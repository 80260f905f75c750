/** The options of s3Storage and their one reading, with full option paths in every message. */
import type { S3Client } from '@aws-sdk/client-s3';
import { OptionsReader } from '../options/reader';
import { resolveDelivery } from './delivery-preference';
import { keySegments } from './keys';
import { nginxLocation } from './nginx-location';
import { readResume, RESUME_KEYS, type ResumeOptions } from './resume';
import type { DeliveryMode, DeliveryPreference } from './types';

/** nginx hand-off settings for S3 objects. */
export interface S3AccelOptions {
  /**
   * The nginx `internal` location that proxies to the S3 endpoint (see the README's nginx
   * section). nginx reads the presigned path, host, range and If-Match from response headers.
   * @default '/_station_files/s3'
   */
  location?: string;
  /** Lifetime of the presigned URL nginx fetches (it is used at once). @default 60 */
  urlExpiresIn?: number;
}

/**
 * The head cache: what S3 last said about recently read objects (size, ETag, type) and their
 * first bytes, reused by later requests for a short time. HEAD, `If-None-Match` and the small
 * reads podcast apps and players open an episode with are then answered without an S3 request.
 */
export interface S3HeadCacheOptions {
  /**
   * Milliseconds what S3 said is reused: an object replaced or deleted is seen up to this long
   * later, each response still of one version with its own ETag. 0 turns the cache off.
   * @default 1000
   */
  ms?: number;
  /** How many of each object's first bytes are kept; a read ending inside them is answered from memory. @default 16384 */
  bytes?: number;
  /** The most objects kept at once (the least recently kept goes first); memory is bounded by `objects × bytes`. @default 256 */
  objects?: number;
}

/** What {@link S3StorageOptions.onResume} is told about one resume. */
export interface S3ResumeInfo {
  key: string;
  attempt: number;
  offset: number;
  cause: unknown;
}

/** Options for {@link s3Storage}. */
export interface S3StorageOptions {
  /** A client, ideally from `createS3Client` (bounded socket pool, no checksum buffering). */
  client: S3Client;
  /** Bucket name. */
  bucket: string;
  /** Key prefix every key is placed under, for example `recordings/`. @default '' */
  prefix?: string;
  /** Hand S3 downloads to nginx (X-Accel-Redirect to a proxying location). @default undefined */
  accel?: S3AccelOptions;
  /**
   * Transparent resume of stream deliveries: when S3 fails mid-body, re-request from the next
   * byte (same ETag) up to `attempts` times with backoff. @default { attempts: 3, backoffMs: 200 }
   */
  resume?: ResumeOptions;
  /** Called for every resume (for logs and metrics). @default undefined */
  onResume?: (info: S3ResumeInfo) => void;
  /** `auto`: accel when `accel` is set, else stream; `redirect` sends clients a presigned URL. @default 'auto' */
  delivery?: DeliveryPreference;
  /** The head cache (metadata and first bytes of recently read objects). @default { ms: 1000, bytes: 16384, objects: 256 } */
  headCache?: S3HeadCacheOptions;
}

/** {@link S3StorageOptions} validated, with every default filled in. */
export interface S3Settings {
  client: S3Client;
  bucket: string;
  prefix: string;
  accel?: Required<S3AccelOptions>;
  delivery: DeliveryMode;
  resume: Required<ResumeOptions>;
  onResume?: (info: S3ResumeInfo) => void;
  headCache: Required<S3HeadCacheOptions>;
}

const FACTORY = 's3Storage';
const S3_KEYS = ['client', 'bucket', 'prefix', 'accel', 'resume', 'onResume', 'delivery', 'headCache'] as const;
const ACCEL_KEYS = ['location', 'urlExpiresIn'] as const;
const HEAD_CACHE_KEYS = ['ms', 'bytes', 'objects'] as const;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function readClient(o: OptionsReader): S3Client {
  const client = o.raw('client') as S3Client | undefined;
  if (typeof client?.send !== 'function') o.fail('client', 'an S3Client');
  return client;
}

function readPrefix(o: OptionsReader): string {
  const prefix = o.raw('prefix') ?? '';
  if (typeof prefix !== 'string' || (prefix !== '' && keySegments(prefix.replace(/\/$/, '')) === null)) {
    o.fail('prefix', 'a relative key prefix such as "recordings/"');
  }
  return prefix;
}

function readAccel(o: OptionsReader): Required<S3AccelOptions> | undefined {
  if (!o.has('accel')) return undefined;
  const a = o.nested('accel', ACCEL_KEYS);
  return {
    location: nginxLocation(a, 'location', '/_station_files/s3'),
    urlExpiresIn: a.integer('urlExpiresIn', { min: 1, max: 604_800 }, 60),
  };
}

function readHeadCache(o: OptionsReader): Required<S3HeadCacheOptions> {
  const h = o.nested('headCache', HEAD_CACHE_KEYS);
  return {
    ms: h.integer('ms', { min: 0, max: 60_000 }, 1000),
    bytes: h.integer('bytes', { min: 0, max: 1_048_576 }, 16_384),
    objects: h.integer('objects', { min: 1, max: 10_000 }, 256),
  };
}

/**
 * Validates {@link S3StorageOptions} once, when s3Storage is called: unknown keys are refused
 * and every message carries the option's full path (`s3Storage: accel.urlExpiresIn must be a
 * whole number from 1 to 604800`, `s3Storage: unknown option resume.attemps`).
 *
 * @example
 * const settings = readS3Options({ client, bucket: 'radio', prefix: 'recordings/', accel: {} });
 * settings.delivery // 'accel'
 */
export function readS3Options(options: S3StorageOptions): S3Settings {
  const o = OptionsReader.of(FACTORY, options, S3_KEYS);
  const client = readClient(o);
  const bucket = o.string('bucket', BUCKET_NAME, 'a valid S3 bucket name', '');
  const prefix = readPrefix(o);
  const accel = readAccel(o);
  const delivery = resolveDelivery(FACTORY, o.raw('delivery') as DeliveryPreference | undefined, { accel: accel !== undefined, presign: true });
  const onResume = o.optionalFunction<(info: S3ResumeInfo) => void>('onResume');
  const resume = readResume(o.nested('resume', RESUME_KEYS));
  return { client, bucket, prefix, accel, delivery, resume, onResume, headCache: readHeadCache(o) };
}
