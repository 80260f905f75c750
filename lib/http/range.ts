/**
 * Range header parsing (RFC 9110 section 14). Pure: header text and size in, a decision out.
 *
 * Why not range-parser: it answers a suffix longer than the file with "unsatisfiable" (RFC 9110
 * 14.1.3 says: the whole representation) and turns `bytes=5-2` into a 416 where the grammar says
 * the header is invalid and must be ignored. Both matter to podcast apps and resumed downloads.
 */
import type { ByteRange } from './types';
import { trimOws } from './whitespace';

/** The outcome of reading a Range header against a representation of known size. */
export type RangeDecision =
  /** No Range header: send the whole representation. */
  | { kind: 'none' }
  /** A Range header we ignore (malformed, other unit, too many ranges, disjoint): send 200. */
  | { kind: 'ignored'; reason: string }
  /** Syntactically valid, but no range overlaps the representation: 416. */
  | { kind: 'unsatisfiable' }
  /** One range to send as 206. */
  | { kind: 'satisfiable'; range: ByteRange };

const INT_RANGE = /^(\d+)-(\d*)$/;
const SUFFIX_RANGE = /^-(\d+)$/;
const UNIT = /^bytes=/i;

/** One range-spec as written: `first-last`, `first-` (no `last`) or `-suffix`. */
export interface RangeSpec {
  first?: number;
  last?: number;
  suffix?: number;
}

function parseSpec(text: string): RangeSpec | null {
  const int = INT_RANGE.exec(text);
  if (int) {
    const first = Number(int[1]);
    const last = int[2] === '' ? undefined : Number(int[2]);
    // RFC 9110 14.1.1: a range with last-pos < first-pos is invalid. Compared exactly: past
    // 2^53 two different positions can be the same Number.
    if (int[2] !== '' && BigInt(int[2] as string) < BigInt(int[1] as string)) return null;
    return { first, last };
  }
  const suffix = SUFFIX_RANGE.exec(text);
  return suffix ? { suffix: Number(suffix[1]) } : null;
}

/** Resolves one spec against the size; null when it does not overlap the representation. */
function resolveSpec(spec: RangeSpec, size: number): ByteRange | null {
  if (spec.suffix !== undefined) {
    // RFC 9110 14.1.3: a suffix longer than the representation selects all of it; 0 selects nothing.
    if (spec.suffix === 0 || size === 0) return null;
    return { start: Math.max(0, size - spec.suffix), end: size - 1 };
  }
  const first = spec.first ?? 0;
  if (first >= size) return null;
  const last = spec.last === undefined ? size - 1 : Math.min(spec.last, size - 1);
  return { start: first, end: last };
}

/** Merges overlapping and adjacent ranges; returns them sorted by start. */
function coalesce(ranges: ByteRange[]): ByteRange[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const merged: ByteRange[] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last && r.start <= last.end + 1) last.end = Math.max(last.end, r.end);
    else merged.push({ ...r });
  }
  return merged;
}

/**
 * Reads the range-specs of a `Range` header without knowing the size (RFC 9110 14.1.1 grammar:
 * `bytes=` and a comma list that may hold empty elements and SP/HTAB around each). More than
 * `maxRanges` specs, another unit, or a malformed spec give the reason the header is ignored.
 *
 * @example
 * parseRangeSpecs('bytes=0-1', 1)     // { specs: [{ first: 0, last: 1 }] }
 * parseRangeSpecs('bytes=-500', 1)    // { specs: [{ suffix: 500 }] }
 * parseRangeSpecs('bytes=5-2', 1)     // { ignored: 'malformed' }
 */
export function parseRangeSpecs(header: string, maxRanges: number): { specs: RangeSpec[] } | { ignored: string } {
  if (!UNIT.test(header)) return { ignored: 'not a bytes range' };
  // OWS is SP and HTAB only (RFC 9110 5.6.3): a no-break space makes the header malformed.
  const parts = header
    .slice(6)
    .split(',')
    .map(trimOws)
    .filter((p) => p !== '');
  if (parts.length === 0) return { ignored: 'malformed' };
  if (parts.length > maxRanges) return { ignored: 'too many ranges' };
  const specs: RangeSpec[] = [];
  for (const part of parts) {
    const spec = parseSpec(part);
    if (!spec) return { ignored: 'malformed' };
    specs.push(spec);
  }
  return { specs };
}

/**
 * Decides what a `Range` header asks of a representation of `size` bytes. Several ranges are
 * only honoured when there are at most `maxRanges` of them and they coalesce into one range;
 * otherwise the header is ignored and the whole representation is sent (RFC 9110 14.2 allows it,
 * and it closes the many-small-ranges denial of service).
 *
 * @example
 * decideRange('bytes=0-1', 1000, 1)        // { kind: 'satisfiable', range: { start: 0, end: 1 } }
 * decideRange('bytes=-500', 100, 1)        // { kind: 'satisfiable', range: { start: 0, end: 99 } }
 * decideRange('bytes=2000-', 1000, 1)      // { kind: 'unsatisfiable' }
 * decideRange('bytes=abc', 1000, 1)        // { kind: 'ignored', reason: 'malformed' }
 */
export function decideRange(header: string | undefined, size: number, maxRanges: number): RangeDecision {
  if (header === undefined) return { kind: 'none' };
  const parsed = parseRangeSpecs(header, maxRanges);
  if ('ignored' in parsed) return { kind: 'ignored', reason: parsed.ignored };
  const specs = parsed.specs;
  // RFC 9110 14.1.2: on an empty representation only a non-zero suffix is satisfiable, and no
  // Content-Range can describe it: answer the (empty) whole representation with 200.
  if (size === 0 && specs.some((s) => s.suffix !== undefined && s.suffix > 0)) {
    return { kind: 'ignored', reason: 'empty representation' };
  }
  const satisfiable = specs.map((s) => resolveSpec(s, size)).filter((r): r is ByteRange => r !== null);
  if (satisfiable.length === 0) return { kind: 'unsatisfiable' };
  const merged = coalesce(satisfiable);
  if (merged.length > 1) return { kind: 'ignored', reason: 'disjoint ranges' };
  return { kind: 'satisfiable', range: merged[0] as ByteRange };
}

/**
 * Formats `Content-Range` for a 206 (`bytes 0-1/1000`) or a 416 (`bytes *\/1000`).
 *
 * @example
 * contentRange({ start: 0, end: 1 }, 1000) // 'bytes 0-1/1000'
 * contentRange(null, 1000)                 // 'bytes *\/1000'
 */
export function contentRange(range: ByteRange | null, size: number): string {
  return range ? `bytes ${range.start}-${range.end}/${size}` : `bytes */${size}`;
}
