// An in-memory Storage for unit tests of the delivery layer: one versioned object per key, every
// call counted, optional `read` (metadata and body in one call, like s3Storage's GetObject).
import { Readable } from 'node:stream';
import { StorageError, type ByteRange, type ObjectMeta, type OpenOptions, type ReadOptions, type ReadResult, type Storage } from '../../lib';

export interface MemoryStorage extends Storage {
  calls: { stat: number; open: number; read: number };
  /** Ranges `open` was asked for (`null`: the whole object). */
  opened: (ByteRange | null)[];
  /** Bodies `read` handed out, to check the ones not used were destroyed. */
  readBodies: Readable[];
  put(key: string, bytes: Buffer): void;
}

export function memoryStorage(options: { withRead: boolean }): MemoryStorage {
  const objects = new Map<string, { bytes: Buffer; meta: ObjectMeta }>();
  let version = 0;
  const calls = { stat: 0, open: 0, read: 0 };
  const opened: (ByteRange | null)[] = [];
  const readBodies: Readable[] = [];
  const slice = (bytes: Buffer, r: ByteRange | null): Readable => Readable.from(r ? [bytes.subarray(r.start, r.end + 1)] : [bytes]);

  const storage: MemoryStorage = {
    kind: 'memory',
    delivery: 'stream',
    calls,
    opened,
    readBodies,
    put(key, bytes) {
      version += 1;
      objects.set(key, { bytes, meta: { size: bytes.length, mtime: new Date(Date.UTC(2026, 0, 1, 0, 0, version)), etag: `"v${version}"` } });
    },
    async stat(key) {
      calls.stat += 1;
      return objects.get(key)?.meta ?? null;
    },
    async open(key: string, o: OpenOptions) {
      calls.open += 1;
      const obj = objects.get(key);
      if (!obj) throw new StorageError('not-found', 'gone');
      if (o.ifMatch && o.ifMatch !== obj.meta.etag) throw new StorageError('changed', 'changed');
      opened.push(o.range ?? null);
      return slice(obj.bytes, o.range ?? null);
    },
  };
  if (options.withRead) {
    storage.read = async (key: string, o: ReadOptions): Promise<ReadResult | null> => {
      calls.read += 1;
      const obj = objects.get(key);
      if (!obj) return null;
      const size = obj.bytes.length;
      if (!o.range) {
        const body = slice(obj.bytes, null);
        readBodies.push(body);
        return { meta: obj.meta, range: null, body };
      }
      // Like S3: a range starting past the end cannot be read; the end is clipped.
      if (o.range.start >= size) return { meta: obj.meta, range: null, body: null };
      const range = { start: o.range.start, end: Math.min(o.range.end ?? size - 1, size - 1) };
      const body = slice(obj.bytes, range);
      readBodies.push(body);
      return { meta: obj.meta, range, body };
    };
  }
  return storage;
}
