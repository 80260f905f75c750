// A synthetic month of podcast events counted under several option sets, against a summary computed
// once with the counting code as it was before it was made fast (issue 14): a faster counter must give
// exactly the same counts. The generator is deterministic (xorshift32) and exercises every rule: bots,
// pre-loaders, probes, HEADs, 304s, aborted and failed responses, redirects, nginx hand-offs with and
// without bytes, ranges that add up over hours (and some that never reach the minimum), IPv6 /64s,
// IPv4-mapped addresses, NATs with many user agents, data-centre ranges, episodes without ids or size,
// disorder within `reorderMs`, late and bad events. Regenerate the fixture only for an intended change
// of the counts: `UPDATE_PODCAST_MONTH=1 NO_S3=1 bash test/run.sh test/unit/podcast-month.test.ts`.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { DownloadEvent } from '../../lib/log/events';
import { countPodcastDownloads, type PodcastCountOptions, type PodcastCounts } from '../../lib/log/podcast-stats';
import { UA, episodeEvent } from '../support/podcast-requests';

const FIXTURE = path.join(__dirname, 'podcast-month.fixture.json');
const MONTH_S = 30 * 86_400;
const START = Date.parse('2024-05-01T00:00:00.000Z');
const MB = 1024 * 1024;

/** xorshift32: deterministic, so the fixture stays valid. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

const AGENTS: readonly (string | null)[] = [
  UA.appleCoreMedia,
  UA.spotify,
  UA.chrome,
  UA.firefox,
  UA.applePodcasts,
  UA.overcast,
  UA.pocketCasts,
  UA.alexa,
  ` ${UA.overcast} `, // padded: the same app, another listener key
  'RadioApp/5.1 (iPhone; iOS 17.0)',
  'zzz-unknown-player',
  UA.googlebot,
  UA.curl,
  UA.appleWatch,
  null,
  '',
];

/** Listener addresses: IPv4, IPv4-mapped IPv6, IPv6 sharing /64s, a data-centre range, an allowed NAT. */
function address(l: number): string {
  switch (l % 10) {
    case 0:
      return `2001:db8:${(l >> 4) & 0xff}:1::${(l % 5).toString(16)}`; // five listeners per /64
    case 1:
      return `::ffff:203.0.${(l >> 8) & 255}.${l & 255}`;
    case 2:
      return `198.51.100.${l % 40}`; // 198.51.100.0/26 is excluded in some option sets
    default:
      return `10.${(l >> 8) & 255}.${l & 255}.${l % 3}`;
  }
}

interface Episode {
  ids: Record<string, string>;
  station: string | null;
  fileId: string | null;
  size: number | null;
}

function episodes(): Episode[] {
  return Array.from({ length: 40 }, (_, i): Episode => {
    const size = i % 9 === 4 ? null : i % 5 === 3 ? 3 * MB : 30 * MB + i * 1000;
    if (i === 7) return { ids: {}, station: null, fileId: `old-${i}`, size }; // older events: no ids
    if (i === 8) return { ids: { station: 'radio-b', episode: `ep-${i}` }, station: 'radio-b', fileId: `ep-${i}`, size };
    const station = i % 2 === 0 ? 'radio-a' : 'radio-b';
    return { ids: { station, podcast: `pod-${i % 3}`, episode: `ep-${i % 20}` }, station, fileId: `ep-${i % 20}`, size };
  });
}

/** What one request looks like, by a roll of 0-99. */
function shape(roll: number, r: number, size: number): Partial<DownloadEvent> {
  const cut = (n: number) => Math.min(n, size) - 1;
  if (roll < 3) return { method: 'HEAD', bytesSent: 0, served: null };
  if (roll < 6) return { status: 206, served: { start: 0, end: 1 }, bytesSent: 2 };
  if (roll < 7) return { status: 304, outcome: 'not-modified', bytesSent: 0, served: null };
  if (roll < 9) return { status: 302, delivery: 'redirect', bytesSent: null, served: { start: 0, end: cut(2 * MB) } };
  if (roll < 11) return { delivery: 'accel', status: 206, served: { start: 0, end: cut(4 * MB) }, bytesSent: roll === 9 ? null : 1_500_000 };
  if (roll < 12) return { kind: 'recording' };
  if (roll < 25) {
    const start = (r % 40) * 150_000; // small ranges that add up (or do not) over hours
    return { status: 206, served: { start, end: start + 299_999 }, bytesSent: 300_000 };
  }
  if (roll < 30) return { status: 206, outcome: 'aborted', served: { start: 0, end: size - 1 }, bytesSent: 200_000 + (r % 900_000) };
  if (roll < 32) return { status: 206, outcome: 'failed', served: { start: 0, end: size - 1 }, bytesSent: r % 2_000_000 };
  if (roll < 60) {
    const start = (r % 20) * MB;
    return { status: 206, served: { start, end: cut(start + MB) }, bytesSent: Math.min(start + MB, size) - start };
  }
  return { status: 200, served: { start: 0, end: size - 1 }, bytesSent: size };
}

