import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isbot } from 'isbot';
import type { DownloadEvent } from '../../lib/log/events';
import {
  countPodcastDownloads, DEFAULT_MIN_BYTES, listenerKey, PODCAST_PLAYER_USER_AGENTS, truncateIp,
  type PodcastCountOptions, type PodcastDownloadCount, type PodcastWindow,
} from '../../lib/log/podcast-stats';
import {
  after, appleCoreMediaSession, browserFullGet, EPISODE_SIZE, episodeEvent, MB, nginxHandoff, rangeEvent,
  spotifyChunks, UA,
} from '../support/podcast-requests';

const DAY1 = '2024-05-01T08:00:00.000Z';
const DAY2 = '2024-05-02T08:00:00.000Z';

/** Total downloads over every episode. */
function total(events: Iterable<DownloadEvent>, options?: PodcastCountOptions): number {
  return countPodcastDownloads(events, options).reduce((n, c) => n + c.downloads, 0);
}

/** The single row of a one-episode result. */
function only(events: Iterable<DownloadEvent>, options?: PodcastCountOptions): PodcastDownloadCount {
  const counts = countPodcastDownloads(events, options);
  assert.equal(counts.length, 1, `expected one episode, got ${JSON.stringify(counts)}`);
  return counts[0] as PodcastDownloadCount;
}

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

describe('countPodcastDownloads: real player request sequences', () => {
  it('counts AppleCoreMedia (HEAD, bytes=0-1 probe, bytes=0- dropped, further ranges) once', () => {
    assert.deepEqual(countPodcastDownloads(appleCoreMediaSession(DAY1)), [
      { station: 'radio-a', episode: 'ep-1', downloads: 1, listeners: 1, byDay: { '2024-05-01': 1 } },
    ]);
  });

  it('counts Spotify fetching the file in sequential 10 MB ranges once', () => {
    const events = spotifyChunks(DAY1);
    assert.equal(events.length, 5);
    assert.equal(only(events).downloads, 1);
  });

  it('counts a browser full GET once', () => {
    assert.equal(only([browserFullGet(DAY1)]).downloads, 1);
  });

  it('counts play, pause and resume hours later on the same day as one download (§5.5.4 Scenario 2)', () => {
    const morning = '2024-05-01T07:00:00.000Z';
    const events = [...appleCoreMediaSession(morning), ...appleCoreMediaSession('2024-05-01T19:00:00.000Z')];
    assert.equal(total(events), 1);
  });

  it('counts repeated full downloads by one listener on one day once', () => {
    assert.equal(total([browserFullGet(DAY1), browserFullGet(after(DAY1, 600)), browserFullGet(after(DAY1, 7200))]), 1);
  });

  it('counts the players of one listener household separately per app', () => {
    const events = [...appleCoreMediaSession(DAY1), ...spotifyChunks(DAY1), browserFullGet(DAY1)];
    assert.deepEqual(only(events), { station: 'radio-a', episode: 'ep-1', downloads: 3, listeners: 3, byDay: { '2024-05-01': 3 } });
  });
});

describe('countPodcastDownloads: unique listeners (IP + user agent)', () => {
  it('counts the same IP and user agent again on the next UTC day, as one listener', () => {
    assert.deepEqual(only([browserFullGet(DAY1), browserFullGet(DAY2)]), {
      station: 'radio-a', episode: 'ep-1', downloads: 2, listeners: 1, byDay: { '2024-05-01': 1, '2024-05-02': 1 },
    });
  });

  it('counts two users behind one IPv4 NAT with different user agents twice', () => {
    const events = [browserFullGet(DAY1, { userAgent: UA.chrome }), browserFullGet(DAY1, { userAgent: UA.firefox })];
    assert.deepEqual(only(events), { station: 'radio-a', episode: 'ep-1', downloads: 2, listeners: 2, byDay: { '2024-05-01': 2 } });
  });

  it('counts two IPv6 addresses in one /64 with the same user agent once', () => {
    const events = [
      ...spotifyChunks(DAY1, { ip: '2a02:8108:1234:5600:1c2b:3a4d:5e6f:7081' }),
      ...spotifyChunks(after(DAY1, 3600), { ip: '2a02:8108:1234:5600::42' }),
    ];
    assert.equal(only(events).downloads, 1);
    assert.equal(only(events).listeners, 1);
  });

  it('counts IPv6 addresses in different /64s twice', () => {
    const events = [
      ...spotifyChunks(DAY1, { ip: '2a02:8108:1234:5600::42' }),
      ...spotifyChunks(DAY1, { ip: '2a02:8108:1234:5601::42' }),
    ];
    assert.equal(only(events).downloads, 2);
    assert.equal(only(events).listeners, 2);
  });

  it('treats ::ffff:a.b.c.d and a.b.c.d as one client', () => {
    const events = [browserFullGet(DAY1, { ip: '::ffff:203.0.113.5' }), browserFullGet(after(DAY1, 60), { ip: '203.0.113.5' })];
    assert.equal(total(events), 1);
  });

  it('counts listeners over all days, not per day', () => {
    const events = [browserFullGet(DAY1), browserFullGet(DAY2), browserFullGet(DAY2, { ip: '198.51.100.7' })];
    assert.deepEqual(only(events), {
      station: 'radio-a', episode: 'ep-1', downloads: 3, listeners: 2, byDay: { '2024-05-01': 1, '2024-05-02': 2 },
    });
  });
});

