/**
 * The storage contract: where bytes live. Nothing here knows about HTTP or Express;
 * the delivery layer asks a storage for metadata, a byte stream, or a hand-off target.
 */
import type { Readable } from 'node:stream';

export type { ByteRange, ObjectMeta } from '../http/types';
import type { ByteRange, ObjectMeta } from '../http/types';

/** Options for {@link Storage.open}. */
export interface OpenOptions {
  /** The bytes to read; the whole object when absent. */
  range?: ByteRange;
  /** Only read if the object still has this ETag (one response = one object version). */
  ifMatch?: string;
  /** Aborts the read (and releases sockets and descriptors) when the client goes away. */
  signal?: AbortSignal;
  /** The metadata this storage's `stat` returned for the key, so it can skip resolving it again. */
  meta?: ObjectMeta;
}

/** Options for {@link Storage.read}. */
export interface ReadOptions {
  /** The bytes the request most likely needs (`end` absent: to the end); the whole object when absent. */
  range?: { start: number; end?: number };
  /** Aborts the read (and releases sockets and descriptors) when the client goes away. */
  signal?: AbortSignal;
}

/** What {@link Storage.read} found: the object's metadata and, when it could read it, a body. */
export interface ReadResult {
  meta: ObjectMeta;
  /** The bytes `body` carries; `null` when it carries the whole object. */
  range: ByteRange | null;
  /**
   * Exactly `range` (or the whole object) of the version `meta` describes, or `null` when the
   * storage could not read what was asked (e.g. a range past the end) and only has `meta`.
   */
  body: Readable | null;
}

/** Where nginx should fetch the bytes from, for an X-Accel-Redirect hand-off. */
export interface AccelTarget {
  /** The value of `X-Accel-Redirect`: an internal nginx location, already percent-encoded. */
  uri: string;
  /** Extra headers for nginx (read by the internal location, never shown to the client). */
  headers?: Record<string, string>;
}

/** Options for {@link Storage.presign}. */
export interface PresignOptions {
  /** Lifetime of the URL in seconds. */
  expiresIn: number;
  /** The `Content-Disposition` the storage should answer with (see `contentDisposition()` in `station-files/http`). */
  contentDisposition?: string;
  /** `Content-Type` the storage should answer with. */
  contentType?: string;
  /** `Cache-Control` the storage should answer with. */
  cacheControl?: string;
}

/** Request for an accel hand-off: one object version and, optionally, one range of it. */
export interface AccelRequest {
  /** The object version the response was planned with (nginx must fetch exactly that one). */
  meta: ObjectMeta;
  /** The planned range; absent for a whole-object 200. */
  range?: ByteRange;
}

/**
 * How the bytes of a planned 200/206 reach the client: `stream` (Node pipes them, constant
 * memory), `accel` (an X-Accel-Redirect hand-off to nginx), `redirect` (302 to a presigned URL).
 */
export type DeliveryMode = 'stream' | 'accel' | 'redirect';

/** A storage factory's `delivery` option: a mode, or `auto` (accel when configured, else stream). */
export type DeliveryPreference = DeliveryMode | 'auto';

/**
 * A place files live. `stat` and `open` are required; `accel` and `presign` are optional
 * capabilities detected at runtime, like a session store's optional methods.
 */
export interface Storage {
  /** A short name for logs: `local`, `s3`, or a custom adapter's name. */
  readonly kind: string;
  /** How this storage's files are delivered; `stream` when absent. */
  readonly delivery?: DeliveryMode;
  /** Metadata, or `null` when the key does not name a readable object (including invalid keys). */
  stat(key: string, signal?: AbortSignal): Promise<ObjectMeta | null>;
  /** A stream of the object's bytes (or of one range). Rejects with a {@link StorageError}. */
  open(key: string, options: OpenOptions): Promise<Readable>;
  /**
   * Metadata and body in one round trip, for stream delivery (optional). The delivery layer
   * uses the body when the planned response needs exactly those bytes, else destroys it and
   * opens what the plan says. `null` when the key does not name a readable object.
   */
  read?(key: string, options: ReadOptions): Promise<ReadResult | null>;
  /** Where nginx should read the object from, when this storage can be handed to nginx. */
  accel?(key: string, request: AccelRequest): Promise<AccelTarget>;
  /** A time-limited URL that serves the object without the app, when the storage can make one. */
  presign?(key: string, options: PresignOptions): Promise<string>;
}