/** `n` events over 30 days, mostly in order, some up to 20 min out of order, a few hours late or bad. */
export function month(n: number, seed = 0x2545f491): DownloadEvent[] {
  const rnd = random(seed);
  const eps = episodes();
  const out: DownloadEvent[] = [];
  for (let i = 0; i < n; i += 1) {
    const r = rnd();
    const l = r % 3000;
    const nat = (r >>> 24) % 100 < 8; // 8 % of requests from 10 addresses shared by many user agents
    const ep = eps[(l * 7 + ((r >>> 12) % 6) * 11) % eps.length] as Episode;
    let t = START + Math.floor((i * MONTH_S) / n) * 1000;
    const jitter = (r >>> 20) % 100;
    if (jitter < 10) t -= (r % 1200) * 1000;
    else if (jitter === 10) t -= 3 * 3_600_000;
    const userAgent = nat ? `${UA.chrome} Agent/${(r >>> 8) % 30}` : (AGENTS[(l * 31) % AGENTS.length] ?? null);
    const size = ep.size ?? 30 * MB;
    const e = episodeEvent({
      at: jitter === 11 && r % 7 === 0 ? 'not a time' : new Date(t).toISOString(),
      ip: nat ? `192.0.2.${l % 10}` : address(l),
      userAgent,
      station: ep.station,
      fileId: jitter === 12 && r % 5 === 0 ? null : ep.fileId,
      ids: jitter === 12 && r % 5 === 0 ? {} : ep.ids,
      size: ep.size,
      ...shape((r >>> 8) % 100, r >>> 4, size),
    });
    out.push(e);
  }
  return out;
}

const INFO: PodcastCountOptions['episodeInfo'] = (ep) => {
  const n = Number(ep.episode.replace(/\D/g, ''));
  if (n % 4 === 0) return { bitrate: 128_000, id3Bytes: 40_000 };
  if (n % 4 === 1) return { durationSeconds: 1800, size: 30 * MB };
  return n % 4 === 2 ? undefined : { bitrate: 64_000 };
};

const VARIANTS: Record<string, { n: number; input: 'stream' | 'array' | 'async'; options: PodcastCountOptions }> = {
  'utc-day stream, data-centre range, allowed NAT': {
    n: 200_000,
    input: 'stream',
    options: { episodeInfo: INFO, excludeIps: ['198.51.100.0/26', '2001:db8:7::/48'], allowIps: ['192.0.2.5'] },
  },
  'rolling-24h stream, counted redirects, tight per-IP limits': {
    n: 100_000,
    input: 'stream',
    options: { episodeInfo: INFO, window: 'rolling-24h', redirects: 'count-requests', perIp: { maxUserAgents: 5, maxDownloads: 30 } },
  },
  'last-touch stream, minBytes, own agent patterns': {
    n: 100_000,
    input: 'stream',
    options: { window: 'rolling-24h-last-touch', minBytes: 500_000, extraBotPatterns: [/Agent\/1\d/], allowUserAgentPatterns: [/^zzz/] },
  },
  'array in any order, default options': { n: 60_000, input: 'array', options: {} },
  'async stream, 5-minute reorderMs': { n: 60_000, input: 'async', options: { episodeInfo: INFO, reorderMs: 300_000 } },
};

function* stream(events: readonly DownloadEvent[]): Generator<DownloadEvent> {
  yield* events;
}

async function* remote(events: readonly DownloadEvent[]): AsyncGenerator<DownloadEvent> {
  yield* events;
}

interface Summary {
  excluded: PodcastCounts['excluded'];
  downloads: number;
  /** `station/podcast/episode` → [downloads, listeners]. */
  episodes: Record<string, [number, number]>;
  /** sha256 of the whole result as JSON (byDay and minimum included). */
  sha256: string;
}

function summary(result: PodcastCounts): Summary {
  const episodes: Record<string, [number, number]> = {};
  for (const c of result.episodes) episodes[`${c.station}/${c.podcast}/${c.episode}`] = [c.downloads, c.listeners];
  return {
    excluded: result.excluded,
    downloads: result.episodes.reduce((k, c) => k + c.downloads, 0),
    episodes,
    sha256: createHash('sha256').update(JSON.stringify(result)).digest('hex'),
  };
}

async function countVariant(name: string): Promise<PodcastCounts> {
  const v = VARIANTS[name];
  assert.ok(v);
  const events = month(v.n);
  if (v.input === 'stream') return countPodcastDownloads(stream(events), v.options);
  if (v.input === 'async') return countPodcastDownloads(remote(events), v.options);
  const shuffled = events.map((e, i) => ({ e, k: (i * 2_654_435_761) >>> 0 })).sort((a, b) => a.k - b.k);
  return countPodcastDownloads(
    shuffled.map((x) => x.e),
    v.options,
  );
}

describe('countPodcastDownloads over a synthetic month: the same counts as before it was made fast', () => {
  const update = process.env.UPDATE_PODCAST_MONTH === '1';
  const expected: Record<string, Summary> = update ? {} : (JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, Summary>);

  for (const name of Object.keys(VARIANTS)) {
    it(name, async () => {
      const got = summary(await countVariant(name));
      if (update) expected[name] = got;
      else assert.deepEqual(got, expected[name]);
      assert.ok(got.downloads > 1000, `${got.downloads} downloads: the month holds real downloads`);
    });
  }

  it('exercises every exclusion reason and the per-IP limit', () => {
    if (update) writeFileSync(FIXTURE, `${JSON.stringify(expected, null, 1)}\n`);
    const all = Object.values(expected);
    for (const reason of ['no-body', 'bot', 'preloader', 'probe', 'data-centre', 'unknown-delivery', 'late', 'bad-event'] as const) {
      assert.ok(
        all.some((s) => s.excluded.requests[reason] > 0),
        reason,
      );
    }
    assert.ok(all.some((s) => s.excluded.underMinimum > 0 && s.excluded.tooManyPerIp.ips > 0));
  });
});