describe('countPodcastDownloads: filtering (§5.5.2)', () => {
  it('ignores bots: Googlebot, bingbot and curl (isbot flags curl)', () => {
    assert.equal(isbot(UA.curl), true, 'isbot 5.2.3 classifies curl/x.y as a bot');
    const events = [UA.googlebot, UA.bingbot, UA.curl, 'Wget/1.21.4', 'python-requests/2.31.0'].map((ua) => browserFullGet(DAY1, { userAgent: ua }));
    assert.deepEqual(countPodcastDownloads(events), []);
  });

  it('ignores user agents matching extraBotPatterns, even with g or y flags', () => {
    const ua = 'RadioApp/5.1 (iPhone; iOS 17.0)';
    assert.equal(isbot(ua), false);
    const events = [1, 2, 3, 4].map((n) => browserFullGet(DAY1, { ip: `198.51.100.${n}`, userAgent: ua }));
    assert.equal(total(events), 4);
    assert.equal(total(events, { extraBotPatterns: [/RadioApp/g] }), 0, 'a stateful g regex would skip every other event');
    assert.equal(total(events, { extraBotPatterns: [/radioapp/iy] }), 0);
    assert.equal(total(events, { extraBotPatterns: [/iPhone/y] }), 4, 'y stays anchored at the start');
  });

  it('ignores paired Apple Watch duplicates (§5.5.2 Step 1.2 item 7)', () => {
    const watch = [UA.appleWatch, '(null)/(null) watchOS/5.1.3 model/Watch3,4 hwp/t8004 build/16S535 (6; dt:155)'];
    assert.equal(total(watch.map((ua) => browserFullGet(DAY1, { userAgent: ua }))), 0);
  });

  it('counts podcast players isbot misreads as bots, unless the allow-list is emptied', () => {
    assert.equal(isbot(UA.overcast), true, 'isbot calls Overcast a bot (URL in the user agent)');
    const events = [browserFullGet(DAY1, { userAgent: UA.overcast }), browserFullGet(DAY1, { userAgent: 'Pocket Casts' })];
    assert.equal(total(events), 2);
    assert.equal(total(events, { allowUserAgentPatterns: [] }), 0);
    assert.equal(total(events, { allowUserAgentPatterns: [...PODCAST_PLAYER_USER_AGENTS], extraBotPatterns: [/^Overcast/] }), 1);
    assert.equal(total([browserFullGet(DAY1, { userAgent: UA.pocketCastsFeedParser })]), 0, 'the Pocket Casts crawler stays a bot');
  });

  it('counts HEAD-only clients as nothing', () => {
    const heads = [0, 60, 3600].map((s) => episodeEvent({ at: after(DAY1, s), method: 'HEAD', bytesSent: 0, userAgent: UA.appleCoreMedia }));
    assert.deepEqual(countPodcastDownloads(heads), []);
  });

  it('counts only bytes=0-1 probes as nothing, even many or completed ones', () => {
    const probes = [0, 5, 10, 3600].map((s) => rangeEvent(after(DAY1, s), 0, 1, 2, { userAgent: UA.appleCoreMedia }));
    probes.push(rangeEvent(after(DAY1, 20), 0, 1, 2, { range: 'bytes = 0-1', userAgent: UA.appleCoreMedia }));
    assert.deepEqual(countPodcastDownloads(probes), []);
    // A probe answered with the whole file (the server ignored Range) is still a probe.
    assert.equal(total([episodeEvent({ at: DAY1, range: 'bytes=0-1', status: 200 })]), 0);
  });

  it('counts 304 Not Modified as nothing', () => {
    const revalidations = [0, 60].map((s) => episodeEvent({ at: after(DAY1, s), status: 304, outcome: 'not-modified', bytesSent: 0 }));
    assert.deepEqual(countPodcastDownloads(revalidations), []);
  });

  it('ignores recordings and media, whatever was sent', () => {
    const events = [browserFullGet(DAY1, { kind: 'recording' }), browserFullGet(DAY1, { kind: 'media' })];
    assert.deepEqual(countPodcastDownloads(events), []);
  });

  it('counts the authenticated episode kind too', () => {
    assert.equal(total([browserFullGet(DAY1, { kind: 'episode', user: { id: 'u1' } })]), 1);
  });

  it('ignores denied, not-found, failed and rejected requests', () => {
    const events = [
      episodeEvent({ outcome: 'denied', status: 403, bytesSent: 0 }),
      episodeEvent({ outcome: 'denied', status: 429, bytesSent: 0 }),
      episodeEvent({ outcome: 'not-found', status: 404, bytesSent: 0, size: null }),
      episodeEvent({ outcome: 'failed', status: 200, bytesSent: 5 * MB }),
      episodeEvent({ outcome: 'rejected', status: 416, range: 'bytes=99999999999-', bytesSent: 0 }),
    ];
    assert.deepEqual(countPodcastDownloads(events), []);
  });

  it('ignores redirects (S3 sent the body, nothing says how much), events without a fileId or with a bad date', () => {
    const events = [
      episodeEvent({ status: 302, delivery: 'redirect', bytesSent: null }),
      episodeEvent({ fileId: null }),
      episodeEvent({ at: 'yesterday' }),
    ];
    assert.deepEqual(countPodcastDownloads(events), []);
  });
});

