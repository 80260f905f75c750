/**
 * Password hashing with scrypt (memory-hard: 2^15 × 8 × 128 bytes = 32 MiB per hash), from node:crypto.
 *
 * node:crypto runs scrypt on libuv's thread pool (4 threads by default), the same pool that runs
 * the file system calls file delivery needs (open, stat, realpath). So at most
 * `HASH_CONCURRENCY` hashes run at once and the rest wait in a queue here, in JavaScript, holding
 * no thread; a queue longer than `HASH_QUEUE` is refused (`HashBusyError`) instead of growing
 * without bound under a login flood from many addresses.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const N = 2 ** 15;
const r = 8;
const p = 1;
const KEYLEN = 32;

/** Hashes running at once (libuv's pool has 4 threads; the other 2 stay free for file I/O). */
export const HASH_CONCURRENCY = 2;
/** Hashes that may wait for a slot; past that, `HashBusyError`. */
export const HASH_QUEUE = 64;

/** Too many password checks waiting: answer 429 with Retry-After. */
export class HashBusyError extends Error {
  constructor() {
    super('too many password checks in progress');
    this.name = 'HashBusyError';
  }
}

let active = 0;
let peak = 0;
let started = 0;
const waiting: (() => void)[] = [];

/** Counters for tests and diagnostics: hashes running now, the most ever at once, and how many ran. */
export const hashStats = (): { active: number; peak: number; started: number; waiting: number } => ({ active, peak, started, waiting: waiting.length });
export function resetHashPeak(): void {
  peak = active;
}

async function withSlot<T>(fn: () => Promise<T>): Promise<T> {
  if (active >= HASH_CONCURRENCY) {
    if (waiting.length >= HASH_QUEUE) throw new HashBusyError();
    // Woken with the slot of a finished hash: `active` already counts this one.
    await new Promise<void>((resolve) => waiting.push(resolve));
  } else {
    active++;
  }
  peak = Math.max(peak, active);
  started++;
  try {
    return await fn();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else active--;
  }
}

function scrypt(password: string, salt: Buffer, opts: ScryptOptions): Promise<Buffer> {
  return withSlot(
    () =>
      new Promise((resolve, reject) =>
        scryptCb(password, salt, KEYLEN, { ...opts, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))),
      ),
  );
}

/** `scrypt$N$r$p$salt$hash` (base64url parts). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, { N, r, p });
  return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/**
 * A stored hash with the same parameters as real ones and random bytes that no password yields:
 * checked against for unknown emails, so they take the same time as known ones.
 */
export const DUMMY_HASH = ['scrypt', N, r, p, randomBytes(16).toString('base64url'), randomBytes(KEYLEN).toString('base64url')].join('$');

/** Constant-time check of a password against a stored hash; false for malformed hashes. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, rr, pp, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !rr || !pp || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await scrypt(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(rr), p: Number(pp) });
  return key.length === expected.length && timingSafeEqual(key, expected);
}
