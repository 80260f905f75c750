/**
 * planResponse: the whole HTTP decision for one GET or HEAD of one file, as data. No I/O:
 * request headers and object metadata in, status + headers + byte range out. Every delivery
 * mode (stream, nginx hand-off, redirect) executes the same plan, and HEAD never opens a stream.
 */
import type { ByteRange, ObjectMeta } from './types';
import { evaluatePreconditions, headerText, ifRangeAllows, type Validators } from './conditional';
import { contentDisposition, inlineAllowed, type DispositionType } from './disposition';
import { chooseContentType } from './content-type';
import { contentRange, decideRange } from './range';

/** The parts of a request the plan reads. */
export interface PlanRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
}

/** What the plan needs to know beyond the object's metadata. */
export interface PlanOptions {
  /** Filename for Content-Disposition (and the extension-based Content-Type). */
  filename: string;
  /** Explicit Content-Type; wins over the extension and the storage's. */
  contentType?: string;
  /** `attachment` (download) or `inline` (play in the browser; only types that cannot script, see inlineAllowed). */
  disposition: DispositionType;
  /** Cache-Control for the file's responses. */
  cacheControl: string;
  /** How many ranges one request may name before the header is ignored (they must coalesce to one). */
  maxRanges: number;
}

/** Response headers as a plain object, ready for `res.writeHead`. */
export type PlanHeaders = Record<string, string>;

/** The decision for one request: a discriminated union on `kind`. */
export type ResponsePlan =
  | { kind: 'full'; status: 200; headers: PlanHeaders; range: null; length: number }
  | { kind: 'partial'; status: 206; headers: PlanHeaders; range: ByteRange; length: number }
  | { kind: 'not-modified'; status: 304; headers: PlanHeaders; range: null; length: 0 }
  | { kind: 'precondition-failed'; status: 412; headers: PlanHeaders; range: null; length: 0 }
  | { kind: 'range-not-satisfiable'; status: 416; headers: PlanHeaders; range: null; length: 0 };

/**
 * The Content-Security-Policy of every file response: a file opened as a document runs no
 * script, loads nothing and gets an opaque origin, whatever its type.
 */
export const FILE_CSP = "sandbox; default-src 'none'";

/** Headers of every short error reply (412, 416, and the delivery's 4xx/5xx): never cached, never sniffed, never scripted. */
export const ERROR_HEADERS: Readonly<PlanHeaders> = {
  'Cache-Control': 'no-store',
  'Content-Type': 'text/plain; charset=utf-8',
  'Content-Security-Policy': FILE_CSP,
  'X-Content-Type-Options': 'nosniff',
};

/** HTTP-date of a Date, at the one-second precision HTTP dates have. */
export function httpDate(date: Date): string {
  return new Date(Math.floor(date.getTime() / 1000) * 1000).toUTCString();
}

/**
 * Plans the response to a GET or HEAD of a file whose metadata is known, following RFC 9110:
 * preconditions (13.2.2), then If-Range (13.1.5), then Range (14.2). The result carries every
 * header to send; `range` is what to read from storage (`null` = the whole object or nothing).
 *
 * @example
 * const plan = planResponse(
 *   { method: 'GET', headers: { range: 'bytes=0-1' } },
 *   { size: 1000, mtime: new Date(), etag: '"5f-3e8"' },
 *   { filename: 'show.mp3', disposition: 'inline', cacheControl: 'private, no-cache', maxRanges: 1 },
 * );
 * // plan.kind === 'partial', plan.headers['Content-Range'] === 'bytes 0-1/1000'
 */
export function planResponse(request: PlanRequest, meta: ObjectMeta, options: PlanOptions): ResponsePlan {
  const validators: Validators = { etag: meta.etag, lastModified: meta.mtime };
  const identity: PlanHeaders = {
    ETag: meta.etag,
    'Last-Modified': httpDate(meta.mtime),
    'Cache-Control': options.cacheControl,
  };
  const precondition = evaluatePreconditions(request.headers, validators);
  if (precondition === 'not-modified') {
    // RFC 9110 15.4.5: the validators and Cache-Control a 200 would carry, no content headers.
    return { kind: 'not-modified', status: 304, headers: identity, range: null, length: 0 };
  }
  if (precondition === 'precondition-failed') {
    return { kind: 'precondition-failed', status: 412, headers: ERROR_HEADERS, range: null, length: 0 };
  }

  const contentType = chooseContentType({ explicit: options.contentType, filename: options.filename, stored: meta.contentType });
  // `inline` only for types that cannot script; the sandbox CSP covers a browser that renders anyway.
  const disposition = options.disposition === 'inline' && inlineAllowed(contentType) ? 'inline' : 'attachment';
  const representation: PlanHeaders = {
    ...identity,
    'Accept-Ranges': 'bytes',
    'Content-Type': contentType,
    'Content-Disposition': contentDisposition(options.filename, disposition),
    'Content-Security-Policy': FILE_CSP,
    'X-Content-Type-Options': 'nosniff',
  };
  const full = (): ResponsePlan => ({
    kind: 'full',
    status: 200,
    headers: { ...representation, 'Content-Length': String(meta.size) },
    range: null,
    length: meta.size,
  });

  const rangeHeader = headerText(request.headers.range);
  if (rangeHeader === undefined) return full();
  const ifRange = headerText(request.headers['if-range']);
  if (ifRange !== undefined && !ifRangeAllows(ifRange, validators)) return full();

  const decision = decideRange(rangeHeader, meta.size, options.maxRanges);
  switch (decision.kind) {
    case 'none':
    case 'ignored':
      return full();
    case 'unsatisfiable':
      return {
        kind: 'range-not-satisfiable',
        status: 416,
        headers: { ...ERROR_HEADERS, 'Accept-Ranges': 'bytes', 'Content-Range': contentRange(null, meta.size) },
        range: null,
        length: 0,
      };
    case 'satisfiable': {
      const length = decision.range.end - decision.range.start + 1;
      return {
        kind: 'partial',
        status: 206,
        headers: {
          ...representation,
          'Content-Range': contentRange(decision.range, meta.size),
          'Content-Length': String(length),
        },
        range: decision.range,
        length,
      };
    }
  }
}
