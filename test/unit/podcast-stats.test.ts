import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DownloadEvent } from '../../lib/log/events';
import {
  countPodcastDownloads,
  listenerKey,
  truncateIp,
  type PodcastCountOptions,
  type PodcastCounts,
  type PodcastDownloadCount,
  type PodcastWindow,
} from '../../lib/log/podcast-stats';
import {
  after,
  appleCoreMediaSession,
  BITRATE_128K,
  browserFullGet,
  EPISODE_SIZE,
  episodeEvent,
  MB,
  MINUTE_128K,
  nginxHandoff,
  rangeEvent,
  spotifyChunks,
  UA,
} from '../support/podcast-requests';

const DAY1 = '2024-05-01T08:00:00.000Z';
const DAY2 = '2024-05-02T08:00:00.000Z';

/** Counts with 128 kbit/s episodes (a 960,000-byte minute) unless the options say otherwise. */
function count(events: DownloadEvent[], options: PodcastCountOptions = {}): PodcastCounts {
  return countPodcastDownloads(events, { ...BITRATE_128K, ...options });
}

/** Total downloads over every episode. */
function total(events: DownloadEvent[], options?: PodcastCountOptions): number {
  return count(events, options).episodes.reduce((n, c) => n + c.downloads, 0);
}

/** The single row of a one-episode result, without its minimum. */
function only(events: DownloadEvent[], options?: PodcastCountOptions): Omit<PodcastDownloadCount, 'minimum'> {
  const { episodes } = count(events, options);
  assert.equal(episodes.length, 1, `expected one episode, got ${JSON.stringify(episodes)}`);
  const { minimum: _, ...row } = episodes[0] as PodcastDownloadCount;
  return row;
}

/** Excluded requests by reason, leaving out the zeros. */
function excluded(events: DownloadEvent[], options?: PodcastCountOptions): Record<string, number> {
  return Object.fromEntries(Object.entries(count(events, options).excluded.requests).filter(([, n]) => n > 0));
}

const row = (downloads: number, listeners: number, byDay: Record<string, number>, extra: Partial<PodcastDownloadCount> = {}) => ({
  station: 'radio-a',
  podcast: 'pod-1',
  episode: 'ep-1',
  downloads,
  listeners,
  byDay,
  ...extra,
});

