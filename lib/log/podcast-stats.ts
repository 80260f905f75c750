/**
 * Podcast download counts from DownloadEvents after the IAB Tech Lab Podcast Technical Measurement
 * Guidelines v2.3 (§ numbers are v2.3's). Pure. Not done, as they need outside data: data-centre/VPN/
 * excessive-IP lists and referrer checks (§5.5.2 Step 1.2 items 1-3).
 */
import { isbot } from 'isbot';
import { truncateIp } from '../http/client-ip';
import type { DownloadEvent } from './events';

export { truncateIp };

/** How one listener's downloads are de-duplicated in time (§5.5.1 Measurement Windows). */
export type PodcastWindow = 'utc-day' | 'rolling-24h';

export interface PodcastCountOptions {
  /**
   * `utc-day` (default): §5.5.1's calendar-day window, reset at 00:00 UTC, so daily figures add up.
   * `rolling-24h`: §5.5.1's "first touch" window, 24 h from a download's first request.
   */
  window?: PodcastWindow;
  /** Bytes a listener must get within one window (§5.5.3); capped at the file size. Default 960000. */
  minBytes?: number;
  /** User agents to treat as bots besides isbot's list (§5.5.2 Step 1.2 item 5). */
  extraBotPatterns?: readonly RegExp[];
  /** Players exempt from isbot (not from extraBotPatterns); default PODCAST_PLAYER_USER_AGENTS. */
  allowUserAgentPatterns?: readonly RegExp[];
}

/** Counted downloads of one episode (`episode` is the events' fileId). */
export interface PodcastDownloadCount {
  station: string | null;
  episode: string;
  downloads: number;
  /** Distinct listener keys (truncated IP + user agent, §6.2) with a download, over all days. */
  listeners: number;
  /** Downloads by the UTC date (`YYYY-MM-DD`) on which each download's window starts. */
  byDay: Record<string, number>;
}

/** One minute of audio at 128 kbit/s: the §5.5.3 threshold when bitrate and ID3 size are unknown. */
export const DEFAULT_MIN_BYTES = (128_000 / 8) * 60;

/**
 * Players that isbot 5 calls bots but the OPAWG user-agents list names listener apps (§5.4.1, valid
 * traffic mistaken for IVT). Their crawlers (`PocketCasts/1.0 (Pocket Casts Feed Parser; ...)`) stay bots.
 */
export const PODCAST_PLAYER_USER_AGENTS: readonly RegExp[] = [
  /^Overcast\/[23]/, /^AntennaPod\//, /^Pocket Casts/, /^Podcast.*Addict\//,
  /^Podbean\/(?:Android|iOS)/, /^Podkicker/, /^NPROneAndroid/,
];

/** Paired Apple Watch duplicates (§5.5.2 Step 1.2 item 7, §8.1): always filtered. */
const APPLE_WATCH = /^atc\/.*watchOS|\(null\)\/\(null\) watchOS/i;
/** `Range: bytes=0-1` probes (and 0-0) are never a download (§5.5.2 Step 1.2 item 6). */
const PROBE = /^\s*bytes\s*=\s*0\s*-\s*[01]\s*$/i;
const DAY_MS = 86_400_000;
const OPTION_KEYS = new Set(['window', 'minBytes', 'extraBotPatterns', 'allowUserAgentPatterns']);

/** [start, end) byte offsets; end is Infinity when the file size is unknown. */
type Span = [number, number];
interface Request { at: number; spans: Span[]; size: number | null }
interface Settings { window: PodcastWindow; minBytes: number; extra: RegExp[]; allow: RegExp[] }

/**
 * The listener identity of §5.5.4 Scenario 1 and §6.2 ("IP + UA"): truncateIp(ip), a space, then the user
 * agent as sent ('' when absent); unambiguous, as a truncated IP has no space. Hash it if keys leave the process.
 * @example
 * listenerKey('2001:db8:1:2::99', 'AppleCoreMedia/1.0.0.21A329 (iPhone; ...)');
 * // '2001:db8:1:2::/64 AppleCoreMedia/1.0.0.21A329 (iPhone; ...)'
 */
export function listenerKey(ip: string, userAgent: string | null): string {
  return `${truncateIp(ip)} ${userAgent ?? ''}`;
}

