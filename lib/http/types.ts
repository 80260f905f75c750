/**
 * The value types the HTTP rules work on, at the bottom of the import picture: a byte range and
 * what a storage knows about one object. Storages produce them; nothing here does I/O.
 */

/** An inclusive byte range, `start` and `end` both within the object. */
export interface ByteRange {
  start: number;
  end: number;
}

/** What a storage knows about one object, read once per request. */
export interface ObjectMeta {
  /** Size in bytes. */
  size: number;
  /** Last modification time. */
  mtime: Date;
  /** A strong entity tag, quoted (`"…"`); the same value for the same bytes. */
  etag: string;
  /** The content type recorded by the storage, if any. */
  contentType?: string;
}
