// fast-check generators of Range, If-Range, If-(None-)Match and If-(Un)Modified-Since values for one
// known file: valid, near-valid (whitespace, case, off-by-one, weak tags, other date forms) and
// garbage. Every value is a legal header value for Node's client (TAB, 0x20-0x7E, 0x80-0xFF).
import fc from 'fast-check';
import { formatDate, type ModelFile, type ModelRequest } from './fuzz-model';

export interface FuzzFile extends ModelFile {
  name: string;
  /** Relative weight in the mix (the 1 MiB file is rarer: every full GET moves a MiB). */
  weight: number;
}
export interface FuzzCase extends ModelRequest {
  file: number;
}

const headerChar = fc
  .oneof({ arbitrary: fc.integer({ min: 0x20, max: 0x7e }), weight: 8 }, { arbitrary: fc.constantFrom(0x09, 0xa0, 0x80, 0xff, 0xe9), weight: 1 })
  .map((c) => String.fromCharCode(c));
/** Any header value Node will send. */
export const garbage = fc.string({ unit: headerChar, maxLength: 40 });
/** Garbage biased towards the characters the parsers care about. */
const syntaxSoup = fc.string({
  unit: fc.constantFrom('b', 'y', 't', 'e', 's', '=', '-', ',', '"', 'W', '/', '*', ' ', '\t', '0', '1', '9', '\xa0'),
  maxLength: 20,
});

const WHITE = fc.constantFrom(' ', '\t', '  ', ' \t', '\xa0');
/** Whitespace before, after or around a value (SP/HTAB are OWS; NBSP is not). */
const padded = (arb: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.oneof({ arbitrary: arb, weight: 6 }, { arbitrary: fc.tuple(WHITE, arb, fc.constantFrom('', ' ', '\t', '\xa0')).map(([a, v, b]) => a + v + b), weight: 1 });

const HUGE = [
  '9007199254740991',
  '9007199254740992',
  '9007199254740993',
  '18446744073709551615',
  '18446744073709551616',
  '99999999999999999999999',
  `1${'0'.repeat(400)}`,
];

/** A byte position near the interesting edges of `size` (or a huge one), as digits. */
function position(size: number): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(0, 1, Math.max(0, size - 1), size, size + 1).map(String), weight: 4 },
    { arbitrary: fc.nat({ max: size + 2 }).map(String), weight: 4 },
    { arbitrary: fc.tuple(fc.constantFrom('0', '00', '000000'), fc.nat({ max: size + 1 })).map(([z, n]) => z + n), weight: 1 },
    { arbitrary: fc.constantFrom(...HUGE), weight: 1 },
  );
}

/** One range-spec: valid forms, and the near-valid ones a parser might let through. */
function spec(size: number): fc.Arbitrary<string> {
  const p = position(size);
  const huge = fc.constantFrom(...HUGE).map((h) => [BigInt(h), BigInt(h) - 1n] as const);
  return fc.oneof(
    { arbitrary: fc.tuple(p, p).map(([a, b]) => (BigInt(a) <= BigInt(b) ? `${a}-${b}` : `${b}-${a}`)), weight: 6 },
    { arbitrary: p.map((a) => `${a}-`), weight: 3 },
    { arbitrary: p.map((n) => `-${n}`), weight: 3 },
    { arbitrary: fc.tuple(p, p).map(([a, b]) => `${a}-${b}`), weight: 2 }, // possibly reversed
    { arbitrary: huge.map(([h, h1]) => `${h}-${h1}`), weight: 1 }, // last = first - 1, both beyond 2^53
    {
      arbitrary: fc
        .tuple(
          p,
          p,
          fc.constantFrom('-%a-%b', '%a--%b', '%a-%b-', '%a - %b', '%a -%b', '-%a-%b', '%a.5-%b', '0x%a-%b', '+%a-%b', '%a-+%b', '%a_%b', '--%a', '-', '%a,%b'),
        )
        .map(([a, b, t]) => t.replace('%a', a).replace('%b', b)),
      weight: 2,
    },
  );
}

