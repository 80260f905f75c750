// An independent reference model of what a GET/HEAD of a file must answer, written from RFC 9110
// (5.6.7 HTTP-date, 8.8.3 entity tags, 13.1 / 13.2.2 preconditions, 14 ranges) and from the
// choices the README documents where the RFC leaves the server a choice:
//   - several ranges are answered 200 with the whole file (maxRanges 1, RFC 9110 14.2 "MAY ignore");
//   - an invalid Range (bytes=5-2, other units, garbage) is ignored: 200 (14.2 "MAY ignore");
//   - a non-zero suffix on an empty file is answered 200 (no Content-Range can describe it);
//   - HEAD gets exactly what GET gets, 206 included (9.3.2; 14.2 strictly names GET only).
// Where the RFC does not say what a syntactically invalid If-Match / If-None-Match means, every
// sensible reading is allowed (ignore the field; "no member matches"; keep the well-formed members).
// `Deviations` switch on known misreadings, only to explain a disagreement, never to allow one.
// It deliberately does not import lib/http: it parses with its own code (BigInt positions,
// explicit OWS = SP / HTAB, proleptic Gregorian years).

export interface ModelFile {
  size: number;
  /** Strong ETag, quoted. */
  etag: string;
  /** Last-Modified, whole seconds since the epoch. */
  lastModified: number;
}

export interface ModelRequest {
  method: 'GET' | 'HEAD';
  range?: string;
  ifRange?: string;
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  ifUnmodifiedSince?: string;
}

/**
 * Known ways an implementation may read a header differently from the RFC. The test never allows
 * them; it uses them to name the cause of a disagreement (the deviation that explains it).
 */
export interface Deviations {
  /** U+00A0 (obs-text byte 0xA0) trimmed like OWS, as String.prototype.trim() does. */
  nbspTrimmed?: boolean;
  /** 4-digit years 0000-0099 read as 1900-1999, as Date.UTC() does. */
  yearsBelow100In1900s?: boolean;
  /** Range positions compared as doubles (Number), not exactly: beyond 2^53, n-1 equals n. */
  positionsAsDoubles?: boolean;
}
export const DEVIATIONS: (keyof Deviations)[] = ['nbspTrimmed', 'yearsBelow100In1900s', 'positionsAsDoubles'];

export type Outcome = { status: 200 | 304 | 412 | 416 } | { status: 206; start: number; end: number };

const OWS = /^[ \t]+|[ \t]+$/g;
const OWS_NBSP = /^[ \t\xa0]+|[ \t\xa0]+$/g;
const trimOws = (s: string, d: Deviations = {}): string => s.replace(d.nbspTrimmed ? OWS_NBSP : OWS, '');

// ---- HTTP-date (RFC 9110 5.6.7) ----
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const LONG_DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function seconds(year: number, month: number, day: number, hh: number, mm: number, ss: number, d: Deviations): number | undefined {
  if (d.yearsBelow100In1900s && year < 100) year += 1900;
  if (month < 0 || day < 1 || hh > 23 || mm > 59 || ss > 59) return undefined;
  const t = new Date(0);
  t.setUTCFullYear(year, month, day); // unlike Date.UTC, years 0..99 stay years 0..99
  t.setUTCHours(hh, mm, ss, 0);
  if (t.getUTCFullYear() !== year || t.getUTCMonth() !== month || t.getUTCDate() !== day) return undefined; // 30 Feb
  return t.getTime() / 1000;
}

const two = (s: string | undefined): number => (s !== undefined && /^\d\d$/.test(s) ? Number(s) : NaN);

