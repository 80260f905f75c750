// Sends one fuzz case to a real server and lists every invariant it breaks. Each violation is
// `<signature>: <detail>`; the signature groups violations of one kind for the report and replay.
import http from 'node:http';
import { DEVIATIONS, allowedOutcomes, describeOutcome, sameOutcome, type Deviations, type Outcome } from './fuzz-model';
import type { FuzzCase, FuzzFile } from './fuzz-arbitraries';

export interface FuzzTarget {
  name: string;
  files: FuzzFile[];
  /** The whole content of each file, same order. */
  bytes: Buffer[];
  url(file: FuzzFile): string;
  agent: http.Agent;
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  complete: boolean;
}

const HEADER_NAMES = {
  range: 'range',
  ifRange: 'if-range',
  ifMatch: 'if-match',
  ifNoneMatch: 'if-none-match',
  ifModifiedSince: 'if-modified-since',
  ifUnmodifiedSince: 'if-unmodified-since',
} as const;

export function headersOf(c: FuzzCase): Record<string, string> {
  const h: Record<string, string> = {};
  for (const [key, name] of Object.entries(HEADER_NAMES)) {
    const v = c[key as keyof typeof HEADER_NAMES];
    if (v !== undefined) h[name] = v;
  }
  return h;
}

function once(url: string, method: string, headers: Record<string, string>, agent: http.Agent): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent, timeout: 30_000 });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let failed = false;
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', () => {
        failed = true;
      });
      res.on('close', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), complete: res.complete && !failed }));
    });
    req.end();
  });
}

/** One request; a kept-alive socket the server closed meanwhile is retried (GET and HEAD are safe). */
export async function send(url: string, method: string, headers: Record<string, string>, agent: http.Agent): Promise<Reply> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await once(url, method, headers, agent);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'ECONNRESET' && code !== 'EPIPE') || attempt === 3) throw new Error(`${code ?? ''} ${(err as Error).message} (attempt ${attempt})`);
    }
  }
}

const IGNORED = new Set(['date', 'connection', 'keep-alive']);
function headerDiff(a: http.IncomingHttpHeaders, b: http.IncomingHttpHeaders): string[] {
  const names = new Set([...Object.keys(a), ...Object.keys(b)].filter((n) => !IGNORED.has(n)));
  return [...names].filter((n) => JSON.stringify(a[n]) !== JSON.stringify(b[n])).map((n) => `${n}: HEAD ${JSON.stringify(a[n])} / GET ${JSON.stringify(b[n])}`);
}

export interface CaseResult {
  status: number;
  violations: string[];
  requests: number;
}

/** Runs the case (plus the GET counterpart of a HEAD) and checks every invariant and the model. */
export async function runCase(target: FuzzTarget, c: FuzzCase): Promise<CaseResult> {
  const file = target.files[c.file] as FuzzFile;
  const bytes = target.bytes[c.file] as Buffer;
  const headers = headersOf(c);
  const url = target.url(file);
  const v: string[] = [];
  let r: Reply;
  let get: Reply | undefined;
  try {
    r = await send(url, c.method, headers, target.agent);
    if (c.method === 'HEAD') get = await send(url, 'GET', headers, target.agent);
  } catch (err) {
    return { status: 0, violations: [`transport: ${(err as Error).message}`], requests: 1 };
  }
  const s = r.status;
  if (s >= 500) v.push(`5xx: ${s} ${r.body.toString('latin1').slice(0, 80)}`);
  else if (![200, 206, 304, 412, 416].includes(s)) v.push(`status: ${s} is not 200/206/304/412/416`);
  if (!r.complete) v.push('incomplete: the response did not end cleanly');
  const cl = Number(r.headers['content-length']);
  const full = c.method === 'GET' ? r : get;
  if (s === 206) {
    const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(r.headers['content-range']));
    if (!m) v.push(`206-content-range: ${String(r.headers['content-range'])}`);
    else {
      const [a, b, size] = [Number(m[1]), Number(m[2]), Number(m[3])];
      if (size !== file.size || a > b || b >= size) v.push(`206-content-range: ${m[0]} for a ${file.size}-byte file`);
      if (cl !== b - a + 1) v.push(`206-length: Content-Length ${cl} for ${m[0]}`);
      if (full && (full.body.length !== b - a + 1 || !full.body.equals(bytes.subarray(a, b + 1))))
        v.push(`206-body: ${full.body.length} bytes, not bytes ${a}-${b} of the file`);
    }
  }
  if (s === 200) {
    if (cl !== file.size) v.push(`200-length: Content-Length ${cl}, file ${file.size}`);
    if (full && full.status === 200 && !full.body.equals(bytes)) v.push(`200-body: ${full.body.length} bytes, not the whole file`);
  }
  if (s === 416 && r.headers['content-range'] !== `bytes */${file.size}`) v.push(`416-content-range: ${String(r.headers['content-range'])}`);
  if (s === 304 && r.body.length !== 0) v.push(`304-body: ${r.body.length} bytes`);
  if ([200, 206, 304].includes(s) && (r.headers.etag !== file.etag || r.headers['last-modified'] !== new Date(file.lastModified * 1000).toUTCString())) {
    v.push(`validators: ETag ${String(r.headers.etag)}, Last-Modified ${String(r.headers['last-modified'])}`);
  }
  if (c.method === 'HEAD' && get) {
    if (r.body.length !== 0) v.push(`head-body: ${r.body.length} bytes`);
    if (get.status !== s) v.push(`head-status: HEAD ${s}, GET ${get.status}`);
    else {
      const diff = headerDiff(r.headers, get.headers);
      if (diff.length > 0) v.push(`head-headers: ${diff.join('; ')}`);
    }
  }
  const now = Date.now();
  const allowed = allowedOutcomes(c, file, now);
  let got: Outcome = { status: s as 200 };
  if (s === 206) {
    const m = /^bytes (\d+)-(\d+)\//.exec(String(r.headers['content-range']));
    got = { status: 206, start: Number(m?.[1]), end: Number(m?.[2]) };
  }
  if (!allowed.some((o) => sameOutcome(o, got))) {
    // Name the known misreading (or pair of them) that explains the answer, else the statuses.
    const explained = explanations().find((d) => allowedOutcomes(c, file, now, d).some((o) => sameOutcome(o, got)));
    const kind = explained ? `[${Object.keys(explained).join(' + ')}]` : `${s} (model ${[...new Set(allowed.map((o) => o.status))].join('|')})`;
    v.push(`oracle ${kind}: got ${describeOutcome(got)}, model ${allowed.map(describeOutcome).join(' or ')}`);
  }
  return { status: s, violations: v, requests: get ? 2 : 1 };
}

/** Every single deviation, then every pair, then all of them. */
function explanations(): Deviations[] {
  const singles = DEVIATIONS.map((k): Deviations => ({ [k]: true }));
  const pairs = DEVIATIONS.flatMap((a, i) => DEVIATIONS.slice(i + 1).map((b): Deviations => ({ [a]: true, [b]: true })));
  return [...singles, ...pairs, Object.fromEntries(DEVIATIONS.map((k) => [k, true]))];
}

/** The part of a violation that names its kind. */
export const signatureOf = (violation: string): string => violation.slice(0, violation.indexOf(':'));
