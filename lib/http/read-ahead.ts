/**
 * Read-ahead: which bytes a GET most likely needs, guessed before the object's size and ETag are
 * known, so a storage can answer metadata and body in one round trip (S3: one GetObject instead
 * of HeadObject + GetObject). Pure. The guess is checked against the real plan afterwards; a
 * request it cannot guess safely (conditional, several ranges, a suffix, malformed) gets `null`
 * and is planned from metadata first, as before.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** The bytes to read ahead: `range` absent means the whole object; `end` absent means to the end. */
export interface ReadAhead {
  range?: { start: number; end?: number };
}

const CONDITIONALS = ['if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since'] as const;
const ONE_RANGE = /^(\d{1,15})-(\d{0,15})$/;

/**
 * Guesses the body a request needs: the whole object without `Range`, the one `first-last` or
 * `first-` range it names otherwise. Requests with `If-Match`, `If-None-Match`,
 * `If-Modified-Since` or `If-Unmodified-Since` get `null` (they often need no body at all), as do
 * HEAD, suffix ranges, several ranges and anything malformed. `If-Range` is fine: its outcome
 * is either the named range or the whole object, and the plan decides which.
 *
 * @example
 * readAhead('GET', {})                             // { }            (whole object)
 * readAhead('GET', { range: 'bytes=0-1' })         // { range: { start: 0, end: 1 } }
 * readAhead('GET', { range: 'bytes=1000-' })       // { range: { start: 1000 } }
 * readAhead('GET', { 'if-none-match': '"a"' })     // null
 * readAhead('GET', { range: 'bytes=-500' })        // null
 */
export function readAhead(method: string | undefined, headers: IncomingHttpHeaders): ReadAhead | null {
  if (method !== 'GET') return null;
  if (CONDITIONALS.some((name) => headers[name] !== undefined)) return null;
  const header = headers.range;
  if (header === undefined) return {};
  if (!/^bytes=/i.test(header)) return null;
  // Same list grammar as decideRange: empty elements and SP/HTAB around each element are allowed.
  const parts = header.slice(6).split(',').map((p) => p.replace(/^[ \t]+|[ \t]+$/g, '')).filter((p) => p !== '');
  if (parts.length !== 1) return null;
  const m = ONE_RANGE.exec(parts[0] as string);
  if (!m) return null;
  const start = Number(m[1]);
  if (m[2] === '') return { range: { start } };
  const end = Number(m[2]);
  return end < start ? null : { range: { start, end } };
}