describe('truncateIp', () => {
  it('leaves IPv4 unchanged', () => {
    assert.equal(truncateIp('203.0.113.5'), '203.0.113.5');
  });

  it('turns IPv4-mapped IPv6 into plain IPv4, dotted or hex', () => {
    assert.equal(truncateIp('::ffff:203.0.113.5'), '203.0.113.5');
    assert.equal(truncateIp('::FFFF:cb00:7105'), '203.0.113.5');
    assert.equal(truncateIp('0:0:0:0:0:ffff:203.0.113.5'), '203.0.113.5');
  });

  it('keeps the first four hextets of IPv6 (the /64)', () => {
    assert.equal(truncateIp('2001:0db8:85a3:0042:1000:8a2e:0370:7334'), '2001:db8:85a3:42::/64');
    assert.equal(truncateIp('2a02:8108:1:2:aaaa:bbbb:cccc:dddd'), '2a02:8108:1:2::/64');
  });

  it('expands :: compression before truncating', () => {
    assert.equal(truncateIp('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(truncateIp('2001:db8:1::'), '2001:db8:1:0::/64');
    assert.equal(truncateIp('2001:db8:1:2:3::'), '2001:db8:1:2::/64');
    assert.equal(truncateIp('::1'), '0:0:0:0::/64');
    assert.equal(truncateIp('::'), '0:0:0:0::/64');
    assert.equal(truncateIp('fe80::1:2:3:4'), 'fe80:0:0:0::/64');
    assert.equal(truncateIp('64:ff9b::192.0.2.33'), '64:ff9b:0:0::/64');
  });

  it('is case-insensitive and drops brackets and zone ids', () => {
    assert.equal(truncateIp('2001:DB8:ABCD:12::1'), '2001:db8:abcd:12::/64');
    assert.equal(truncateIp('[2001:db8:abcd:12::1]'), '2001:db8:abcd:12::/64');
    assert.equal(truncateIp('fe80::1%eth0'), 'fe80:0:0:0::/64');
  });

  it('returns a string that is no IP (a hash, say) trimmed and otherwise as is', () => {
    assert.equal(truncateIp(' 9f86d081884c7d65 '), '9f86d081884c7d65');
    assert.equal(truncateIp(''), '');
  });
});

describe('listenerKey', () => {
  it('joins the truncated IP and the user agent', () => {
    assert.equal(listenerKey('2001:db8:1:2::99', UA.spotify), `2001:db8:1:2::/64 ${UA.spotify}`);
    assert.equal(listenerKey('::ffff:203.0.113.5', UA.chrome), `203.0.113.5 ${UA.chrome}`);
  });

  it('is the same within a /64 and differs across user agents', () => {
    assert.equal(listenerKey('2001:db8:1:2::1', UA.spotify), listenerKey('2001:db8:1:2:ffff::7', UA.spotify));
    assert.notEqual(listenerKey('203.0.113.5', UA.spotify), listenerKey('203.0.113.5', UA.chrome));
  });

  it('uses an empty user agent when there is none', () => {
    assert.equal(listenerKey('203.0.113.5', null), '203.0.113.5 ');
  });
});

describe('countPodcastDownloads: what a podcast host sees (counts as IAB v2.3 gives them)', () => {
  it('AppleCoreMedia: HEAD, bytes=0-1 probe, bytes=0- dropped after 2 MB, more ranges: 1 (HEAD and probe are no download, §5.5.2)', () => {
    const events = appleCoreMediaSession(DAY1);
    assert.deepEqual(only(events), row(1, 1, { '2024-05-01': 1 }));
    assert.deepEqual(excluded(events), { 'no-body': 1, probe: 1 });
  });

  it('Spotify-style 10 MB chunks that do not start at byte 0: 1 (any bytes of the episode count, §5.5.3)', () => {
    assert.equal(total(spotifyChunks(DAY1, {}, 10 * MB)), 1);
  });

  it('Overcast, Pocket Casts, Alexa and a browser, one full GET each from one household: 4 (four user agents, four listeners)', () => {
    const events = [UA.overcast, UA.pocketCasts, UA.alexa, UA.chrome].map((userAgent) => browserFullGet(DAY1, { userAgent }));
    assert.deepEqual(only(events), row(4, 4, { '2024-05-01': 4 }));
  });

  it('Googlebot, bingbot, curl, the Overcast and Pocket Casts crawlers: 0 (known bots, §5.5.2 Step 1.2 item 5)', () => {
    const bots = [UA.googlebot, UA.bingbot, UA.curl, UA.overcastCrawler, UA.pocketCastsFeedParser];
    const events = bots.map((userAgent) => browserFullGet(DAY1, { userAgent }));
    assert.deepEqual(count(events).episodes, []);
    assert.deepEqual(excluded(events), { bot: 5 });
  });

  it('a missing or empty user agent: 0', () => {
    const events = [null, ''].map((userAgent) => browserFullGet(DAY1, { userAgent }));
    assert.deepEqual(excluded(events), { bot: 2 });
  });

  it('HEAD and 304 Not Modified: 0 (no body)', () => {
    const events = [
      episodeEvent({ method: 'HEAD', bytesSent: 0, userAgent: UA.appleCoreMedia }),
      episodeEvent({ status: 304, outcome: 'not-modified', bytesSent: 0, served: null }),
    ];
    assert.deepEqual(count(events).episodes, []);
    assert.deepEqual(excluded(events), { 'no-body': 2 });
  });

  it('aborted after 100 KB: 0, reported under the minimum', () => {
    const result = count([episodeEvent({ outcome: 'aborted', bytesSent: 100_000 })]);
    assert.deepEqual(result.episodes, []);
    assert.equal(result.excluded.underMinimum, 1);
  });

  it("Apple Watch sync (atc/…): 0 as a pre-loader (§5.5.2 Step 1.2 item 7); Overcast's own Watch app: 1", () => {
    const watch = [UA.appleWatch, '(null)/(null) watchOS/8.8.1 model/Watch4,2 hwp/t8006 build/19U512 (6; dt:191)'];
    assert.deepEqual(excluded(watch.map((userAgent) => browserFullGet(DAY1, { userAgent }))), { preloader: 2 });
    assert.equal(total([browserFullGet(DAY1, { userAgent: UA.overcastWatch })]), 1);
  });

  it('a bytes=0-1 request answered 200 with the whole file: 1 (what was served decides, not the Range header)', () => {
    assert.equal(total([episodeEvent({ at: DAY1, range: 'bytes=0-1', status: 200 })]), 1);
    assert.deepEqual(excluded([rangeEvent(DAY1, 0, 0, 1)]), { probe: 1 });
  });

  it('IPv6: addresses in one /64 with one user agent are 1 listener; in two /64s, 2 (§5.5.4)', () => {
    const one = [
      ...spotifyChunks(DAY1, { ip: '2a02:8108:1234:5600:1c2b:3a4d:5e6f:7081' }),
      ...spotifyChunks(after(DAY1, 3600), { ip: '2a02:8108:1234:5600::42' }),
    ];
    assert.deepEqual(only(one), row(1, 1, { '2024-05-01': 1 }));
    const two = [...spotifyChunks(DAY1, { ip: '2a02:8108:1234:5600::42' }), ...spotifyChunks(DAY1, { ip: '2a02:8108:1234:5601::42' })];
    assert.deepEqual(only(two), row(2, 2, { '2024-05-01': 2 }));
  });

  it('one IP with 50 user agents in a day: 0, all 50 reported as too many per IP (§5.5.2 Step 1.2 item 1); with perIp raised: 50', () => {
    const events = Array.from({ length: 50 }, (_, i) => browserFullGet(after(DAY1, i * 60), { userAgent: `${UA.chrome} Agent/${i}` }));
    const result = count(events);
    assert.deepEqual(result.episodes, []);
    assert.deepEqual(result.excluded.tooManyPerIp, { downloads: 50, ips: 1 });
    assert.equal(total(events, { perIp: { maxUserAgents: 50 } }), 50);
    assert.equal(total(events, { perIp: { maxUserAgents: 50, maxDownloads: 49 } }), 0);
    assert.equal(total(events, { allowIps: ['203.0.113.0/24'] }), 50, 'an allowed NAT is not limited');
  });

  it('an IP under the limit is counted once its window closes, on the days its downloads qualified', () => {
    const events = [browserFullGet(DAY1), browserFullGet(DAY1, { userAgent: UA.firefox }), browserFullGet(DAY2)];
    assert.deepEqual(only(events), row(3, 2, { '2024-05-01': 2, '2024-05-02': 1 }));
  });

  it('requests from excluded data-centre ranges (CIDR, IPv4 and IPv6): 0, reported', () => {
    const events = [
      browserFullGet(DAY1, { ip: '198.51.100.20' }),
      browserFullGet(DAY1, { ip: '::ffff:198.51.100.21' }),
      browserFullGet(DAY1, { ip: '2001:db8:dc:1::5' }),
      browserFullGet(DAY1, { ip: '203.0.113.5' }),
    ];
    const options = { excludeIps: ['198.51.100.0/24', '2001:db8:dc::/48'] };
    assert.equal(total(events, options), 1);
    assert.deepEqual(excluded(events, options), { 'data-centre': 3 });
    assert.equal(total(events, { ...options, allowIps: ['198.51.100.20'] }), 2);
  });
});

describe('countPodcastDownloads: delivery (bytes really sent)', () => {
  it('sequences handed to nginx, with the bytes nginx reported, count exactly as the same sequences streamed (issue 13)', () => {
    const sequences = [
      appleCoreMediaSession(DAY1),
      spotifyChunks(DAY1, { ip: '198.51.100.7', userAgent: UA.spotify }, 10 * MB),
      [browserFullGet(DAY1, { ip: '198.51.100.8' })],
      [rangeEvent(DAY1, 0, null, 100_000, { ip: '198.51.100.9', userAgent: UA.overcast, outcome: 'aborted' })],
    ];
    const streamed = sequences.flat();
    // nginx reports what it handed to the kernel: the same bytes Node would have sent.
    const handedOff = streamed.map((e) => ({ ...e, delivery: e.delivery === null ? null : ('accel' as const), report: 'nginx' as const }));
    assert.deepEqual(countPodcastDownloads(handedOff, BITRATE_128K), countPodcastDownloads(streamed, BITRATE_128K));
    assert.equal(total(handedOff), total(streamed));
    assert.ok(total(streamed) >= 3, 'the sequences hold real downloads');
  });

  it('an nginx hand-off with reported bytes counts them; without (null) it counts nothing and is reported', () => {
    assert.equal(total([nginxHandoff(DAY1, null, EPISODE_SIZE)]), 1);
    assert.equal(total([nginxHandoff(DAY1, [0, 5 * MB - 1], 500_000)]), 0, 'asked 5 MB, nginx sent 500 KB');
    assert.equal(total([nginxHandoff(DAY1, [0, 5 * MB - 1], MINUTE_128K)]), 1);
    assert.deepEqual(excluded([nginxHandoff(DAY1, null, null)]), { 'unknown-delivery': 1 });
  });

  it("a failed response counts the bytes it delivered toward the listener's total", () => {
    assert.equal(total([episodeEvent({ outcome: 'failed', bytesSent: 5 * MB })]), 1);
    const half = [rangeEvent(DAY1, 0, null, 500_000, { outcome: 'failed' }), rangeEvent(after(DAY1, 5), 500_000, null, 500_000)];
    assert.equal(total(half), 1);
  });

  it('redirects count 0 (reported as unknown delivery) unless redirects: count-requests (§5.2, disclosed in the result)', () => {
    const redirect = episodeEvent({ status: 302, delivery: 'redirect', bytesSent: null, served: { start: 0, end: EPISODE_SIZE - 1 } });
    assert.deepEqual(excluded([redirect]), { 'unknown-delivery': 1 });
    const counted = count([redirect], { redirects: 'count-requests' });
    assert.equal(counted.episodes[0]?.downloads, 1);
    assert.equal(counted.redirects, 'count-requests');
  });

  it("unites a listener's ranges, counting overlaps once", () => {
    const half = MINUTE_128K / 2;
    assert.equal(total([rangeEvent(DAY1, 0, half - 1, half), rangeEvent(after(DAY1, 5), 0, half - 1, half)]), 0);
    assert.equal(total([rangeEvent(DAY1, 0, half - 1, half), rangeEvent(after(DAY1, 5), half, 2 * half - 1, half)]), 1);
    assert.equal(
      total([rangeEvent(DAY1, 0, half - 1, half), rangeEvent(after(DAY1, 5), half, 2 * half - 1, half, { userAgent: UA.spotify })]),
      0,
      'bytes of another listener do not add up',
    );
  });
});

describe('countPodcastDownloads: the per-episode minimum (§5.5.3)', () => {
  it('one minute of audio plus the ID3 tag, from the bitrate', () => {
    const info = { episodeInfo: () => ({ bitrate: 64_000, id3Bytes: 120_000 }) }; // 480,000 + 120,000
    assert.equal(total([rangeEvent(DAY1, 0, null, 599_999)], info), 0);
    assert.equal(total([rangeEvent(DAY1, 0, null, 600_000)], info), 1);
    assert.deepEqual(count([rangeEvent(DAY1, 0, null, 600_000)], info).episodes[0]?.minimum, { bytes: 600_000, basis: 'bitrate' });
  });

  it('from duration and size when the bitrate is not given', () => {
    const info = { episodeInfo: () => ({ durationSeconds: 600, size: 10_000_000 }) }; // a minute is 1,000,000 bytes
    assert.equal(total([rangeEvent(DAY1, 0, null, 999_999, { size: 10_000_000 })], info), 0);
    assert.deepEqual(count([rangeEvent(DAY1, 0, null, 1_000_000, { size: 10_000_000 })], info).episodes[0]?.minimum, { bytes: 1_000_000, basis: 'duration' });
  });

  it('the whole file when the bitrate is unknown; a fixed minBytes only when the host sets one', () => {
    const noInfo = { episodeInfo: () => undefined };
    assert.equal(total(appleCoreMediaSession(DAY1), noInfo), 0, '8 MB of a 50 MB file is not the whole file');
    assert.equal(total([browserFullGet(DAY1)], noInfo), 1);
    assert.deepEqual(countPodcastDownloads([browserFullGet(DAY1)]).episodes[0]?.minimum, { bytes: EPISODE_SIZE, basis: 'whole-file' });
    assert.equal(total(appleCoreMediaSession(DAY1), { ...noInfo, minBytes: 960_000 }), 1);
  });

  it('asks episodeInfo per episode with the route ids, and keys two podcasts with one episode id apart', () => {
    const asked: string[] = [];
    const events = [browserFullGet(DAY1), browserFullGet(DAY1, { ids: { station: 'radio-a', podcast: 'pod-2', episode: 'ep-1' } })];
    const episodeInfo = (ep: { podcast: string | null; episode: string }) => {
      asked.push(`${ep.podcast}/${ep.episode}`);
      return { bitrate: 128_000 };
    };
    const result = countPodcastDownloads(events, { episodeInfo });
    assert.deepEqual(
      result.episodes.map((c) => [c.podcast, c.episode, c.downloads]),
      [
        ['pod-1', 'ep-1', 1],
        ['pod-2', 'ep-1', 1],
      ],
    );
    assert.deepEqual(asked, ['pod-1/ep-1', 'pod-2/ep-1']);
  });
});

describe('countPodcastDownloads: measurement windows (§5.5.1)', () => {
  const lateMonday = '2024-05-06T22:00:00.000Z';

  it('100 KB at T0, full downloads at T0+23 h and T0+25 h: 1 in rolling-24h (the window opens when the download qualifies)', () => {
    const events = [rangeEvent(DAY1, 0, null, 100_000), browserFullGet(after(DAY1, 23 * 3600)), browserFullGet(after(DAY1, 25 * 3600))];
    assert.deepEqual(only(events, { window: 'rolling-24h' }), row(1, 1, { '2024-05-02': 1 }));
  });

  it('one minute split across midnight: 1, on the day it qualified (bytes are not thrown away at midnight)', () => {
    const events = [rangeEvent('2024-05-06T23:59:30.000Z', 0, 599_999, 600_000), rangeEvent('2024-05-07T00:00:30.000Z', 600_000, 1_199_999, 600_000)];
    assert.deepEqual(only(events), row(1, 1, { '2024-05-07': 1 }));
    assert.deepEqual(only(events, { window: 'rolling-24h' }), row(1, 1, { '2024-05-07': 1 }));
  });

  it('bytes stop adding up 24 h after the first of them; that attempt is reported under the minimum', () => {
    const events = [rangeEvent(DAY1, 0, 599_999, 600_000), rangeEvent(after(DAY1, 24 * 3600), 600_000, 1_199_999, 600_000)];
    const result = count(events);
    assert.deepEqual(result.episodes, []);
    assert.equal(result.excluded.underMinimum, 2);
  });

  it('utc-day counts across midnight twice, rolling-24h once', () => {
    const events = [browserFullGet(lateMonday), browserFullGet('2024-05-07T03:00:00.000Z')];
    assert.deepEqual(only(events).byDay, { '2024-05-06': 1, '2024-05-07': 1 });
    assert.deepEqual(only(events, { window: 'rolling-24h' }).byDay, { '2024-05-06': 1 });
  });

  it('reproduces the §5.5.1 example table (calendar 1,1,0,1; first-touch rolling 1,0,1,1)', () => {
    const times = ['2024-05-06T22:00:00Z', '2024-05-07T03:00:00Z', '2024-05-07T22:15:00Z', '2024-05-08T23:15:00Z'];
    const upTo = (n: number, window: PodcastWindow): number =>
      total(
        times.slice(0, n).map((at) => browserFullGet(at)),
        { window },
      );
    const rows = (window: PodcastWindow): number[] => times.map((_, i) => upTo(i + 1, window) - upTo(i, window));
    assert.deepEqual(rows('utc-day'), [1, 1, 0, 1]);
    assert.deepEqual(rows('rolling-24h'), [1, 0, 1, 1]);
  });

  it('last-touch: requests every 20 h keep one download open', () => {
    const events = [0, 20, 40, 60].map((h) => browserFullGet(after(DAY1, h * 3600)));
    assert.equal(total(events, { window: 'rolling-24h-last-touch' }), 1);
    assert.equal(total(events, { window: 'rolling-24h' }), 2);
  });

  it('play, pause and resume hours later on the same day: 1 (§5.5.4 Scenario 2)', () => {
    assert.equal(total([...appleCoreMediaSession('2024-05-01T07:00:00.000Z'), ...appleCoreMediaSession('2024-05-01T19:00:00.000Z')]), 1);
  });
});

describe('countPodcastDownloads: input', () => {
  it('gives the same result for an array in any order', () => {
    const events = [
      ...appleCoreMediaSession('2024-05-03T10:00:00.000Z'),
      browserFullGet(DAY2),
      ...spotifyChunks(DAY1),
      ...appleCoreMediaSession(DAY1),
      browserFullGet(DAY1),
    ];
    const expected = row(5, 3, { '2024-05-01': 3, '2024-05-02': 1, '2024-05-03': 1 });
    assert.deepEqual(only(events), expected);
    assert.deepEqual(only([...events].reverse()), expected);
  });

  it('reads a generator or an async iterable as a stream in time order, tolerating disorder within reorderMs', async () => {
    const events = [...spotifyChunks(DAY1), browserFullGet(DAY2)];
    const shuffled = [events[1], events[0], ...events.slice(2)] as DownloadEvent[];
    function* log(): Generator<DownloadEvent> {
      yield* shuffled;
    }
    async function* remote(): AsyncGenerator<DownloadEvent> {
      yield* shuffled;
    }
    assert.equal(countPodcastDownloads(log(), BITRATE_128K).episodes[0]?.downloads, 2);
    const result = await countPodcastDownloads(remote(), BITRATE_128K);
    assert.equal(result.episodes[0]?.downloads, 2);
    const late = countPodcastDownloads(log(), { ...BITRATE_128K, reorderMs: 0 });
    assert.equal(late.excluded.requests.late, 1);
  });

  it('falls back to fileId and station for events without ids, and reports events without an episode id or time', () => {
    assert.equal(total([browserFullGet(DAY1, { ids: {} })]), 1);
    assert.deepEqual(excluded([episodeEvent({ fileId: null, ids: {} }), episodeEvent({ at: 'yesterday' })]), { 'bad-event': 2 });
  });

  it('ignores recordings and media entirely', () => {
    const result = count([browserFullGet(DAY1, { kind: 'recording' }), browserFullGet(DAY1, { kind: 'media' })]);
    assert.deepEqual(result.episodes, []);
    assert.deepEqual(excluded([browserFullGet(DAY1, { kind: 'media' })]), {});
  });

  it('does not modify the events', () => {
    const events = spotifyChunks(DAY1);
    const copy = structuredClone(events);
    count(events, { window: 'rolling-24h' });
    assert.deepEqual(events, copy);
  });

  it('sorts rows by station (null first), podcast, then episode', () => {
    const events = [
      browserFullGet(DAY1, { station: 'radio-b', fileId: 'ep-1' }),
      browserFullGet(DAY1, { station: 'radio-a', fileId: 'ep-2' }),
      browserFullGet(DAY1, { station: 'radio-a', fileId: 'ep-10' }),
      browserFullGet(DAY1, { station: null, fileId: 'ep-9' }),
    ];
    assert.deepEqual(
      count(events).episodes.map((c) => [c.station, c.episode]),
      [
        [null, 'ep-9'],
        ['radio-a', 'ep-10'],
        ['radio-a', 'ep-2'],
        ['radio-b', 'ep-1'],
      ],
    );
  });
});

describe('countPodcastDownloads: options', () => {
  it('validates options up front, naming the option', () => {
    const bad: unknown[] = [
      null,
      'utc-day',
      [],
      { window: 'daily' },
      { minBytes: 0 },
      { minBytes: 1.5 },
      { minBytes: '960000' },
      { extraBotPatterns: /bot/ },
      { extraBotPatterns: ['bot'] },
      { allowUserAgentPatterns: 'Overcast' },
      { minbytes: 1000 },
      { perIp: { maxUserAgents: 0 } },
      { perIp: { maxUA: 3 } },
      { excludeIps: ['10.0.0.0/33'] },
      { excludeIps: ['not-an-ip'] },
      { allowIps: '10.0.0.0/8' },
      { redirects: 'count' },
      { episodeInfo: 'catalog' },
      { reorderMs: -1 },
    ];
    for (const options of bad) {
      assert.throws(
        () => countPodcastDownloads([], options as PodcastCountOptions),
        (err: Error) => err instanceof TypeError && err.message.startsWith('countPodcastDownloads: '),
        JSON.stringify(options),
      );
    }
    assert.throws(() => countPodcastDownloads([], { perIp: { maxUserAgents: 0 } }), /perIp\.maxUserAgents must be/);
  });

  it('applies extraBotPatterns (even with g or y flags) and allowUserAgentPatterns before the rules', () => {
    const ua = 'RadioApp/5.1 (iPhone; iOS 17.0)';
    const events = [1, 2, 3, 4].map((n) => browserFullGet(DAY1, { ip: `198.51.100.${n}`, userAgent: ua }));
    assert.equal(total(events), 4);
    assert.equal(total(events, { extraBotPatterns: [/RadioApp/g] }), 0, 'a stateful g regex would skip every other event');
    assert.equal(total(events, { extraBotPatterns: [/iPhone/y] }), 4, 'y stays anchored at the start');
    assert.equal(total([browserFullGet(DAY1, { userAgent: 'zzz' })], { allowUserAgentPatterns: [/^zzz$/] }), 1);
  });
});
