// Realistic DownloadEvent sequences for podcast statistics tests: what real players send to an
// episode URL (user agents as seen in podcast hosts' logs; request patterns as the apps behave).
// Every event carries `ids` and `served` as the routes log them.
import type { DownloadEvent } from '../../lib/log/events';

export const UA = {
  appleCoreMedia: 'AppleCoreMedia/1.0.0.21A329 (iPhone; U; CPU OS 17_0 like Mac OS X; en_us)',
  spotify: 'Spotify/8.8.96 iOS/17.0 (iPhone15,2)',
  chrome: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  firefox: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:120.0) Gecko/20100101 Firefox/120.0',
  applePodcasts: 'Podcasts/1650.20 CFNetwork/1408.0.4 Darwin/22.5.0',
  overcast: 'Overcast/3.0 (+http://overcast.fm/; iOS podcast app)',
  overcastWatch: 'Overcast (+http://overcast.fm/; Apple Watch podcast app)',
  overcastCrawler: 'Overcast/1.0 Podcast Sync (212 subscribers; feed-id=4411; +http://overcast.fm/)',
  pocketCasts: 'Pocket Casts',
  pocketCastsIos: 'Pocket%20Casts/7.80.0.2 CFNetwork/1494.0.7 Darwin/23.4.0',
  pocketCastsFeedParser: 'PocketCasts/1.0 (Pocket Casts Feed Parser; +http://pocketcasts.com/)',
  alexa: 'AlexaMediaPlayer/2.1.4676.0 (Linux;Android 6.0.1) ExoPlayerLib/1.5.9',
  googlebot: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  bingbot: 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
  curl: 'curl/8.4.0',
  appleWatch: 'atc/1.0 watchOS/10.0 model/Watch6,1 hwp/t8301 build/21R356 (6; dt:272)',
} as const;

export const MB = 1024 * 1024;
/** A 50 MB episode: about 52 minutes at 128 kbit/s. */
export const EPISODE_SIZE = 50 * MB;
/** One minute at 128 kbit/s: the threshold of the test episodes (see BITRATE_128K). */
export const MINUTE_128K = 960_000;
/** countPodcastDownloads options that give every test episode a 128 kbit/s bitrate and no ID3 tag. */
export const BITRATE_128K = { episodeInfo: () => ({ bitrate: 128_000 }) } as const;

let seq = 0;

/** One completed episode GET by a browser (the whole file), with every field overridable; `ids` and `served` follow the overrides. */
export function episodeEvent(overrides: Partial<DownloadEvent> = {}): DownloadEvent {
  seq += 1;
  const e: DownloadEvent = {
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
  if (overrides.ids === undefined) {
    e.ids = { ...(e.station !== null ? { station: e.station } : {}), podcast: 'pod-1', ...(e.fileId !== null ? { episode: e.fileId } : {}) };
  }
  if (!('served' in overrides)) {
    e.served = e.method === 'GET' && e.status === 200 && e.size !== null ? { start: 0, end: e.size - 1 } : null;
  }
  return e;
}

/** `at` plus `seconds`, as an ISO string. */
export function after(at: string, seconds: number): string {
  return new Date(Date.parse(at) + seconds * 1000).toISOString();
}

/** A 206 for `bytes=start-end` (end inclusive; null: open-ended) of which `sent` bytes went out. */
export function rangeEvent(at: string, start: number, end: number | null, sent: number | null, overrides: Partial<DownloadEvent> = {}): DownloadEvent {
  const last = end ?? (overrides.size ?? EPISODE_SIZE) - 1;
  const full = sent === null || sent === last - start + 1;
  return episodeEvent({
    at,
    status: 206,
    range: `bytes=${start}-${end ?? ''}`,
    bytesSent: sent,
    served: { start, end: last },
    outcome: full ? 'completed' : 'aborted',
    ...overrides,
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

/** Spotify fetching a whole episode in sequential 10 MB ranges (the last one shorter), from `from` on. */
export function spotifyChunks(at: string, overrides: Partial<DownloadEvent> = {}, from = 0): DownloadEvent[] {
  const chunk = 10 * MB;
  const events: DownloadEvent[] = [];
  for (let start = from, i = 0; start < EPISODE_SIZE; start += chunk, i += 1) {
    const end = Math.min(start + chunk, EPISODE_SIZE) - 1;
    events.push(rangeEvent(after(at, i * 3), start, end, end - start + 1, { userAgent: UA.spotify, ...overrides }));
  }
  return events;
}

/** A browser downloading the whole file with a plain GET (200, every byte sent). */
export function browserFullGet(at: string, overrides: Partial<DownloadEvent> = {}): DownloadEvent {
  return episodeEvent({ at, userAgent: UA.chrome, ...overrides });
}

/** An nginx X-Accel-Redirect hand-off of bytes start-end (null: a 200 of the whole file); nginx reported `sent` bytes (null: not reported). */
export function nginxHandoff(at: string, span: [number, number] | null, sent: number | null, overrides: Partial<DownloadEvent> = {}): DownloadEvent {
  const served = span === null ? { start: 0, end: EPISODE_SIZE - 1 } : { start: span[0], end: span[1] };
  return episodeEvent({
    at,
    delivery: 'accel',
    bytesSent: sent,
    range: span === null ? null : `bytes=${span[0]}-${span[1]}`,
    served,
    status: span === null ? 200 : 206,
    durationMs: 3,
    userAgent: UA.applePodcasts,
    ...overrides,
  });
}