describe('countPodcastDownloads: the byte threshold (§5.5.3)', () => {
  it('does not count 100 KB of a 50 MB file (aborted)', () => {
    assert.equal(total([episodeEvent({ outcome: 'aborted', bytesSent: 100_000 })]), 0);
  });

  it('uses bytesSent, not the requested range, when Node sent the body', () => {
    assert.equal(total([rangeEvent(DAY1, 0, null, 500_000)]), 0);
    assert.equal(total([rangeEvent(DAY1, 0, null, DEFAULT_MIN_BYTES)]), 1);
  });

  it('counts an nginx hand-off (bytesSent null) whose range covers at least minBytes', () => {
    assert.equal(total([nginxHandoff(DAY1, `bytes=0-${DEFAULT_MIN_BYTES - 1}`)]), 1);
    assert.equal(total([nginxHandoff(DAY1, 'bytes=0-')]), 1);
    assert.equal(total([nginxHandoff(DAY1, null)]), 1);
  });

  it('does not count nginx hand-offs whose ranges stay under minBytes', () => {
    assert.equal(total([nginxHandoff(DAY1, `bytes=0-${DEFAULT_MIN_BYTES - 2}`)]), 0);
    assert.equal(total([nginxHandoff(DAY1, 'bytes=-500000')]), 0);
  });

  it('adds up the union of a listener\'s ranges, counting overlaps once', () => {
    const half = DEFAULT_MIN_BYTES / 2;
    assert.equal(total([nginxHandoff(DAY1, `bytes=0-${half - 1}`), nginxHandoff(after(DAY1, 5), `bytes=0-${half - 1}`)]), 0);
    assert.equal(total([nginxHandoff(DAY1, `bytes=0-${half - 1}`), nginxHandoff(after(DAY1, 5), `bytes=${half}-${2 * half - 1}`)]), 1);
    assert.equal(total([nginxHandoff(DAY1, `bytes=0-${half - 1}`), nginxHandoff(after(DAY1, 5), `bytes=${half}-${2 * half - 1}`, { userAgent: UA.spotify })]), 0,
      'bytes of another listener do not add up');
    assert.equal(total([nginxHandoff(DAY1, `bytes=0-${half - 1}, ${2 * half}-${3 * half - 1}`)]), 1, 'multi-range requests');
  });

  it('counts a whole file smaller than minBytes (a short jingle)', () => {
    assert.equal(total([browserFullGet(DAY1, { size: 300_000, bytesSent: 300_000 })]), 1);
    assert.equal(total([browserFullGet(DAY1, { size: 300_000, bytesSent: 299_999, outcome: 'aborted' })]), 0);
  });

  it('treats a 200 that ignored the Range header as the whole file', () => {
    assert.equal(total([nginxHandoff(DAY1, 'bytes=0-99', { status: 200 })]), 1);
  });

  it('honours a custom minBytes (e.g. one minute at 64 kbit/s)', () => {
    const events = [rangeEvent(DAY1, 0, null, 600_000)];
    assert.equal(total(events), 0);
    assert.equal(total(events, { minBytes: 480_000 }), 1);
  });

  it('counts open-ended hand-offs of files of unknown size', () => {
    assert.equal(total([nginxHandoff(DAY1, 'bytes=0-', { size: null })]), 1);
    assert.equal(total([nginxHandoff(DAY1, 'bytes=-2000000', { size: null })]), 0, 'a suffix of an unknown size cannot be placed');
  });
});