function invalid(message: string): never {
  throw new TypeError(`podcast stats: ${message}`);
}

function patternList(value: unknown, name: string): RegExp[] {
  if (!Array.isArray(value) || !value.every((r): r is RegExp => r instanceof RegExp)) invalid(`${name} must be an array of RegExp`);
  // Stateless copies: `g` and `y` make test() depend on lastIndex; sticky at index 0 is `^` (a UA has no newline).
  return value.map((r) => new RegExp(r.sticky ? `^(?:${r.source})` : r.source, r.flags.replace(/[gy]/g, '')));
}

function settings(options: PodcastCountOptions = {}): Settings {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) invalid('options must be an object');
  const unknown = Object.keys(options).find((key) => !OPTION_KEYS.has(key));
  if (unknown !== undefined) invalid(`unknown option "${unknown}"`);
  const { window = 'utc-day', minBytes = DEFAULT_MIN_BYTES, extraBotPatterns = [], allowUserAgentPatterns = PODCAST_PLAYER_USER_AGENTS } = options;
  if (window !== 'utc-day' && window !== 'rolling-24h') invalid(`window must be 'utc-day' or 'rolling-24h', got ${String(window)}`);
  if (!Number.isSafeInteger(minBytes) || minBytes < 1) invalid(`minBytes must be a positive integer, got ${String(minBytes)}`);
  return { window, minBytes, extra: patternList(extraBotPatterns, 'extraBotPatterns'), allow: patternList(allowUserAgentPatterns, 'allowUserAgentPatterns') };
}

/** §5.5.2 Step 1.2 items 5 and 7: self-declared bots and Apple Watch duplicates. */
function isBot(userAgent: string, s: Settings): boolean {
  if (APPLE_WATCH.test(userAgent) || s.extra.some((r) => r.test(userAgent))) return true;
  return !s.allow.some((r) => r.test(userAgent)) && isbot(userAgent);
}

/** The spans a Range header asks for, clipped to the file; suffix ranges need a known size. */
function requestedSpans(range: string, size: number | null): Span[] {
  const spans: Span[] = [];
  for (const part of /^\s*bytes\s*=(.*)$/i.exec(range)?.[1]?.split(',') ?? []) {
    const [, first = '', last = ''] = /^\s*(\d*)\s*-\s*(\d*)\s*$/.exec(part) ?? [];
    const span: Span = first !== '' ? [Number(first), last === '' ? size ?? Infinity : Math.min(Number(last) + 1, size ?? Infinity)]
      : last !== '' && size !== null ? [Math.max(0, size - Number(last)), size] : [0, 0];
    if (span[0] < span[1]) spans.push(span);
  }
  return spans;
}

/**
 * What a request delivered (§5.5.2 Step 1.3 item 2): a 200 is the whole file (even if it ignored a Range), a 206
 * the ranges asked; of that, the first `bytesSent` bytes (multipart boundaries count, a negligible excess), or
 * all of it when nginx sent the body (bytesSent null).
 */
function deliveredSpans(e: DownloadEvent): Span[] {
  const asked = e.status === 206 && e.range !== null ? requestedSpans(e.range, e.size) : [[0, e.size ?? Infinity] as Span];
  if (e.bytesSent === null) return asked;
  let left = e.bytesSent;
  return asked.flatMap(([start, end]): Span[] => {
    const n = Math.min(left, end - start);
    left -= n;
    return n > 0 ? [[start, start + n]] : [];
  });
}

