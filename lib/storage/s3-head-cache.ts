/**
 * What S3 said about recently read objects, kept for a short time: the metadata (size, ETag,
 * type) and the first bytes. Podcast apps open every episode with HEAD and a `bytes=0-1` probe,
 * and players re-read the first kilobytes; answered from here they cost no S3 round trip. Pure
 * bookkeeping: the S3 requests that fill it live in s3-objects.ts.
 */
import type { ByteRange, ObjectMeta } from './types';

/**
 * One object as S3 last described it: metadata, and its first bytes when they were read; or,
 * with `meta` null, a note that S3 said it is gone or changed (nothing older may be kept for it).
 */
interface Head {
  meta: ObjectMeta | null;
  /** The object's first `bytes.length` bytes (all of it when that equals `meta.size`); null: not read. */
  bytes: Buffer | null;
  until: number;
  /** The ticket of the request whose answer this is (see {@link HeadCache.ticket}). */
  ticket: number;
}

/** What the cache can answer for a read: the object's metadata and, inside its first bytes, the body. */
export interface CachedRead {
  meta: ObjectMeta;
  /** The bytes `body` holds; null: the whole object. */
  range: ByteRange | null;
  /** The asked bytes; null when the range starts past the end (the plan answers 416 from `meta`). */
  body: Buffer | null;
}

/** A span of a read: `end` absent, to the end of the object; the whole span absent, the whole object. */
type Span = { start: number; end?: number } | undefined;

/**
 * The metadata and first `bytes` bytes of at most `max` objects, each for `ms` after its answer
 * was kept (the least recently kept goes first). `ms = 0` keeps nothing. Memory is bounded by
 * `max × bytes`. Every S3 request takes a ticket before it is sent, and its answer is kept only
 * if nothing newer is (a later request's answer, or S3 saying the object changed): a slow answer
 * never overwrites a newer one.
 *
 * @example
 * const heads = new HeadCache(1000, 16384, 256);
 * const ticket = heads.ticket();
 * // … the GetObject of the first 16 KiB …
 * heads.remember('show.mp3', meta, firstBytes, ticket);
 * heads.read('show.mp3', { start: 0, end: 1 }); // { meta, range: { start: 0, end: 1 }, body: <2 bytes> }
 */
export class HeadCache {
  private readonly heads = new Map<string, Head>();
  private tickets = 0;

  constructor(
    private readonly ms: number,
    readonly bytes: number,
    private readonly max: number,
  ) {}

  /** Objects kept now, fresh or not yet dropped (for tests). */
  get size(): number {
    return this.heads.size;
  }

  /**
   * True when a read of `span` should fetch the object's first bytes into the cache instead:
   * the cache is on and the span ends inside them.
   *
   * @example
   * new HeadCache(1000, 16384, 256).fills({ start: 0, end: 1 }) // true
   */
  fills(span: Span): boolean {
    return this.ms > 0 && this.bytes > 0 && span?.end !== undefined && span.end < this.bytes;
  }

  /** A number for an S3 request about to be sent: answers are kept in ticket order. */
  ticket(): number {
    this.tickets += 1;
    return this.tickets;
  }

  /** The fresh metadata of `key`, or null. */
  meta(key: string): ObjectMeta | null {
    return this.fresh(key)?.meta ?? null;
  }

  /**
   * The answer to a read of `span` (absent: the whole object), when the cache holds `key`'s
   * first bytes and they cover it; with `etag`, only of that version.
   */
  read(key: string, span: Span, etag?: string): CachedRead | null {
    const head = this.fresh(key);
    if (!head?.meta || !head.bytes || (etag !== undefined && head.meta.etag !== etag)) return null;
    return readKept(head.meta, head.bytes, span);
  }

  /**
   * Keeps what S3 answered the request of `ticket` about `key`: with `bytes`, its metadata and
   * first bytes; without, its metadata, unless the first bytes of that same version are kept
   * already. An empty object's metadata is all of it. Ignored when what is kept is newer, except
   * for first bytes of the version kept without them.
   */
  remember(key: string, meta: ObjectMeta, bytes: Buffer | null, ticket: number): void {
    if (this.ms === 0) return;
    const kept = this.heads.get(key);
    const same = kept?.meta?.etag === meta.etag;
    if (kept && kept.ticket > ticket && !(same && bytes && !kept.bytes)) return;
    if (kept && same && !bytes && kept.until > Date.now()) return;
    const all = bytes ?? (meta.size === 0 ? Buffer.alloc(0) : null);
    this.keep(key, { meta, bytes: all, until: Date.now() + this.ms, ticket: Math.max(ticket, kept?.ticket ?? 0) });
  }

  /** Forgets `key` (S3 said it is gone or changed), and refuses answers to requests sent before now. */
  forget(key: string): void {
    if (this.ms === 0) return;
    this.keep(key, { meta: null, bytes: null, until: Date.now() + this.ms, ticket: this.ticket() });
  }

  private keep(key: string, head: Head): void {
    this.heads.delete(key);
    if (this.heads.size >= this.max) {
      const oldest = this.heads.keys().next().value;
      if (oldest !== undefined) this.heads.delete(oldest);
    }
    this.heads.set(key, head);
  }

  private fresh(key: string): Head | undefined {
    const head = this.heads.get(key);
    if (!head || head.until > Date.now()) return head;
    this.heads.delete(key);
    return undefined;
  }
}

/**
 * The answer to a read of `span` (absent: the whole object) from an object's first bytes, or
 * null when they do not cover it. Pure.
 *
 * @example
 * readKept({ size: 10, etag: '"e"', mtime }, Buffer.from('0123'), { start: 1, end: 2 })
 * // { meta, range: { start: 1, end: 2 }, body: <'12'> }
 */
export function readKept(meta: ObjectMeta, bytes: Buffer, span: Span): CachedRead | null {
  const start = span?.start ?? 0;
  if (span && start >= meta.size) return { meta, range: null, body: null };
  const end = Math.min(span?.end ?? meta.size - 1, meta.size - 1);
  if (end >= bytes.length) return null;
  return { meta, range: span ? { start, end } : null, body: bytes.subarray(start, end + 1) };
}
