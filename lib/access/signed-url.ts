/**
 * Signed download links: a station and file id, an expiry (unix seconds), a key id and an
 * HMAC-SHA256 signature, so a link works without a session until it expires. Verification is
 * strict and never throws: every bad input reads as a reason (`missing`, `malformed`, `expired`,
 * `unknown-key`, `bad-signature`) for logs; clients should only ever see a plain 403.
 *
 * What is signed is the JSON array `["station-files/signed-url/v1", station, file, expires]`
 * (UTF-8, `expires` as a JSON number). JSON quotes and escapes each string, so no two different
 * (station, file, expires) triples share a signed string: swapping station and file, or moving
 * characters from one field to the other, never verifies.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** One HMAC key. `id` goes into links (`kid`), so it must be URL-safe; `secret` never leaves the server. */
export interface SigningKey {
  /** 1 to 64 characters of `A-Z a-z 0-9 _ -`. */
  id: string;
  /** At least 32 bytes (a string counts its UTF-8 bytes). Random bytes, e.g. `openssl rand -base64 48`. */
  secret: string | Uint8Array;
}

/** Options for {@link createUrlSigner}. */
export interface UrlSignerOptions {
  /**
   * The keys, newest first: links are signed with the first key, and verified with whichever
   * listed key their `kid` names. To rotate, put the new key first and keep the old one listed
   * until the links it signed have expired (at most `maxExpiresIn`); then remove it.
   *
   * Bare strings are secrets whose id is derived from the secret itself: the first 8 hex digits
   * of SHA-256(`"station-files key id:" + secret`) (see {@link deriveKeyId}). Such ids do not
   * change when keys are added, removed or reordered, unlike list positions would.
   */
  keys: SigningKey[] | string[];
  /** Lifetime of a link when `sign()` is not given one, in seconds. @default 3600 (or `maxExpiresIn`, if shorter) */
  defaultExpiresIn?: number;
  /** The longest lifetime `sign()` accepts and `verify()` believes, in seconds. @default 604800 (7 days) */
  maxExpiresIn?: number;
  /** The clock, in milliseconds since the epoch (for tests). @default Date.now */
  now?: () => number;
}

/** What a signed link is about. */
export interface SignInput {
  station: string;
  file: string;
  /** Seconds from now; a whole number from 1 to `maxExpiresIn`. @default the signer's `defaultExpiresIn` */
  expiresIn?: number;
}

/** The signed parts of a link. */
export interface Signature {
  /** Expiry, unix seconds. */
  expires: number;
  keyId: string;
  /** HMAC-SHA256, base64url without padding (43 characters). */
  signature: string;
}

/** A link's parts as they arrived (query values are strings, or absent). */
export interface VerifyInput {
  station: string;
  file: string;
  expires: string | undefined;
  keyId: string | undefined;
  signature: string | undefined;
}

/** Why a link was refused. `expired` is only said of links whose signature is genuine. */
export type VerifyFailure = 'missing' | 'malformed' | 'expired' | 'unknown-key' | 'bad-signature';

export type VerifyResult = { ok: true } | { ok: false; reason: VerifyFailure };

/** Signs and verifies links; see {@link createUrlSigner}. */
export interface UrlSigner {
  sign(input: SignInput): Signature;
  verify(input: VerifyInput): VerifyResult;
}

/** The query parameters of a signed link, ready for `new URLSearchParams(...)` (a type alias, so it is a `Record<string, string>`). */
export type SignedQuery = {
  expires: string;
  kid: string;
  sig: string;
};

const VERSION = 'station-files/signed-url/v1';
const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;
const SIGNATURE = /^[A-Za-z0-9_-]{43}$/; // 32 bytes of HMAC-SHA256, base64url, no padding
const EXPIRES = /^(?:0|[1-9][0-9]{0,14})$/; // decimal, no sign, no leading zeros, a safe integer
const MIN_SECRET_BYTES = 32;

/**
 * The key id used for a bare-string secret: the first 8 hex digits of
 * SHA-256(`"station-files key id:" + secret`). Stable across reordering and rotation, and
 * reveals nothing useful about a secret of 32 or more random bytes.
 *
 * @example
 * deriveKeyId(process.env.LINK_SECRET!) // e.g. '3f9a0c12', the `kid` of links it signs
 */
