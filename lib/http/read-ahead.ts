/**
 * Read-ahead: which bytes a GET most likely needs, guessed before the object's size and ETag are
 * known, so a storage can answer metadata and body in one round trip (S3: one GetObject instead
 * of HeadObject + GetObject). Pure. The guess is checked against the real plan afterwards; a
 * request it cannot guess safely (conditional, several ranges, a suffix, malformed) gets `null`
 * and is planned from metadata first, as before.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { parseRangeSpecs } from './range';

/** The bytes to read ahead: `range` absent means the whole object; `end` absent means to the end. */
export interface ReadAhead {
  range?: { start: number; end?: number };
}

/** Positions at or past 10^15 (far beyond any S3 object, 5 TiB at most) are planned from metadata. */
const MAX_GUESS = 1e15;
const guessable = (n: number): boolean => Number.isSafeInteger(n) && n < MAX_GUESS;
const CONDITIONALS = ['if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since'] as const;

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
  // The same grammar decideRange reads, so the guess is a range the plan can select.
  const parsed = parseRangeSpecs(header, 1);
  const spec = 'specs' in parsed ? parsed.specs[0] : undefined;
  if (spec?.first === undefined || !guessable(spec.first)) return null;
  // A last position past any object (`bytes=0-99999999999999999`) reads to the end, as the plan will.
  return spec.last === undefined || spec.last >= MAX_GUESS ? { range: { start: spec.first } } : { range: { start: spec.first, end: spec.last } };
}