describe('countPodcastDownloads: measurement windows (§5.5.1)', () => {
  const lateMonday = '2024-05-06T22:00:00.000Z';

  it('utc-day counts across midnight twice, rolling-24h once', () => {
    const events = [browserFullGet(lateMonday), browserFullGet('2024-05-07T03:00:00.000Z')];
    assert.deepEqual(only(events).byDay, { '2024-05-06': 1, '2024-05-07': 1 });
    assert.deepEqual(only(events, { window: 'utc-day' }), only(events));
    assert.deepEqual(only(events, { window: 'rolling-24h' }), {
      station: 'radio-a', episode: 'ep-1', downloads: 1, listeners: 1, byDay: { '2024-05-06': 1 },
    });
  });

  it('rolling-24h counts again from 24 h after the first request of a download', () => {
    const events = [browserFullGet(lateMonday), browserFullGet('2024-05-07T21:59:59.999Z'), browserFullGet('2024-05-07T22:00:00.000Z')];
    assert.deepEqual(only(events, { window: 'rolling-24h' }).byDay, { '2024-05-06': 1, '2024-05-07': 1 });
    assert.deepEqual(only(events).byDay, { '2024-05-06': 1, '2024-05-07': 1 });
  });

  it('reproduces the §5.5.1 example table (calendar 1,1,0,1; first-touch rolling 1,0,1,1)', () => {
    const times = ['2024-05-06T22:00:00Z', '2024-05-07T03:00:00Z', '2024-05-07T22:15:00Z', '2024-05-08T23:15:00Z'];
    const upTo = (n: number, window: PodcastWindow): number => total(times.slice(0, n).map((at) => browserFullGet(at)), { window });
    const rows = (window: PodcastWindow): number[] => times.map((_, i) => upTo(i + 1, window) - upTo(i, window));
    assert.deepEqual(rows('utc-day'), [1, 1, 0, 1]);
    assert.deepEqual(rows('rolling-24h'), [1, 0, 1, 1]);
  });

  it('joins a download\'s ranges across midnight only in rolling-24h', () => {
    const events = [rangeEvent('2024-05-06T23:59:30.000Z', 0, 599_999, 600_000), rangeEvent('2024-05-07T00:00:30.000Z', 600_000, 1_199_999, 600_000)];
    assert.equal(total(events), 0, 'utc-day: 600 KB on each day');
    assert.deepEqual(only(events, { window: 'rolling-24h' }).byDay, { '2024-05-06': 1 });
  });

  it('does not let a too-short request in one window hold back a download in the next', () => {
    const events = [rangeEvent(lateMonday, 0, null, 100_000), browserFullGet('2024-05-07T23:00:00.000Z')];
    assert.deepEqual(only(events, { window: 'rolling-24h' }).byDay, { '2024-05-07': 1 });
    assert.deepEqual(only(events).byDay, { '2024-05-07': 1 });
  });
});