export function deriveKeyId(secret: string | Uint8Array): string {
  return createHash('sha256').update('station-files key id:').update(secret).digest('hex').slice(0, 8);
}

function positiveSeconds(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(`createUrlSigner: \`${name}\` must be a whole number of seconds, at least 1`);
  }
  return value;
}

function normalizeOptions(options: UrlSignerOptions): {
  keys: Map<string, Buffer>;
  signingKeyId: string;
  defaultExpiresIn: number;
  maxExpiresIn: number;
  now: () => number;
} {
  if (!options || !Array.isArray(options.keys) || options.keys.length === 0) {
    throw new TypeError('createUrlSigner: `keys` must be a non-empty array of secrets or { id, secret } keys');
  }
  const keys = new Map<string, Buffer>();
  options.keys.forEach((key: SigningKey | string, index: number) => {
    const secret: unknown = typeof key === 'string' ? key : key?.secret;
    if (typeof secret !== 'string' && !(secret instanceof Uint8Array)) {
      throw new TypeError(`createUrlSigner: keys[${index}] must be a secret string or { id, secret }`);
    }
    const bytes = Buffer.from(secret);
    if (bytes.length < MIN_SECRET_BYTES) {
      throw new TypeError(`createUrlSigner: keys[${index}] secret is ${bytes.length} bytes; at least ${MIN_SECRET_BYTES} are required`);
    }
    const id: unknown = typeof key === 'string' ? deriveKeyId(secret) : key.id;
    if (typeof id !== 'string' || !KEY_ID.test(id)) {
      throw new TypeError(`createUrlSigner: keys[${index}].id must be 1 to 64 characters of A-Z a-z 0-9 _ -`);
    }
    if (keys.has(id)) throw new TypeError(`createUrlSigner: keys[${index}] repeats key id ${id} (the same key listed twice?)`);
    keys.set(id, bytes);
  });
  const maxExpiresIn = positiveSeconds('maxExpiresIn', options.maxExpiresIn, 7 * 24 * 3600);
  const defaultExpiresIn = positiveSeconds('defaultExpiresIn', options.defaultExpiresIn, Math.min(3600, maxExpiresIn));
  if (defaultExpiresIn > maxExpiresIn) {
    throw new TypeError(`createUrlSigner: \`defaultExpiresIn\` (${defaultExpiresIn}) must not exceed \`maxExpiresIn\` (${maxExpiresIn})`);
  }
  const { now = Date.now } = options;
  if (typeof now !== 'function') throw new TypeError('createUrlSigner: `now` must be a function returning milliseconds');
  const signingKeyId = keys.keys().next().value as string;
  return { keys, signingKeyId, defaultExpiresIn, maxExpiresIn, now };
}

/** The HMAC of one (station, file, expires) under one secret. */
function mac(secret: Buffer, station: string, file: string, expires: number): Buffer {
  return createHmac('sha256', secret)
    .update(JSON.stringify([VERSION, station, file, expires]), 'utf8')
    .digest();
}

/**
 * Creates a signer for download links. `sign()` returns the expiry, key id and signature for a
 * station's file; `verify()` checks them as they came back in a request, in constant time, and
 * answers `{ ok: true }` or the reason it refused; it never throws. Throws TypeError at
 * construction for weak secrets (under 32 bytes), bad key ids or bad lifetimes.
 *
 * @example
 * const signer = createUrlSigner({ keys: [{ id: '2026a', secret: process.env.LINK_SECRET! }] });
 * const { expires, keyId, signature } = signer.sign({ station: 'radio-1', file: 'ep-42', expiresIn: 600 });
 * signer.verify({ station: 'radio-1', file: 'ep-42', expires: String(expires), keyId, signature }); // { ok: true }
 */