/** The union of the spans, sorted and merged: overlapping and repeated bytes count once. */
function union(spans: Span[]): Span[] {
  const merged: Span[] = [];
  for (const [start, end] of [...spans].sort((a, b) => a[0] - b[0])) {
    const last = merged[merged.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

/**
 * Start times of one listener's downloads of one episode. A request outside a counted download opens a window
 * (UTC day or 24 h) whose requests' bytes are united ("reassembling requests", §5.5.2 Step 1.3 item 2b); it counts
 * once they reach the threshold (§5.5.3). Later requests in it are that download (§5.5.4 Scenario 2, play-pause-play).
 */
function downloadStarts(requests: Request[], s: Settings): number[] {
  const windowEnd = (t: number): number => (s.window === 'utc-day' ? Math.floor(t / DAY_MS) * DAY_MS : t) + DAY_MS;
  const starts: number[] = [];
  let countedUntil = -Infinity;
  let open: { start: number; end: number; spans: Span[]; size: number | null } | null = null;
  for (const r of [...requests].sort((a, b) => a.at - b.at)) {
    if (r.at < countedUntil) continue;
    if (!open || r.at >= open.end) open = { start: r.at, end: windowEnd(r.at), spans: [], size: null };
    open.spans = union([...open.spans, ...r.spans]); // stays short: a player's ranges merge as they come
    if (r.size !== null) open.size = Math.max(open.size ?? 0, r.size);
    if (open.spans.reduce((n, [a, b]) => n + b - a, 0) >= Math.min(s.minBytes, open.size ?? Infinity)) {
      starts.push(open.start);
      countedUntil = open.end;
      open = null;
    }
  }
  return starts;
}

/**
 * Counts podcast downloads per (station, episode) by the IAB v2.3 process. Filter (§5.5.2): episode kinds; GET
 * answered 200/206, completed or aborted (no HEAD, 304, refusal); no `bytes=0-1` probes, bots (isbot,
 * `extraBotPatterns`) or Apple Watch duplicates. Threshold (§5.5.3): a listener's united bytes in a window reach
 * `minBytes` or the whole file. Uniques (§5.5.4, §5.5.1): truncated IP + user agent, once per UTC day by default.
 * Events come in any order; a bad `at` or no fileId skips one; episodes without downloads are omitted; sorted by
 * station (null first), then episode. Throws a TypeError for invalid options.
 * @example
 * countPodcastDownloads(events, { window: 'rolling-24h' });
 * // [{ station: 'radio-a', episode: 'ep-12', downloads: 3, listeners: 2, byDay: { '2024-05-01': 2, '2024-05-02': 1 } }]
 */
export function countPodcastDownloads(events: Iterable<DownloadEvent>, options?: PodcastCountOptions): PodcastDownloadCount[] {
  const s = settings(options);
  const bots = new Map<string, boolean>();
  const episodes = new Map<string, { station: string | null; episode: string; listeners: Map<string, Request[]> }>();
  for (const e of events) {
    if ((e.kind !== 'episode' && e.kind !== 'public-episode') || e.fileId === null || e.method !== 'GET') continue;
    if ((e.outcome !== 'completed' && e.outcome !== 'aborted') || (e.status !== 200 && e.status !== 206)) continue;
    const at = Date.parse(e.at);
    if (Number.isNaN(at) || (e.range !== null && PROBE.test(e.range))) continue;
    const ua = e.userAgent ?? '';
    if (!bots.has(ua)) bots.set(ua, isBot(ua, s));
    if (bots.get(ua) === true) continue;
    const id = JSON.stringify([e.station, e.fileId]);
    const episode = episodes.get(id) ?? { station: e.station, episode: e.fileId, listeners: new Map<string, Request[]>() };
    episodes.set(id, episode);
    const key = listenerKey(e.ip, e.userAgent);
    const requests = episode.listeners.get(key) ?? [];
    requests.push({ at, spans: deliveredSpans(e), size: e.size });
    episode.listeners.set(key, requests);
  }
  const counts: PodcastDownloadCount[] = [];
  for (const { station, episode, listeners } of episodes.values()) {
    const perListener = [...listeners.values()].map((requests) => downloadStarts(requests, s)).filter((t) => t.length > 0);
    const starts = perListener.flat().sort((a, b) => a - b);
    if (starts.length === 0) continue;
    const byDay: Record<string, number> = {};
    for (const day of starts.map((t) => new Date(t).toISOString().slice(0, 10))) byDay[day] = (byDay[day] ?? 0) + 1;
    counts.push({ station, episode, downloads: starts.length, listeners: perListener.length, byDay });
  }
  const order = (a: string | null, b: string | null): number => (a === b ? 0 : a === null || (b !== null && a < b) ? -1 : 1);
  return counts.sort((a, b) => order(a.station, b.station) || order(a.episode, b.episode));
}
