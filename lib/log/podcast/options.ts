/** The options of countPodcastDownloads, validated once with the project's OptionsReader. */
import { BlockList, isIP } from 'node:net';
import { OptionsReader } from '../../options/reader';
import type { EpisodeInfo } from './minimum';

/**
 * How one listener's downloads of one episode are de-duplicated (IAB v2.3 §5.5.1): `utc-day`
 * (calendar days in UTC), `rolling-24h` (first touch: 24 h from the request that made the
 * download count), `rolling-24h-last-touch` (24 h from the listener's latest request).
 */
export type PodcastWindow = 'utc-day' | 'rolling-24h' | 'rolling-24h-last-touch';

/** The ids of one episode, as the route had them. */
export interface EpisodeRef {
  station: string | null;
  podcast: string | null;
  episode: string;
}

export interface PodcastCountOptions {
  /** Default `utc-day`. */
  window?: PodcastWindow;
  /** The host's facts about an episode (bitrate or duration, ID3 size), asked once per episode. */
  episodeInfo?: (episode: EpisodeRef) => EpisodeInfo | undefined;
  /** A fixed threshold for episodes whose bitrate is unknown, instead of the whole file (disclose it). */
  minBytes?: number;
  /** IAB v2.3 §5.5.2 Step 1.2 item 1: more than this from one IP (IPv6: its /64) in one window excludes all its downloads there. */
  perIp?: { maxUserAgents?: number; maxDownloads?: number };
  /** Addresses or CIDR ranges (data centres, VPNs, §5.5.2 Step 1.2 item 2) whose requests never count. */
  excludeIps?: readonly string[];
  /** Addresses or CIDR ranges exempt from `excludeIps` and `perIp` (a known office or carrier NAT). */
  allowIps?: readonly string[];
  /** `exclude` (default: no byte is seen, nothing counts) or `count-requests` (§5.2: a redirect counts what it was asked to deliver). */
  redirects?: 'exclude' | 'count-requests';
  /** User agents to treat as bots before any other rule. */
  extraBotPatterns?: readonly RegExp[];
  /** User agents to treat as listener apps before any other rule (after extraBotPatterns). */
  allowUserAgentPatterns?: readonly RegExp[];
  /** For iterables that are not arrays: how far out of time order an event may come (default 1 h); later ones are `late`. */
  reorderMs?: number;
}

export interface Settings {
  window: PodcastWindow;
  episodeInfo: ((episode: EpisodeRef) => EpisodeInfo | undefined) | undefined;
  minBytes: number | undefined;
  maxUserAgents: number;
  maxDownloads: number;
  exclude: BlockList | null;
  allow: BlockList | null;
  countRedirects: boolean;
  extraBots: RegExp[];
  allowAgents: RegExp[];
  reorderMs: number;
}

const NAME = 'countPodcastDownloads';
const KEYS = ['window', 'episodeInfo', 'minBytes', 'perIp', 'excludeIps', 'allowIps', 'redirects', 'extraBotPatterns', 'allowUserAgentPatterns', 'reorderMs'];
const MANY = { min: 1, max: Number.MAX_SAFE_INTEGER };

function patterns(o: OptionsReader, key: string): RegExp[] {
  const v = o.raw(key) ?? [];
  if (!Array.isArray(v) || !v.every((r): r is RegExp => r instanceof RegExp)) o.fail(key, 'an array of RegExp');
  // Stateless copies: `g` and `y` make test() depend on lastIndex; sticky at index 0 is `^`.
  return v.map((r) => new RegExp(r.sticky ? `^(?:${r.source})` : r.source, r.flags.replace(/[gy]/g, '')));
}

function blockList(o: OptionsReader, key: string): BlockList | null {
  const v = o.raw(key);
  if (v === undefined) return null;
  if (!Array.isArray(v)) o.fail(key, 'an array of IP addresses or CIDR ranges');
  const list = new BlockList();
  for (const item of v) {
    const [net = '', bits, extra] = typeof item === 'string' ? item.trim().split('/') : [];
    const family = isIP(net);
    const prefix = bits === undefined ? (family === 4 ? 32 : 128) : Number(bits);
    if (family === 0 || extra !== undefined || !/^\d{0,3}$/.test(bits ?? '') || prefix > (family === 4 ? 32 : 128)) {
      o.fail(key, `an array of IP addresses or CIDR ranges (got ${JSON.stringify(item)})`);
    }
    list.addSubnet(net, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}

/** Reads and checks the options; throws a TypeError naming the option's full path. */
export function readSettings(options: PodcastCountOptions | undefined): Settings {
  const o = OptionsReader.of(NAME, options, KEYS);
  const perIp = o.nested('perIp', ['maxUserAgents', 'maxDownloads']);
  return {
    window: o.string(
      'window',
      /^(utc-day|rolling-24h|rolling-24h-last-touch)$/,
      "'utc-day', 'rolling-24h' or 'rolling-24h-last-touch'",
      'utc-day',
    ) as PodcastWindow,
    episodeInfo: o.optionalFunction<(episode: EpisodeRef) => EpisodeInfo | undefined>('episodeInfo'),
    minBytes: o.optionalInteger('minBytes', MANY),
    maxUserAgents: perIp.integer('maxUserAgents', MANY, 20),
    maxDownloads: perIp.integer('maxDownloads', MANY, 200),
    exclude: blockList(o, 'excludeIps'),
    allow: blockList(o, 'allowIps'),
    countRedirects: o.string('redirects', /^(exclude|count-requests)$/, "'exclude' or 'count-requests'", 'exclude') === 'count-requests',
    extraBots: patterns(o, 'extraBotPatterns'),
    allowAgents: patterns(o, 'allowUserAgentPatterns'),
    reorderMs: o.integer('reorderMs', { min: 0, max: 7 * 86_400_000 }, 3_600_000),
  };
}
