/**
 * Podcast download counts from DownloadEvents after the IAB Tech Lab Podcast Measurement Technical
 * Guidelines v2.3 (§ numbers are v2.3's). The parts live in ./podcast/: user-agent rules
 * (agents.ts, agent-rules.ts), the per-episode threshold (minimum.ts), request filters
 * (requests.ts), measurement windows (windows.ts), the per-IP limit (ip-gate.ts) and the counter.
 */
import { truncateIp } from '../http/client-ip';
import type { DownloadEvent } from './events';
import { PodcastCounter, type PodcastCounts } from './podcast/counter';
import { readSettings, type PodcastCountOptions } from './podcast/options';

export { truncateIp };
export { classifyUserAgent, type AgentClass, type AgentKind } from './podcast/agents';
export { AGENT_RULES_SOURCE } from './podcast/agent-rules';
export type { EpisodeInfo, Minimum, MinimumBasis } from './podcast/minimum';
export type { EpisodeRef, PodcastCountOptions, PodcastWindow } from './podcast/options';
export type { ExclusionReason } from './podcast/requests';
export type { PodcastCounts, PodcastExclusions } from './podcast/counter';
export type { PodcastDownloadCount } from './podcast/totals';

/**
 * The listener identity of §5.5.4 and §6.2 ("IP + UA"): truncateIp(ip), a space, then the user
 * agent as sent ('' when absent); unambiguous, as a truncated IP has no space. Hash it if keys
 * leave the process.
 * @example
 * listenerKey('2001:db8:1:2::99', 'AppleCoreMedia/1.0.0.21A329 (iPhone; ...)');
 * // '2001:db8:1:2::/64 AppleCoreMedia/1.0.0.21A329 (iPhone; ...)'
 */
export function listenerKey(ip: string, userAgent: string | null): string {
  return `${truncateIp(ip)} ${userAgent ?? ''}`;
}

function isAsync(events: unknown): events is AsyncIterable<DownloadEvent> {
  return typeof events === 'object' && events !== null && Symbol.asyncIterator in events;
}

async function countAsync(events: AsyncIterable<DownloadEvent>, counter: PodcastCounter): Promise<PodcastCounts> {
  for await (const e of events) counter.push(e);
  return counter.finish();
}

/**
 * Counts podcast downloads per (station, podcast, episode) by the IAB v2.3 process: filters
 * (§5.5.2: GETs with a body, no bots, pre-loaders, probes, excluded IP ranges, unknown deliveries),
 * the per-episode threshold (§5.5.3: a minute of audio plus ID3 from `episodeInfo`, else the whole
 * file), listeners as truncated IP + user agent in `window` (§5.5.1, §5.5.4), and the per-IP limit.
 * An array may be in any order (it is sorted by time); any other iterable, sync or async, is read
 * once as a stream and must be in time order within `reorderMs` (memory stays with the open
 * windows). Returns a promise for an async iterable. Throws a TypeError for invalid options.
 * @example
 * const { episodes, excluded } = countPodcastDownloads(events, { episodeInfo: (ep) => catalog.audioInfo(ep.episode) });
 * // episodes: [{ station: 'radio-a', podcast: 'news', episode: 'ep-12', downloads: 3, listeners: 2, byDay: { '2024-05-01': 3 }, minimum: {...} }]
 */
export function countPodcastDownloads(events: Iterable<DownloadEvent>, options?: PodcastCountOptions): PodcastCounts;
export function countPodcastDownloads(events: AsyncIterable<DownloadEvent>, options?: PodcastCountOptions): Promise<PodcastCounts>;
export function countPodcastDownloads(
  events: Iterable<DownloadEvent> | AsyncIterable<DownloadEvent>,
  options?: PodcastCountOptions,
): PodcastCounts | Promise<PodcastCounts> {
  const counter = new PodcastCounter(readSettings(options));
  if (isAsync(events)) return countAsync(events, counter);
  if (Array.isArray(events)) {
    const timed = (events as readonly DownloadEvent[]).map((e, i) => ({ e, t: Date.parse(e.at) || -Infinity, i }));
    timed.sort((a, b) => (a.t === b.t ? a.i - b.i : a.t - b.t)); // bad times first: they are only reported
    for (const { e } of timed) counter.add(e);
  } else {
    for (const e of events) counter.push(e);
  }
  return counter.finish();
}