const UNIT = fc.oneof(
  { arbitrary: fc.constant('bytes'), weight: 12 },
  { arbitrary: fc.constantFrom('BYTES', 'Bytes', 'bYtEs'), weight: 2 },
  { arbitrary: fc.constantFrom('byte', 'items', 'none', 'bytes ', ' bytes', 'bits', ''), weight: 1 },
);
const SEP = fc.constantFrom(',', ', ', ' ,', ',,', ', \t', ' , ', ',\xa0');

export function rangeValue(size: number): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.tuple(UNIT, fc.constantFrom('=', '=', '=', ' =', '= ', ':', ' '), padded(spec(size))).map(([u, eq, s]) => u + eq + s), weight: 10 },
    {
      arbitrary: fc.tuple(UNIT, fc.array(fc.tuple(padded(spec(size)), SEP), { minLength: 2, maxLength: 5 }), fc.boolean()).map(
        ([u, list, trailing]) =>
          `${u}=${list
            .map(([s, sep]) => s + sep)
            .join('')
            .slice(0, trailing ? undefined : -1)}`,
      ),
      weight: 3,
    },
    { arbitrary: fc.tuple(fc.constantFrom('bytes=', 'bytes=,', 'bytes=, ,'), spec(size)).map(([u, s]) => u + s), weight: 1 }, // empty elements
    { arbitrary: fc.constantFrom('bytes=', 'bytes=,', 'bytes', '=0-1', 'bytes=0-1;q=1', 'bytes=0-0,-1'), weight: 1 },
    { arbitrary: syntaxSoup, weight: 1 },
    { arbitrary: garbage, weight: 1 },
  );
}

/** The file's ETag, changed a little, weakened, unquoted, or another one. */
export function etagValue(file: FuzzFile): fc.Arbitrary<string> {
  const e = file.etag;
  const inner = e.slice(1, -1);
  const last = inner.slice(-1);
  const bumped = `"${inner.slice(0, -1)}${last === '0' ? '1' : last === 'f' ? 'e' : String.fromCharCode(last.charCodeAt(0) - 1)}"`;
  return fc.oneof(
    { arbitrary: fc.constant(e), weight: 8 },
    { arbitrary: fc.constantFrom(`W/${e}`, bumped, `W/${bumped}`), weight: 4 },
    {
      arbitrary: fc.constantFrom(
        inner,
        `w/${e}`,
        `W/ ${e}`,
        `"${inner}`,
        `${e}"`,
        `"${inner.toUpperCase()}"`,
        `'${inner}'`,
        `"${inner} "`,
        `"a,b"`,
        `""`,
        `"\xe9t\xe9"`,
        '*',
      ),
      weight: 3,
    },
    { arbitrary: fc.string({ unit: fc.constantFrom('a', 'b', '0', '9', '-', ','), maxLength: 12 }).map((s) => `"${s}"`), weight: 2 },
    { arbitrary: garbage, weight: 1 },
  );
}

export function etagList(file: FuzzFile): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: padded(etagValue(file)), weight: 6 },
    {
      arbitrary: fc.array(fc.tuple(etagValue(file), SEP), { minLength: 2, maxLength: 4 }).map((l) =>
        l
          .map(([t, s]) => t + s)
          .join('')
          .replace(/[ ,\t\xa0]+$/, ''),
      ),
      weight: 3,
    },
    { arbitrary: fc.constantFrom('*', ' * ', '', ',', '*, *', `*, ${file.etag}`), weight: 1 },
    { arbitrary: syntaxSoup, weight: 1 },
  );
}