describe('countPodcastDownloads: output', () => {
  it('returns [] for no events', () => {
    assert.deepEqual(countPodcastDownloads([]), []);
  });

  it('groups by station and episode, sorted by station (null first) then episode', () => {
    const events = [
      browserFullGet(DAY1, { station: 'radio-b', fileId: 'ep-1' }),
      browserFullGet(DAY1, { station: 'radio-a', fileId: 'ep-2' }),
      browserFullGet(DAY1, { station: 'radio-a', fileId: 'ep-10' }),
      browserFullGet(DAY1, { station: null, fileId: 'ep-9' }),
      browserFullGet(DAY1, { station: 'radio-b', fileId: 'ep-1', ip: '198.51.100.9' }),
    ];
    assert.deepEqual(countPodcastDownloads(events).map((c) => [c.station, c.episode, c.downloads]), [
      [null, 'ep-9', 1], ['radio-a', 'ep-10', 1], ['radio-a', 'ep-2', 1], ['radio-b', 'ep-1', 2],
    ]);
  });

  it('keeps the same episode id on two stations apart', () => {
    const events = [browserFullGet(DAY1, { station: 'radio-a' }), browserFullGet(DAY1, { station: 'radio-b' })];
    assert.deepEqual(countPodcastDownloads(events).map((c) => [c.station, c.downloads, c.listeners]), [['radio-a', 1, 1], ['radio-b', 1, 1]]);
  });

  it('gives the same result for events in any order, and lists days in date order', () => {
    const events = [
      ...appleCoreMediaSession('2024-05-03T10:00:00.000Z'), browserFullGet(DAY2), ...spotifyChunks(DAY1),
      ...appleCoreMediaSession(DAY1), browserFullGet(DAY1),
    ];
    const expected = { station: 'radio-a', episode: 'ep-1', downloads: 5, listeners: 3, byDay: { '2024-05-01': 3, '2024-05-02': 1, '2024-05-03': 1 } };
    assert.deepEqual(only(events), expected);
    assert.deepEqual(Object.keys(only([...events].reverse()).byDay), ['2024-05-01', '2024-05-02', '2024-05-03']);
    assert.deepEqual(only([...events].reverse()), expected);
  });

  it('accepts any iterable, such as a generator over a log', () => {
    function* log(): Generator<DownloadEvent> {
      yield* appleCoreMediaSession(DAY1);
      yield browserFullGet(DAY2);
    }
    assert.equal(total(log()), 2);
  });

  it('does not modify the events', () => {
    const events = spotifyChunks(DAY1);
    const copy = structuredClone(events);
    countPodcastDownloads(events, { window: 'rolling-24h' });
    assert.deepEqual(events, copy);
  });

  it('handles a large log in reasonable time', () => {
    const events: DownloadEvent[] = [];
    for (let i = 0; i < 2000; i += 1) {
      events.push(...spotifyChunks(after(DAY1, i * 30), { ip: `10.0.${i >> 8}.${i & 255}`, fileId: `ep-${i % 7}` }));
    }
    const chunk = 64 * 1024; // one slow listener fetching 64 KB at a time, in scrambled order
    for (let start = 0; start < 4 * MB; start += chunk) {
      events.push(rangeEvent(after(DAY1, (start * 7919) % 3600), start, start + chunk - 1, chunk, { ip: '192.0.2.1', fileId: 'ep-slow' }));
    }
    const started = performance.now();
    assert.equal(total(events), 2001);
    assert.ok(performance.now() - started < 5000, 'no quadratic blow-up');
  });
});

describe('countPodcastDownloads: options', () => {
  it('validates options up front, even with no events', () => {
    const bad: unknown[] = [
      null, 'utc-day', [], { window: 'daily' }, { window: 'rolling' }, { window: null },
      { minBytes: 0 }, { minBytes: -1 }, { minBytes: 1.5 }, { minBytes: Number.NaN }, { minBytes: Infinity }, { minBytes: '960000' },
      { extraBotPatterns: /bot/ }, { extraBotPatterns: ['bot'] }, { extraBotPatterns: null },
      { allowUserAgentPatterns: 'Overcast' }, { minbytes: 1000 }, { windows: 'utc-day' },
    ];
    for (const options of bad) {
      assert.throws(() => countPodcastDownloads([], options as PodcastCountOptions), TypeError, JSON.stringify(options) ?? String(options));
    }
  });

  it('accepts valid options and undefined values as defaults', () => {
    assert.deepEqual(countPodcastDownloads([], {}), []);
    assert.deepEqual(countPodcastDownloads([], { window: undefined, minBytes: undefined, extraBotPatterns: undefined }), []);
    assert.deepEqual(countPodcastDownloads([], { window: 'rolling-24h', minBytes: 1, extraBotPatterns: [], allowUserAgentPatterns: [] }), []);
  });

  it('defaults minBytes to one minute at 128 kbit/s', () => {
    assert.equal(DEFAULT_MIN_BYTES, 960_000);
    assert.equal(EPISODE_SIZE > DEFAULT_MIN_BYTES, true);
  });
});
