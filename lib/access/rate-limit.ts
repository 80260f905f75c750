/**
 * A per-IP limit on *new* downloads of public enclosures. A podcast app fetching one episode
 * sends a HEAD, a `bytes=0-1` probe and dozens of range requests: they all count as one
 * download of that episode, so only starting many different episodes hits the limit. Clients
 * are keyed by IPv4 address or IPv6 /64 (one subscriber's prefix), so rotating addresses inside
 * one /64 gives no fresh allowance.
 */
import { truncateIp } from '../http/client-ip';

/** Options for {@link createNewDownloadLimiter}. */
export interface NewDownloadLimitOptions {
  /** Length of the window in milliseconds. @default 600000 (10 minutes) */
  windowMs?: number;
  /** Different episodes one IP may start per window. @default 60 */
  max?: number;
  /** IPs tracked at once (the oldest windows are dropped beyond it). @default 100000 */
  maxTracked?: number;
}

/** The limiter's decision. */
export type LimitDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

/** A new-download limiter. */
export interface NewDownloadLimiter {
  /** Records a request by `ip` (IPv6 counted by /64) for `episode` and says whether it may proceed. */
  check(ip: string, episode: string, now?: number): LimitDecision;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1) throw new TypeError(`publicRateLimit.${name} must be a positive integer`);
  return v;
}

/**
 * Creates the limiter; state is in memory, per process.
 *
 * @example
 * const limiter = createNewDownloadLimiter({ windowMs: 600_000, max: 60 });
 * limiter.check('203.0.113.7', 'station-a/podcast-1/episode-9'); // { ok: true }
 */
export function createNewDownloadLimiter(options: NewDownloadLimitOptions = {}): NewDownloadLimiter {
  const windowMs = positive('windowMs', options.windowMs, 600_000);
  const max = positive('max', options.max, 60);
  const maxTracked = positive('maxTracked', options.maxTracked, 100_000);
  const windows = new Map<string, { start: number; episodes: Set<string> }>();
  return {
    check(address, episode, now = Date.now()) {
      const ip = truncateIp(address);
      let w = windows.get(ip);
      if (!w || now - w.start >= windowMs) {
        windows.delete(ip);
        w = { start: now, episodes: new Set() };
        if (windows.size >= maxTracked) {
          const oldest = windows.keys().next();
          if (!oldest.done) windows.delete(oldest.value);
        }
        windows.set(ip, w);
      }
      if (w.episodes.has(episode)) return { ok: true };
      if (w.episodes.size >= max) return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((w.start + windowMs - now) / 1000)) };
      w.episodes.add(episode);
      return { ok: true };
    },
  };
}
