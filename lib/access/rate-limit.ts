/**
 * A per-IP limit on *new* downloads of public enclosures. A podcast app fetching one episode
 * sends a HEAD, a `bytes=0-1` probe and dozens of range requests: they all count as one
 * download of that episode, so only starting many different episodes hits the limit. Clients
 * are keyed by IPv4 address or IPv6 /64 (one subscriber's prefix), so rotating addresses inside
 * one /64 gives no fresh allowance.
 *
 * The state lives in a {@link LimitStore}: in process memory by default, or shared by several
 * app instances (`station-files/postgres`). A store that fails or is too slow lets the request
 * through (fail open) and the failure is reported: the limit guards against abuse of public
 * files, so an outage of its database must not become an outage of every podcast.
 */
import { truncateIp } from '../http/client-ip';
import { OptionsReader } from '../options/reader';

/** The limit a store applies: `max` different episodes per client per window of `windowMs`. */
export interface LimitRule {
  windowMs: number;
  max: number;
}

/** The limiter's decision. */
export type LimitDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

/**
 * Where the limit's state lives. `check` records `episode` for `client` (already an IPv4
 * address or an IPv6 /64) in the client's current window, unless the client is at `rule.max`
 * episodes already, and says whether the request may proceed.
 */
export interface LimitStore {
  check(client: string, episode: string, now: number, rule: LimitRule): LimitDecision | Promise<LimitDecision>;
}

/** Options for {@link createNewDownloadLimiter} (createStationFiles' `publicRateLimit`). */
export interface NewDownloadLimitOptions {
  /** Length of the window in milliseconds. @default 600000 (10 minutes) */
  windowMs?: number;
  /** Different episodes one IP may start per window. @default 60 */
  max?: number;
  /** The default memory store: IPs tracked at once (the oldest windows are dropped beyond it). @default 100000 */
  maxTracked?: number;
  /** Where the state lives. @default the process's memory (`memoryLimitStore({ maxTracked })`) */
  store?: LimitStore;
  /** A store answer slower than this counts as a failure: the request goes through. @default 2000 */
  storeTimeoutMs?: number;
}

/** A new-download limiter. */
export interface NewDownloadLimiter {
  /**
   * Records a request by `ip` (IPv6 counted by /64) for `episode` and says whether it may
   * proceed; synchronous with the memory store. Never rejects: a store failure is `{ ok: true }`.
   */
  check(ip: string, episode: string, now?: number): LimitDecision | Promise<LimitDecision>;
}

export const LIMIT_KEYS = ['windowMs', 'max', 'maxTracked', 'store', 'storeTimeoutMs'] as const;

/** Seconds until a window that ends at `end` is over, at least 1. */
export const secondsLeft = (end: number, now: number): number => Math.max(1, Math.ceil((end - now) / 1000));

/**
 * The default store: windows in this process's memory, at most `maxTracked` clients.
 *
 * @example
 * const store = memoryLimitStore({ maxTracked: 10_000 });
 * store.check('203.0.113.7', 'alpha/1/9', Date.now(), { windowMs: 600_000, max: 60 }); // { ok: true }
 */
export function memoryLimitStore(options: { maxTracked?: number } = {}): LimitStore {
  const maxTracked = OptionsReader.of('memoryLimitStore', options, ['maxTracked']).integer('maxTracked', { min: 1, max: 100_000_000 }, 100_000);
  const windows = new Map<string, { start: number; episodes: Set<string> }>();
  return {
    check(client, episode, now, { windowMs, max }) {
      let w = windows.get(client);
      if (!w || now - w.start >= windowMs) {
        windows.delete(client);
        w = { start: now, episodes: new Set() };
        if (windows.size >= maxTracked) {
          const oldest = windows.keys().next();
          if (!oldest.done) windows.delete(oldest.value);
        }
        windows.set(client, w);
      }
      if (w.episodes.has(episode)) return { ok: true };
      if (w.episodes.size >= max) return { ok: false, retryAfterSeconds: secondsLeft(w.start + windowMs, now) };
      w.episodes.add(episode);
      return { ok: true };
    },
  };
}

/** The limiter's settings, read once. */
export interface NormalizedLimit {
  rule: LimitRule;
  store: LimitStore;
  storeTimeoutMs: number;
}

/**
 * Reads {@link NewDownloadLimitOptions} with the reader's factory and path in every message.
 *
 * @example
 * readNewDownloadLimit(OptionsReader.of('createStationFiles', options, KEYS).nested('publicRateLimit', LIMIT_KEYS));
 */
export function readNewDownloadLimit(o: OptionsReader): NormalizedLimit {
  const rule = { windowMs: o.integer('windowMs', { min: 1, max: 2_147_483_647 }, 600_000), max: o.integer('max', { min: 1, max: 1_000_000 }, 60) };
  const maxTracked = o.optionalInteger('maxTracked', { min: 1, max: 100_000_000 });
  const given = o.raw('store');
  if (given !== undefined && typeof (given as Partial<LimitStore> | null)?.check !== 'function')
    o.fail('store', 'a store with check(client, episode, now, rule)');
  if (given !== undefined && maxTracked !== undefined) o.fail('maxTracked', 'left out with a `store` (it sizes the default memory store)');
  return {
    rule,
    store: (given as LimitStore | undefined) ?? memoryLimitStore({ maxTracked }),
    storeTimeoutMs: o.integer('storeTimeoutMs', { min: 1, max: 600_000 }, 2000),
  };
}

/**
 * A limiter over settings read by {@link readNewDownloadLimit}; `onStoreError` hears every store
 * failure or timeout (the request was let through).
 *
 * @example
 * const limiter = limiterWith(readNewDownloadLimit(reader), (err) => log.warn(err.message));
 */
export function limiterWith(settings: NormalizedLimit, onStoreError: (err: Error) => void): NewDownloadLimiter {
  const { rule, store, storeTimeoutMs } = settings;
  const failOpen = (err: unknown): LimitDecision => {
    onStoreError(err instanceof Error ? err : new Error(String(err)));
    return { ok: true };
  };
  return {
    check(ip, episode, now = Date.now()) {
      let answer: LimitDecision | Promise<LimitDecision>;
      try {
        answer = store.check(truncateIp(ip), episode, now, rule);
      } catch (err) {
        return failOpen(err);
      }
      if (!(answer instanceof Promise)) return answer;
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`publicRateLimit store: no answer within ${storeTimeoutMs} ms`)), storeTimeoutMs);
      });
      return Promise.race([answer, late])
        .then((d) => d, failOpen)
        .finally(() => clearTimeout(timer));
    },
  };
}

/**
 * Creates the limiter on its own (createStationFiles makes one from `publicRateLimit`); state
 * in memory unless a `store` is given.
 *
 * @example
 * const limiter = createNewDownloadLimiter({ windowMs: 600_000, max: 60 });
 * limiter.check('203.0.113.7', 'station-a/podcast-1/episode-9'); // { ok: true }
 */
export function createNewDownloadLimiter(options: NewDownloadLimitOptions = {}, onStoreError: (err: Error) => void = () => {}): NewDownloadLimiter {
  return limiterWith(readNewDownloadLimit(OptionsReader.of('createNewDownloadLimiter', options, LIMIT_KEYS, 'publicRateLimit.')), onStoreError);
}