export function createUrlSigner(options: UrlSignerOptions): UrlSigner {
  const { keys, signingKeyId, defaultExpiresIn, maxExpiresIn, now } = normalizeOptions(options);
  const nowSeconds = (): number => Math.floor(now() / 1000);

  function sign(input: SignInput): Signature {
    if (!input || typeof input.station !== 'string' || input.station === '' || typeof input.file !== 'string' || input.file === '') {
      throw new TypeError('urlSigner.sign: `station` and `file` must be non-empty strings');
    }
    const expiresIn = input.expiresIn ?? defaultExpiresIn;
    if (!Number.isSafeInteger(expiresIn) || expiresIn < 1 || expiresIn > maxExpiresIn) {
      throw new TypeError(`urlSigner.sign: \`expiresIn\` must be a whole number of seconds from 1 to ${maxExpiresIn}`);
    }
    const expires = nowSeconds() + expiresIn;
    const secret = keys.get(signingKeyId) as Buffer;
    return { expires, keyId: signingKeyId, signature: mac(secret, input.station, input.file, expires).toString('base64url') };
  }

  function verify(input: VerifyInput): VerifyResult {
    const { station, file, expires, keyId, signature } = input ?? ({} as Partial<VerifyInput>);
    if (isAbsent(expires) || isAbsent(keyId) || isAbsent(signature)) return { ok: false, reason: 'missing' };
    if (typeof station !== 'string' || station === '' || typeof file !== 'string' || file === '') return { ok: false, reason: 'malformed' };
    if (typeof expires !== 'string' || typeof keyId !== 'string' || typeof signature !== 'string') return { ok: false, reason: 'malformed' };
    if (!EXPIRES.test(expires) || !KEY_ID.test(keyId) || !SIGNATURE.test(signature)) return { ok: false, reason: 'malformed' };
    const given = Buffer.from(signature, 'base64url');
    // The last of 43 characters carries 4 bits of padding; only the canonical encoding is accepted.
    if (given.length !== 32 || given.toString('base64url') !== signature) return { ok: false, reason: 'malformed' };
    const expiresAt = Number(expires);
    const current = nowSeconds();
    if (expiresAt > current + maxExpiresIn) return { ok: false, reason: 'malformed' };
    const secret = keys.get(keyId);
    if (!secret) return { ok: false, reason: 'unknown-key' };
    const expected = mac(secret, station, file, expiresAt);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'bad-signature' };
    if (current >= expiresAt) return { ok: false, reason: 'expired' };
    return { ok: true };
  }

  return { sign, verify };
}

function isAbsent(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

/**
 * Signs a link and returns its query parameters (`expires`, `kid`, `sig`), ready for
 * `new URLSearchParams(...)` or to merge into an existing query. The station and file travel in
 * the path, not in these parameters.
 *
 * @example
 * const q = new URLSearchParams(signedQuery(signer, { station: 'radio-1', file: 'ep-42' }));
 * const url = `/stations/radio-1/episodes/ep-42/download?${q}`; // …?expires=1767225600&kid=2026a&sig=…
 */
export function signedQuery(signer: UrlSigner, input: SignInput): SignedQuery {
  const { expires, keyId, signature } = signer.sign(input);
  return { expires: String(expires), kid: keyId, sig: signature };
}

/** Stands for a repeated (`sig=a&sig=b`) or nested (`sig[x]=a`) parameter: matches no format, so verify says `malformed`. */
const INVALID_PARAM = '\u0000';

function queryValue(query: URLSearchParams | Readonly<Record<string, unknown>>, name: string): string | undefined {
  if (query instanceof URLSearchParams) {
    const all = query.getAll(name);
    if (all.length === 0) return undefined;
    return all.length === 1 ? all[0] : INVALID_PARAM;
  }
  if (!Object.hasOwn(query, name)) return undefined;
  const value = query[name];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : INVALID_PARAM;
}

/**
 * Reads the `expires`, `kid` and `sig` parameters back from a request's query (Express
 * `req.query`, a plain object or URLSearchParams), for `verify()`. Absent parameters read as
 * `undefined` (verify: `missing`); repeated or nested ones read as a value no format accepts
 * (verify: `malformed`), so parameter pollution never picks one of several values.
 *
 * @example
 * const result = signer.verify({ station: req.params.station, file: req.params.file, ...readSignedQuery(req.query) });
 * if (!result.ok) return res.sendStatus(403); // log result.reason
 */
export function readSignedQuery(query: URLSearchParams | Readonly<Record<string, unknown>> | null | undefined): {
  expires: string | undefined;
  keyId: string | undefined;
  signature: string | undefined;
} {
  if (query === null || query === undefined || typeof query !== 'object') {
    return { expires: undefined, keyId: undefined, signature: undefined };
  }
  return { expires: queryValue(query, 'expires'), keyId: queryValue(query, 'kid'), signature: queryValue(query, 'sig') };
}