/** Last-Modified, a second either side, further away, in all three forms; and broken dates. */
export function dateValue(file: FuzzFile): fc.Arbitrary<string> {
  const lm = file.lastModified;
  const offset = fc.oneof(
    { arbitrary: fc.constant(0), weight: 6 },
    { arbitrary: fc.constantFrom(-1, 1), weight: 4 },
    { arbitrary: fc.constantFrom(-2, 2, -60, 3600, -86400, 86400 * 366, -86400 * 366), weight: 2 },
    { arbitrary: fc.integer({ min: -(10 ** 9), max: 10 ** 9 }), weight: 1 },
  );
  const form = fc.constantFrom('imf', 'imf', 'rfc850', 'asctime') as fc.Arbitrary<'imf' | 'rfc850' | 'asctime'>;
  const valid = fc.tuple(offset, form).map(([o, f]) => formatDate(lm + o, f));
  const broken = fc
    .tuple(
      fc.constantFrom(0, -1, 1),
      fc.constantFrom(
        (s: string) => s.replace('GMT', 'gmt'),
        (s: string) => s.replace(' GMT', ''),
        (s: string) => s.replace('GMT', 'UTC'),
        (s: string) => s.replace(/ (\d\d)(\d\d) /, ' $2 '), // 2-digit year in IMF
        (s: string) => s.replace(/ (\d\d)(\d\d) /, ' 00$2 '), // year 00YY: a real, ancient year
        (s: string) => s.replace(/^(\w+), (\d\d)/, '$1, 30').replace(/ [A-Z][a-z]{2} /, ' Feb '), // 30 Feb
        (s: string) => s.replace(/\d\d:/, '24:'),
        (s: string) => s.replace(/:\d\d /, ':61 '),
        (s: string) => s.replace(',', ''),
        (s: string) => s.replace(' ', '  '),
        (s: string) => s.replace(/^\w{3}/, 'Xyz'),
        (s: string) => s.replace(/^Mon|^Tue|^Wed|^Thu|^Fri|^Sat|^Sun/, (d) => (d === 'Mon' ? 'Tue' : 'Mon')), // wrong weekday: still a date
        (s: string) => `${s}, ${s}`,
        (s: string) => `${s}x`,
        (s: string) => s.toLowerCase(),
        (s: string) => s.replace(/ /g, '\t'),
      ),
    )
    .map(([o, f]) => f(formatDate(lm + o, 'imf')));
  const other = fc.constantFrom(
    new Date(lm * 1000).toISOString(),
    new Date(lm * 1000).toString(),
    String(lm),
    String(lm * 1000),
    '0',
    '',
    'yesterday',
    formatDate(lm, 'rfc850').replace(/-(\d\d) /, (_m, y: string) => `-19${y} `),
    formatDate(lm, 'asctime').replace(/ (\d) /, ' 0$1 '),
  );
  return fc.oneof(
    { arbitrary: padded(valid), weight: 8 },
    { arbitrary: broken, weight: 3 },
    { arbitrary: other, weight: 1 },
    { arbitrary: garbage, weight: 1 },
  );
}

/** `1 / (1 + absentWeight)` of cases carry the header; shrinking tries without it first (cross-shrink). */
const sometimes = <T>(arb: fc.Arbitrary<T>, absentWeight: number, presentWeight = 1): fc.Arbitrary<T | undefined> =>
  fc.oneof({ withCrossShrink: true }, { arbitrary: fc.constant(undefined), weight: absentWeight }, { arbitrary: arb, weight: presentWeight });

export function fuzzCase(files: readonly FuzzFile[]): fc.Arbitrary<FuzzCase> {
  return fc.oneof(
    { withCrossShrink: true },
    ...files.map((f, i) => ({
      weight: f.weight,
      arbitrary: fc.record({
        file: fc.constant(i),
        method: fc.constantFrom('GET', 'GET', 'GET', 'HEAD') as fc.Arbitrary<'GET' | 'HEAD'>,
        range: sometimes(rangeValue(f.size), 1, 3),
        ifRange: sometimes(fc.oneof(etagValue(f), dateValue(f)), 3),
        ifMatch: sometimes(etagList(f), 5),
        ifNoneMatch: sometimes(etagList(f), 4),
        ifModifiedSince: sometimes(dateValue(f), 4),
        ifUnmodifiedSince: sometimes(dateValue(f), 5),
      }),
    })),
  );
}
