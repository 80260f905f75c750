/**
 * One DownloadEvent as podcast counting sees it: either a reason it cannot count (IAB v2.3 §5.5.2
 * Step 1 filters) or the bytes of the episode a listener received.
 */
import { type BlockList, isIP } from 'node:net';
import { truncateIp } from '../../http/client-ip';
import type { DownloadEvent } from '../events';
import { classifyUserAgent, type AgentClass } from './agents';
import type { EpisodeRef, Settings } from './options';

/**
 * Why a request did not count: `no-body` (HEAD, 304, refusals, nothing sent), `bot`, `preloader`
 * (Apple Watch sync), `probe` (a `bytes=0-1` answer), `data-centre` (`excludeIps`),
 * `unknown-delivery` (nginx hand-off without its byte count, redirect), `late` (out of time order
 * beyond `reorderMs`), `bad-event` (no episode id or no valid time).
 */
export type ExclusionReason = 'no-body' | 'bot' | 'preloader' | 'probe' | 'data-centre' | 'unknown-delivery' | 'late' | 'bad-event';

export const EXCLUSION_REASONS: readonly ExclusionReason[] = ['no-body', 'bot', 'preloader', 'probe', 'data-centre', 'unknown-delivery', 'late', 'bad-event'];

/** A countable request: bytes [start, end) of one episode to one listener at time t. */
export interface EpisodeRequest {
  t: number;
  episodeKey: string;
  ref: EpisodeRef;
  /** Truncated IP (§5.5.4: IPv6 by its /64). */
  ip: string;
  userAgent: string;
  start: number;
  end: number;
  size: number | null;
  allowed: boolean;
}

const LIMIT = 50_000;
const truncated = new Map<string, string>();

function cachedTruncate(ip: string): string {
  let t = truncated.get(ip);
  if (t === undefined) {
    if (truncated.size >= LIMIT) truncated.clear();
    t = truncateIp(ip);
    truncated.set(ip, t);
  }
  return t;
}

function inList(list: BlockList | null, ip: string): boolean {
  if (list === null) return false;
  const bare = ip
    .trim()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/%.*$/, '');
  const v4 = truncateIp(bare); // IPv4-mapped IPv6 as IPv4
  if (isIP(v4) === 4) return list.check(v4, 'ipv4');
  return isIP(bare) === 6 && list.check(bare, 'ipv6');
}

function agent(ua: string | null, s: Settings): AgentClass {
  if (ua !== null && s.extraBots.length > 0 && s.extraBots.some((r) => r.test(ua))) return { kind: 'bot', name: 'extraBotPatterns' };
  if (ua !== null && ua.trim() !== '' && s.allowAgents.some((r) => r.test(ua))) return { kind: 'app', name: 'allowUserAgentPatterns' };
  return classifyUserAgent(ua);
}

/** The route's ids, or the older fields for events logged before `ids` existed. */
function episodeRef(e: DownloadEvent): EpisodeRef | null {
  const episode = e.ids.episode ?? e.fileId;
  if (episode === undefined || episode === null) return null;
  return { station: e.ids.station ?? e.station, podcast: e.ids.podcast ?? null, episode };
}

/** Bytes a response delivered, from `served` (never the raw Range header) and `bytesSent`; a reason when unknown. */
function delivered(e: DownloadEvent, s: Settings): [number, number] | ExclusionReason {
  const served = e.served;
  if (served === null || e.method !== 'GET') return 'no-body';
  const length = served.end - served.start + 1;
  if (e.delivery === 'redirect') return s.countRedirects ? [served.start, served.end + 1] : 'unknown-delivery';
  if (e.status !== 200 && e.status !== 206) return 'no-body';
  if (e.bytesSent === null) return 'unknown-delivery'; // an nginx hand-off that did not report its bytes
  const sent = Math.min(e.bytesSent, length);
  return sent > 0 ? [served.start, served.start + sent] : 'no-body';
}

/**
 * Reads one episode event: its reason not to count, or the request. `completed`, `aborted` and
 * `failed` responses count the bytes they delivered; a response whose served range is bytes 0-1
 * (or 0-0) is a probe, whatever the Range header said.
 */
export function readRequest(e: DownloadEvent, t: number, s: Settings): EpisodeRequest | ExclusionReason {
  const ref = episodeRef(e);
  if (ref === null || Number.isNaN(t)) return 'bad-event';
  if (e.outcome !== 'completed' && e.outcome !== 'aborted' && e.outcome !== 'failed') return 'no-body';
  if (e.method !== 'GET' || e.served === null) return 'no-body';
  const who = agent(e.userAgent, s);
  if (who.kind === 'bot' || who.kind === 'preloader') return who.kind;
  const span = delivered(e, s);
  if (typeof span === 'string') return span;
  if (span[0] === 0 && span[1] <= 2 && e.served !== null && e.served.end <= 1) return 'probe';
  const allowed = inList(s.allow, e.ip);
  if (!allowed && inList(s.exclude, e.ip)) return 'data-centre';
  return {
    t,
    ref,
    episodeKey: `${ref.station ?? ''}\n${ref.podcast ?? ''}\n${ref.episode}`,
    ip: cachedTruncate(e.ip),
    userAgent: e.userAgent ?? '',
    start: span[0],
    end: span[1],
    size: e.size,
    allowed,
  };
}
