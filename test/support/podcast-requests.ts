// Realistic DownloadEvent sequences for podcast statistics tests: what real players send to an
// episode URL (user agents as seen in podcast hosts' logs; request patterns as the apps behave).
import type { DownloadEvent } from '../../lib/log/events';

export const UA = {
  appleCoreMedia: 'AppleCoreMedia/1.0.0.21A329 (iPhone; U; CPU OS 17_0 like Mac OS X; en_us)',
  spotify: 'Spotify/8.8.96 iOS/17.0 (iPhone15,2)',
  chrome: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  firefox: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:120.0) Gecko/20100101 Firefox/120.0',
  applePodcasts: 'Podcasts/1650.20 CFNetwork/1408.0.4 Darwin/22.5.0',
  overcast: 'Overcast/3.0 (+http://overcast.fm/; iOS podcast app)',
  pocketCastsFeedParser: 'PocketCasts/1.0 (Pocket Casts Feed Parser; +http://pocketcasts.com/)',
  googlebot: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  bingbot: 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
  curl: 'curl/8.4.0',
  appleWatch: 'atc/1.0 watchOS/10.0 model/Watch6,1 hwp/t8301 build/21R356 (6; dt:272)',
} as const;

export const MB = 1024 * 1024;
/** A 50 MB episode: about 52 minutes at 128 kbit/s. */
export const EPISODE_SIZE = 50 * MB;

let seq = 0;

/** One completed episode GET by an iPhone, with every field overridable. */
export function episodeEvent(overrides: Partial<DownloadEvent> = {}): DownloadEvent {
  seq += 1;
  return {
    id: `req-${seq}`,
    correlationId: null,
    authenticated: false,
    via: 'public',
    reason: null,
    linkSubject: null,
    ids: {},
    served: null,
    stationExists: true,
    at: '2024-05-01T08:00:00.000Z',
    outcome: 'completed',
    status: 200,
    station: 'radio-a',
    user: null,
    kind: 'public-episode',
    fileId: 'ep-1',
    storage: 'local',
    delivery: 'stream',
    method: 'GET',
    range: null,
    bytesSent: EPISODE_SIZE,
    size: EPISODE_SIZE,
    durationMs: 1200,
    ip: '203.0.113.5',
    userAgent: UA.chrome,
    referer: null,
    ...overrides,
  };
}

/** `at` plus `seconds`, as an ISO string. */
export function after(at: string, seconds: number): string {
  return new Date(Date.parse(at) + seconds * 1000).toISOString();
}

/** A 206 for `bytes=start-end` (end inclusive; null: open-ended) of which `sent` bytes went out. */
export function rangeEvent(at: string, start: number, end: number | null, sent: number | null, overrides: Partial<DownloadEvent> = {}): DownloadEvent {
  const last = end ?? EPISODE_SIZE - 1;
  const full = sent === null || sent === last - start + 1;
  return episodeEvent({
    at, status: 206, range: `bytes=${start}-${end ?? ''}`, bytesSent: sent,
    outcome: full ? 'completed' : 'aborted', ...overrides,
  });
}

/**
 * AVPlayer (AppleCoreMedia) streaming an episode: a HEAD, the 2-byte probe, `bytes=0-` dropped
 * after ~2 MB, then forward ranges as playback proceeds (one every few seconds, not all at once).
 */
export function appleCoreMediaSession(at: string, overrides: Partial<DownloadEvent> = {}): DownloadEvent[] {
  const o = { userAgent: UA.appleCoreMedia, ...overrides };
  return [
    episodeEvent({ at, method: 'HEAD', bytesSent: 0, ...o }),
    rangeEvent(after(at, 1), 0, 1, 2, o),
    rangeEvent(after(at, 2), 0, null, 2 * MB + 17, o),
    rangeEvent(after(at, 40), 2 * MB, 4 * MB - 1, 2 * MB, o),
    rangeEvent(after(at, 160), 4 * MB, 8 * MB - 1, 4 * MB, o),
  ];
}

/** Spotify fetching a whole episode in sequential 10 MB ranges (the last one shorter). */
export function spotifyChunks(at: string, overrides: Partial<DownloadEvent> = {}): DownloadEvent[] {
  const chunk = 10 * MB;
  const events: DownloadEvent[] = [];
  for (let start = 0, i = 0; start < EPISODE_SIZE; start += chunk, i += 1) {
    const end = Math.min(start + chunk, EPISODE_SIZE) - 1;
    events.push(rangeEvent(after(at, i * 3), start, end, end - start + 1, { userAgent: UA.spotify, ...overrides }));
  }
  return events;
}

/** A browser downloading the whole file with a plain GET (200, every byte sent). */
export function browserFullGet(at: string, overrides: Partial<DownloadEvent> = {}): DownloadEvent {
  return episodeEvent({ at, userAgent: UA.chrome, ...overrides });
}

/** An nginx X-Accel-Redirect hand-off: nginx sent the body, so bytesSent is null. */
export function nginxHandoff(at: string, range: string | null, overrides: Partial<DownloadEvent> = {}): DownloadEvent {
  return episodeEvent({
    at, delivery: 'accel', bytesSent: null, range, status: range === null ? 200 : 206, durationMs: 3,
    userAgent: UA.applePodcasts, ...overrides,
  });
}
