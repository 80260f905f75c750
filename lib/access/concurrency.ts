/**
 * A per-client cap on downloads in flight at once. Clients that open many downloads and read
 * them slowly (or not at all) would otherwise hold sockets, file descriptors, S3 connections
 * and buffers without bound; past the cap a new download is refused with 429 at once.
 */
import { truncateIp } from '../http/client-ip';

/** Options for {@link createConcurrencyLimit}. */
export interface ConcurrencyLimitOptions {
  /** Downloads one client (an IPv4 address, or an IPv6 /64) may have in flight at once. @default 16 */
  perClient?: number;
  /** `Retry-After` seconds sent with the 429. @default 5 */
  retryAfterSeconds?: number;
}

/** A concurrency cap keyed by client address. */
export interface ConcurrencyLimit {
  /** Takes a slot for `ip`: a release function (call it once, when the response is over), or null when the client is at its cap. */
  acquire(ip: string): (() => void) | null;
  /** Downloads in flight for `ip` (IPv6 counted by /64). */
  inFlight(ip: string): number;
  readonly retryAfterSeconds: number;
}

function whole(name: string, value: number | undefined, fallback: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1 || v > max) throw new TypeError(`concurrentDownloads.${name} must be a whole number from 1 to ${max}`);
  return v;
}

/**
 * Creates the cap; validated once. Counts live in process memory (one count per client with
 * downloads in flight, removed when its last download ends).
 *
 * @example
 * const cap = createConcurrencyLimit({ perClient: 16 });
 * const release = cap.acquire(req.socket.remoteAddress ?? '');
 * if (!release) return res.writeHead(429, { 'Retry-After': String(cap.retryAfterSeconds) }).end();
 * res.once('close', release);
 */
export function createConcurrencyLimit(options: ConcurrencyLimitOptions = {}): ConcurrencyLimit {
  if (typeof options !== 'object' || options === null) throw new TypeError('concurrentDownloads must be an object or false');
  const perClient = whole('perClient', options.perClient, 16, 100_000);
  const retryAfterSeconds = whole('retryAfterSeconds', options.retryAfterSeconds, 5, 3600);
  const counts = new Map<string, number>();
  return {
    retryAfterSeconds,
    inFlight: (ip) => counts.get(truncateIp(ip)) ?? 0,
    acquire(ip) {
      const key = truncateIp(ip);
      const n = counts.get(key) ?? 0;
      if (n >= perClient) return null;
      counts.set(key, n + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (counts.get(key) ?? 1) - 1;
        if (left <= 0) counts.delete(key);
        else counts.set(key, left);
      };
    },
  };
}
