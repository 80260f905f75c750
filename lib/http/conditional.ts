/**
 * Conditional requests (RFC 9110 section 13), evaluated in the order of 13.2.2. Pure.
 *
 * Why not `fresh`: it answers a cache's question (is my copy fresh? a request `Cache-Control:
 * no-cache` makes it say "stale"), while a server must decide If-Match, If-Unmodified-Since,
 * If-None-Match and If-Modified-Since together, in 13.2.2's order, and If-Range after them.
 */
import { parseHttpDate } from './http-date';
import { trimOws } from './whitespace';

/** The validators of the selected representation. */
export interface Validators {
  /** Strong ETag, quoted. */
  etag: string;
  /** Last modification time (compared at one-second precision, as HTTP dates are). */
  lastModified: Date;
}

/** The result of evaluating a request's preconditions. */
export type PreconditionResult = 'proceed' | 'not-modified' | 'precondition-failed';

type HeaderValue = string | string[] | undefined;

/** One header value as text (repeated headers are joined as a list, RFC 9110 5.3). */
export function headerText(value: HeaderValue): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(', ') : value;
}

const ENTITY_TAG = /^(?:\*|(?:W\/)?"[\x21\x23-\x7e\x80-\xff]*")$/;

/**
 * Splits an entity-tag list (RFC 9110 8.8.3); `*` is returned as `*`. Commas inside quotes stay
 * inside the tag; empty and malformed members are dropped.
 */
export function parseEtagList(value: string): string[] {
  const members: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of value) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) {
      members.push(current);
      current = '';
    } else current += ch;
  }
  members.push(current);
  return members.map(trimOws).filter((m) => ENTITY_TAG.test(m));
}

const opaque = (tag: string): string => (tag.startsWith('W/') ? tag.slice(2) : tag);

/** RFC 9110 8.8.3.2 strong comparison: both strong and identical. */
export function strongMatch(a: string, b: string): boolean {
  return !a.startsWith('W/') && !b.startsWith('W/') && a === b;
}

/** RFC 9110 8.8.3.2 weak comparison: identical opaque tags. */
export function weakMatch(a: string, b: string): boolean {
  return opaque(a) === opaque(b);
}

const seconds = (d: Date): number => Math.floor(d.getTime() / 1000);

/**
 * Evaluates If-Match, If-Unmodified-Since, If-None-Match and If-Modified-Since for a GET or HEAD
 * of an existing representation (RFC 9110 13.2.2 steps 1–4).
 *
 * @example
 * evaluatePreconditions({ 'if-none-match': '"abc"' }, { etag: '"abc"', lastModified: new Date() }) // 'not-modified'
 * evaluatePreconditions({ 'if-match': '"old"' }, { etag: '"abc"', lastModified: new Date() })      // 'precondition-failed'
 */
export function evaluatePreconditions(headers: Record<string, HeaderValue>, validators: Validators): PreconditionResult {
  const ifMatch = headerText(headers['if-match']);
  if (ifMatch !== undefined) {
    // 13.1.1: strong comparison; `*` matches any current representation.
    const tags = parseEtagList(ifMatch);
    if (!tags.some((t) => t === '*' || strongMatch(t, validators.etag))) return 'precondition-failed';
  } else {
    // 13.1.4: only when If-Match is absent; an invalid date is ignored.
    const since = parseHttpDate(headerText(headers['if-unmodified-since']));
    if (since !== undefined && seconds(validators.lastModified) > since) return 'precondition-failed';
  }
  const ifNoneMatch = headerText(headers['if-none-match']);
  if (ifNoneMatch !== undefined) {
    // 13.1.2: weak comparison; for GET and HEAD a match means 304.
    const tags = parseEtagList(ifNoneMatch);
    if (tags.some((t) => t === '*' || weakMatch(t, validators.etag))) return 'not-modified';
  } else {
    // 13.1.3: only when If-None-Match is absent.
    const since = parseHttpDate(headerText(headers['if-modified-since']));
    if (since !== undefined && seconds(validators.lastModified) <= since) return 'not-modified';
  }
  return 'proceed';
}

/**
 * RFC 9110 13.1.5: does If-Range let the Range header apply? An entity tag must match strongly
 * (a weak tag never does); a date must equal Last-Modified exactly. Anything else means "send
 * the whole representation", which is what a resuming client needs when the file changed.
 *
 * @example
 * ifRangeAllows('"abc"', { etag: '"abc"', lastModified })   // true
 * ifRangeAllows('W/"abc"', { etag: '"abc"', lastModified }) // false
 */
export function ifRangeAllows(ifRange: string, validators: Validators): boolean {
  const value = trimOws(ifRange);
  if (value.startsWith('"') || value.startsWith('W/')) return strongMatch(value, validators.etag);
  const date = parseHttpDate(value);
  return date !== undefined && date === seconds(validators.lastModified);
}