/** Seconds of a valid HTTP-date (all three forms, case-sensitive, GMT), else undefined. */
export function modelParseDate(raw: string, nowMs = Date.now(), d: Deviations = {}): number | undefined {
  const v = trimOws(raw, d);
  const [head, ...rest] = v.split(' ');
  if (head === undefined) return undefined;
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" (day-name, comma, SP, date1, SP, time, SP, GMT)
  if (/^[A-Z][a-z]{2},$/.test(head) && DAYS.includes(head.slice(0, 3)) && rest.length === 5 && rest[4] === 'GMT') {
    const [dd, mon, yyyy, time] = rest as [string, string, string, string];
    if (!/^\d{4}$/.test(yyyy)) return undefined;
    return timeOf(Number(yyyy), mon, two(dd), time, d);
  }
  // rfc850-date: "Sunday, 06-Nov-94 08:49:37 GMT"
  if (head.endsWith(',') && LONG_DAYS.includes(head.slice(0, -1)) && rest.length === 3 && rest[2] === 'GMT') {
    const parts = (rest[0] as string).split('-');
    if (parts.length !== 3 || !/^\d\d$/.test(parts[2] as string)) return undefined;
    const yy = Number(parts[2]);
    const nowYear = new Date(nowMs).getUTCFullYear();
    let year = nowYear - (nowYear % 100) + yy;
    const t = timeOf(year, parts[1] as string, two(parts[0]), rest[1] as string, d);
    // "more than 50 years in the future": the most recent past year with those two digits.
    if (t !== undefined && t * 1000 > nowMs + 50 * 365.25 * 86400_000) year -= 100;
    return timeOf(year, parts[1] as string, two(parts[0]), rest[1] as string, d);
  }
  // asctime-date: "Sun Nov  6 08:49:37 1994" (day is 2DIGIT or SP DIGIT)
  const asc = /^([A-Z][a-z]{2}) ([A-Z][a-z]{2}) (\d\d| \d) (\d\d:\d\d:\d\d) (\d{4})$/.exec(v);
  if (asc && DAYS.includes(asc[1] as string)) return timeOf(Number(asc[5]), asc[2] as string, Number((asc[3] as string).trim()), asc[4] as string, d);
  return undefined;
}

function timeOf(year: number, mon: string, day: number, time: string, d: Deviations): number | undefined {
  const t = /^(\d\d):(\d\d):(\d\d)$/.exec(time);
  if (!t || Number.isNaN(day)) return undefined;
  return seconds(year, MONTHS.indexOf(mon), day, Number(t[1]), Number(t[2]), Number(t[3]), d);
}

// ---- entity tags (RFC 9110 8.8.3) ----
interface Tag {
  weak: boolean;
  opaque: string;
}
/** A precondition field as a server may read it: absent, `*`, or a list of tags. */
type TagField = 'absent' | '*' | Tag[];

const isEtagc = (c: number): boolean => c === 0x21 || (c >= 0x23 && c <= 0x7e) || (c >= 0x80 && c <= 0xff);
const TAG = /^(W\/)?("[^"]*")$/;
function tagOf(s: string): Tag | null {
  const m = TAG.exec(s);
  if (!m || ![...(m[2] as string).slice(1, -1)].every((ch) => isEtagc(ch.charCodeAt(0)))) return null;
  return { weak: m[1] !== undefined, opaque: m[2] as string };
}

/** Members split at commas outside quotes, OWS-trimmed. */
function members(value: string, d: Deviations): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of value) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) {
      out.push(trimOws(cur, d));
      cur = '';
    } else cur += ch;
  }
  out.push(trimOws(cur, d));
  return out;
}

/** Every reading a server may give the field: one when it is valid, several when it is not. */
function tagReadings(value: string | undefined, d: Deviations): TagField[] {
  if (value === undefined) return ['absent'];
  const v = trimOws(value, d);
  if (v === '*') return ['*'];
  const all = members(v, d).filter((m) => m !== '');
  const tags = all.map(tagOf);
  if (all.length > 0 && tags.every((t) => t !== null)) return [tags as Tag[]];
  const wellFormed: TagField = all.includes('*') ? '*' : tags.filter((t): t is Tag => t !== null);
  return ['absent', [], wellFormed];
}

// ---- Range (RFC 9110 14.1, 14.2) ----
function rangeOutcome(value: string, size: number, d: Deviations): Outcome {
  const whole: Outcome = { status: 200 };
  const v = trimOws(value, d);
  const eq = v.indexOf('=');
  if (eq < 0 || v.slice(0, eq).toLowerCase() !== 'bytes') return whole; // unknown unit or no unit: MUST ignore
  const specs = v
    .slice(eq + 1)
    .split(',')
    .map((s) => trimOws(s, d))
    .filter((s) => s !== '');
  if (specs.length !== 1) return whole; // none (invalid) or several (documented: 200)
  const spec = specs[0] as string;
  const n = BigInt(size);
  let m = /^(\d+)-(\d*)$/.exec(spec);
  if (m) {
    const first = BigInt(m[1] as string);
    const last = m[2] === '' ? undefined : BigInt(m[2] as string);
    const reversed = d.positionsAsDoubles ? last !== undefined && Number(last) < Number(first) : last !== undefined && last < first;
    if (reversed) return whole; // invalid: ignored
    if (first >= n) return { status: 416 };
    const end = last === undefined || last >= n ? n - 1n : last;
    return { status: 206, start: Number(first), end: Number(end) };
  }
  m = /^-(\d+)$/.exec(spec);
  if (!m) return whole;
  const suffix = BigInt(m[1] as string);
  if (suffix === 0n) return { status: 416 };
  if (n === 0n) return whole;
  return { status: 206, start: Number(suffix >= n ? 0n : n - suffix), end: size - 1 };
}

