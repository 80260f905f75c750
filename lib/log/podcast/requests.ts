/**
 * One DownloadEvent as podcast counting sees it: either a reason it cannot count (IAB v2.3 §5.5.2
 * Step 1 filters) or the bytes of the episode a listener received. A month of events has few
 * distinct user agents and IPs, so their verdicts are cached per distinct string, and the request
 * is written into one reused record: reading an event allocates nothing.
 */
import { type BlockList, isIP } from 'node:net';
import { truncateIp } from '../../http/client-ip';
import type { DownloadEvent } from '../events';
import { type AgentClass, type AgentKind, classifyUserAgent } from './agents';
import type { Address } from './listeners';
import type { Settings } from './options';

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
  station: string | null;
  podcast: string | null;
  episode: string;
  /** The address as logged, with its truncated IP. */
  client: Client;
  /** As sent (not trimmed): part of the listener's identity. */
  userAgent: string;
  start: number;
  end: number;
  size: number | null;
}

/** One address as logged: its truncated IP (§5.5.4: IPv6 by its /64) and what the options say about it. */
export interface Client {
  truncated: string;
  allowed: boolean;
  excluded: boolean;
  /** The counter's record of the truncated IP, kept here so the next event of this address needs no lookup. */
  address: Address | null;
}

const NO_CLIENT: Client = { truncated: '', allowed: false, excluded: false, address: null };

/** Entries per cache before it starts over: bounds memory on a log with millions of distinct IPs. */
const LIMIT = 50_000;

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

/** The host's own patterns first, then the project's rules. */
function agent(ua: string | null, s: Settings): AgentClass {
  if (ua !== null && s.extraBots.length > 0 && s.extraBots.some((r) => r.test(ua))) return { kind: 'bot', name: 'extraBotPatterns' };
  if (ua !== null && ua.trim() !== '' && s.allowAgents.some((r) => r.test(ua))) return { kind: 'app', name: 'allowUserAgentPatterns' };
  return classifyUserAgent(ua);
}

/** Reads events under one set of options; keeps its caches for the whole count. */
export class RequestReader {
  /** The request of the last read that returned null; overwritten by the next read. */
  readonly request: EpisodeRequest = { t: 0, station: null, podcast: null, episode: '', client: NO_CLIENT, userAgent: '', start: 0, end: 0, size: null };
  private readonly agents = new Map<string, AgentKind>();
  private readonly clients = new Map<string, Client>();

  constructor(private readonly s: Settings) {}

  /**
   * Reads one episode event: its reason not to count, or null with `request` filled in. `completed`,
   * `aborted` and `failed` responses count the bytes they delivered; a response whose served range
   * is bytes 0-1 (or 0-0) is a probe, whatever the Range header said. The checks run in this order
   * because the first failing one names the reason.
   */
  read(e: DownloadEvent, t: number): ExclusionReason | null {
    const episode = e.ids.episode ?? e.fileId; // the route's ids, or the older field
    if (episode === undefined || episode === null || Number.isNaN(t)) return 'bad-event';
    if (e.outcome !== 'completed' && e.outcome !== 'aborted' && e.outcome !== 'failed') return 'no-body';
    if (e.method !== 'GET' || e.served === null) return 'no-body';
    const kind = this.agentKind(e.userAgent);
    if (kind === 'bot' || kind === 'preloader') return kind;
    const r = this.request;
    const unknown = this.delivered(e, r);
    if (unknown !== null) return unknown;
    if (r.start === 0 && r.end <= 2 && e.served.end <= 1) return 'probe';
    const client = this.client(e.ip);
    if (client.excluded) return 'data-centre';
    r.t = t;
    r.station = e.ids.station ?? e.station;
    r.podcast = e.ids.podcast ?? null;
    r.episode = episode;
    r.client = client;
    r.userAgent = e.userAgent ?? '';
    r.size = e.size;
    return null;
  }

  /** Bytes a response delivered into r.start/r.end, from `served` (never the raw Range header) and `bytesSent`; a reason when unknown. */
  private delivered(e: DownloadEvent, r: EpisodeRequest): ExclusionReason | null {
    const served = e.served;
    if (served === null || e.method !== 'GET') return 'no-body';
    r.start = served.start;
    if (e.delivery === 'redirect') {
      r.end = served.end + 1;
      return this.s.countRedirects ? null : 'unknown-delivery';
    }
    if (e.status !== 200 && e.status !== 206) return 'no-body';
    if (e.bytesSent === null) return 'unknown-delivery'; // an nginx hand-off that did not report its bytes
    const sent = Math.min(e.bytesSent, served.end - served.start + 1);
    r.end = served.start + sent;
    return sent > 0 ? null : 'no-body';
  }

  private agentKind(ua: string | null): AgentKind {
    if (ua === null) return agent(null, this.s).kind;
    let kind = this.agents.get(ua);
    if (kind === undefined) {
      if (this.agents.size >= LIMIT) this.agents.clear();
      kind = agent(ua, this.s).kind;
      this.agents.set(ua, kind);
    }
    return kind;
  }

  /** `excluded` is only for addresses not allowed (allowIps exempts from excludeIps). */
  private client(ip: string): Client {
    let c = this.clients.get(ip);
    if (c === undefined) {
      if (this.clients.size >= LIMIT) this.clients.clear();
      const allowed = inList(this.s.allow, ip);
      c = { truncated: truncateIp(ip), allowed, excluded: !allowed && inList(this.s.exclude, ip), address: null };
      this.clients.set(ip, c);
    }
    return c;
  }
}