/** If-Range (13.1.5): a strong, equal entity tag, or a date equal to Last-Modified; else false. */
function ifRangeHolds(value: string, file: ModelFile, nowMs: number, d: Deviations): boolean {
  const v = trimOws(value, d);
  const tag = tagOf(v);
  if (tag) return !tag.weak && tag.opaque === file.etag;
  const date = modelParseDate(v, nowMs, d);
  return date !== undefined && date === file.lastModified;
}

function evaluate(req: ModelRequest, file: ModelFile, im: TagField, inm: TagField, nowMs: number, d: Deviations): Outcome {
  // 13.2.2 step 1/2: If-Match (strong comparison), else If-Unmodified-Since.
  if (im !== 'absent') {
    if (im !== '*' && !im.some((t) => !t.weak && t.opaque === file.etag)) return { status: 412 };
  } else if (req.ifUnmodifiedSince !== undefined) {
    const since = modelParseDate(req.ifUnmodifiedSince, nowMs, d);
    if (since !== undefined && file.lastModified > since) return { status: 412 };
  }
  // step 3/4: If-None-Match (weak comparison), else If-Modified-Since.
  if (inm !== 'absent') {
    if (inm === '*' || inm.some((t) => t.opaque === file.etag)) return { status: 304 };
  } else if (req.ifModifiedSince !== undefined) {
    const since = modelParseDate(req.ifModifiedSince, nowMs, d);
    if (since !== undefined && file.lastModified <= since) return { status: 304 };
  }
  // step 5: If-Range, then Range.
  if (req.range === undefined) return { status: 200 };
  if (req.ifRange !== undefined && !ifRangeHolds(req.ifRange, file, nowMs, d)) return { status: 200 };
  return rangeOutcome(req.range, file.size, d);
}

/** Every outcome the RFC (plus the README's documented choices) allows for this request. */
export function allowedOutcomes(req: ModelRequest, file: ModelFile, nowMs = Date.now(), d: Deviations = {}): Outcome[] {
  const out: Outcome[] = [];
  for (const im of tagReadings(req.ifMatch, d)) {
    for (const inm of tagReadings(req.ifNoneMatch, d)) {
      const o = evaluate(req, file, im, inm, nowMs, d);
      if (!out.some((x) => sameOutcome(x, o))) out.push(o);
    }
  }
  return out;
}

export function sameOutcome(a: Outcome, b: Outcome): boolean {
  if (a.status !== b.status) return false;
  return a.status !== 206 || b.status !== 206 || (a.start === b.start && a.end === b.end);
}

export const describeOutcome = (o: Outcome): string => (o.status === 206 ? `206 ${o.start}-${o.end}` : String(o.status));

// ---- formatting, for the generators (kept here so both sides use one calendar) ----
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
const hms = (d: Date): string => `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
export type DateFormat = 'imf' | 'rfc850' | 'asctime';
/** An HTTP-date of `sec` seconds in one of the three forms (4-digit years, 0-padded, also below 1000). */
export function formatDate(sec: number, format: DateFormat): string {
  const d = new Date(sec * 1000);
  const day = d.getUTCDate();
  const mon = MONTHS[d.getUTCMonth()] as string;
  const year = d.getUTCFullYear();
  if (format === 'imf') return `${DAYS[d.getUTCDay()]}, ${pad(day)} ${mon} ${pad(year, 4)} ${hms(d)} GMT`;
  if (format === 'rfc850') return `${LONG_DAYS[d.getUTCDay()]}, ${pad(day)}-${mon}-${pad(year % 100)} ${hms(d)} GMT`;
  return `${DAYS[d.getUTCDay()]} ${mon} ${day < 10 ? ` ${day}` : day} ${hms(d)} ${year}`;
}
