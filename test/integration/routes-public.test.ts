// The public enclosure as podcast apps and web players use it: CORS, no cookies, byte-exact
// ranges, a rate limit on *new* downloads only, and helmet's headers on file responses.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request, type FullResult } from '../support/http';
import { deterministicRange } from '../support/s3';
import { FIXTURES, IDS, PATHS, USERS, fixtureBytes, startPanelApp, type PanelApp } from '../support/panel-app';

const EP = FIXTURES.publishedEpisode;
const FILE = fixtureBytes(EP);
const range = (start: number, end: number): Buffer => deterministicRange(EP.seed, EP.size, start, end);

/** Publishes more episodes (all pointing at the published episode's file). */
function publish(app: PanelApp, ...episodes: string[]): void {
  const base = app.data.episodes.get(`${IDS.podcast}/${IDS.publishedEpisode}`);
  assert.ok(base);
  for (const e of episodes) app.data.episodes.set(`${IDS.podcast}/${e}`, { ...base, published: true });
}
const enclosure = (app: PanelApp, episode: string = IDS.publishedEpisode): string =>
  app.url('public-episode', PATHS.publicEpisode('alpha', IDS.podcast, episode));

function assertCors(r: FullResult): void {
  assert.equal(r.headers['access-control-allow-origin'], '*');
  const exposed = String(r.headers['access-control-expose-headers'])
    .split(',')
    .map((h) => h.trim().toLowerCase());
  for (const h of ['content-range', 'content-length', 'accept-ranges']) assert.ok(exposed.includes(h), `exposes ${h}: ${exposed.join(', ')}`);
  assert.equal(r.headers['cross-origin-resource-policy'], 'cross-origin');
}

for (const version of ['v5', 'v4'] as const) {
  describe(`public enclosure on an Express ${version.slice(1)} host with express-session (saveUninitialized: true)`, () => {
    let app: PanelApp;
    before(async () => {
      app = await startPanelApp({ express: version, saveUninitialized: true });
    });
    after(() => app.close());

    test('CORS and Cross-Origin-Resource-Policy on 200, 206, HEAD and 404', async () => {
      const origin = { origin: 'https://player.example' };
      const full = await request(enclosure(app), { headers: origin });
      assert.equal(full.status, 200);
      assert.ok(full.body.equals(FILE));
      assertCors(full);
      const part = await request(enclosure(app), { headers: { ...origin, range: 'bytes=10-19' } });
      assert.equal(part.status, 206);
      assertCors(part);
      const head = await request(enclosure(app), { method: 'HEAD', headers: origin });
      assert.equal(head.status, 200);
      assertCors(head);
      const draft = await request(enclosure(app, IDS.draftEpisode), { headers: origin });
      assert.equal(draft.status, 404);
      assertCors(draft);
    });

    test('OPTIONS preflight: 204, GET allowed, Range among the allowed headers', async () => {
      const r = await request(enclosure(app), {
        method: 'OPTIONS',
        headers: { origin: 'https://player.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'range' },
      });
      assert.equal(r.status, 204);
      assert.equal(r.body.length, 0);
      assert.equal(r.headers['access-control-allow-origin'], '*');
      assert.match(String(r.headers['access-control-allow-methods']), /\bGET\b/);
      const allowed = String(r.headers['access-control-allow-headers'])
        .split(',')
        .map((h) => h.trim().toLowerCase());
      assert.ok(allowed.includes('range'), `allowed headers: ${allowed.join(', ')}`);
      assert.equal(r.headers['content-disposition'], undefined);
    });

    test('control: the host session middleware does set a cookie on a private route', async () => {
      const r = await request(app.url('recording', PATHS.recording('alpha', IDS.alphaStreamer, IDS.alphaBroadcast)));
      assert.equal(r.status, 401);
      assert.ok(r.headers['set-cookie'], 'express-session (saveUninitialized) is active');
    });

    const COOKIELESS: { name: string; method?: string; headers?: Record<string, string>; episode?: string; status: number }[] = [
      { name: 'GET 200', status: 200 },
      { name: 'GET 206', headers: { range: 'bytes=0-1' }, status: 206 },
      { name: 'HEAD', method: 'HEAD', status: 200 },
      { name: 'OPTIONS', method: 'OPTIONS', status: 204 },
      { name: 'GET of a draft (404)', episode: IDS.draftEpisode, status: 404 },
    ];
    test('no Set-Cookie on any enclosure response (GET 200/206, HEAD, OPTIONS, 404)', async () => {
      const withCookie: string[] = [];
      for (const c of COOKIELESS) {
        const r = await request(enclosure(app, c.episode), { method: c.method ?? 'GET', headers: c.headers ?? {} });
        assert.equal(r.status, c.status, c.name);
        if (r.headers['set-cookie'] !== undefined) withCookie.push(`${c.name}: ${String(r.headers['set-cookie']).split(';')[0]}`);
      }
      assert.deepEqual(withCookie, [], 'enclosure responses that set a cookie');
    });

    test('helmet headers on file responses (public and private)', async () => {
      const pub = await request(enclosure(app));
      const priv = await request(app.url('media', PATHS.media('alpha', IDS.alphaMedia)), { headers: { 'x-api-key': USERS.alphaMedia.apiKey } });
      for (const r of [pub, priv]) {
        assert.equal(r.status, 200);
        assert.equal(r.headers['x-content-type-options'], 'nosniff');
        assert.match(String(r.headers['content-security-policy']), /default-src/);
        assert.ok(r.headers['strict-transport-security']);
        assert.equal(r.headers['x-frame-options'], 'SAMEORIGIN');
      }
      assert.equal(priv.headers['cross-origin-resource-policy'], 'same-origin', 'only the enclosure is cross-origin');
    });
  });
}

describe('cookies set by host middleware before the router', () => {
  test('a Set-Cookie set eagerly (res.setHeader) before the router is removed from the enclosure', async () => {
    const app = await startPanelApp({
      express: 'v5',
      beforeRouter: (host) =>
        host.use((_req, res, next) => {
          res.setHeader('Set-Cookie', 'tracking=1; Path=/');
          next();
        }),
    });
    try {
      const r = await request(enclosure(app));
      assert.equal(r.status, 200);
      assert.equal(r.headers['set-cookie'], undefined);
    } finally {
      await app.close();
    }
  });
});

describe('podcast-app request sequences and the new-download rate limit (max 2 per IP per minute)', () => {
  let app: PanelApp;
  before(async () => {
    app = await startPanelApp({ express: 'v5', publicRateLimit: { max: 2, windowMs: 60_000 } });
    publish(app, 'eA', 'eB', 'eC');
  });
  after(() => app.close());

  /** What a podcast app sends for one episode: HEAD, a 2-byte probe, an open range, then seeks. */
  async function listen(episode: string): Promise<void> {
    const url = enclosure(app, episode);
    const head = await request(url, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(EP.size));
    assert.equal(head.headers['accept-ranges'], 'bytes');
    const steps: [string, number, number][] = [
      ['bytes=0-1', 0, 1],
      ['bytes=0-', 0, EP.size - 1],
      ['bytes=65536-131071', 65536, 131071],
      ['bytes=1000-1999', 1000, 1999],
      [`bytes=${EP.size - 100}-`, EP.size - 100, EP.size - 1],
      ['bytes=-500', EP.size - 500, EP.size - 1],
      ['bytes=150000-150000', 150000, 150000],
    ];
    for (const [header, start, end] of steps) {
      const r = await request(url, { headers: { range: header, 'user-agent': 'AppleCoreMedia/1.0.0.21A329 (iPhone; U; CPU OS 17_0 like Mac OS X; en_us)' } });
      assert.equal(r.status, 206, `${episode} ${header}`);
      assert.equal(r.headers['content-range'], `bytes ${start}-${end}/${EP.size}`);
      assert.ok(r.body.equals(range(start, end)), `${episode} ${header}: byte-exact`);
    }
    const whole = await request(url);
    assert.equal(whole.status, 200);
    assert.ok(whole.body.equals(FILE));
  }

  test('episode A many times with ranges, and episode B: all served; a third episode: 429 with Retry-After', async () => {
    await listen('eA');
    await listen('eA');
    await listen('eB');
    const r = await request(enclosure(app, 'eC'), { headers: { range: 'bytes=0-1' } });
    assert.equal(r.status, 429);
    const retryAfter = Number(r.headers['retry-after']);
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${r.headers['retry-after']}`);
    assert.equal(r.headers['content-disposition'], undefined);
    assert.equal(r.body.indexOf(FILE.subarray(0, 64)), -1);
    assert.equal(r.headers['access-control-allow-origin'], '*', 'a web player can read the 429');
    // Starting C again is still refused; A and B go on working; HEAD of C is not a download.
    assert.equal((await request(enclosure(app, 'eC'))).status, 429);
    assert.equal((await request(enclosure(app, 'eC'), { method: 'HEAD' })).status, 200);
    await listen('eB');
    await listen('eA');
    const events = app.events.filter((e) => e.kind === 'public-episode');
    assert.equal(events.filter((e) => e.status === 429).length, 2);
    assert.ok(events.filter((e) => e.status === 429).every((e) => e.outcome === 'denied' && e.fileId === 'eC'));
  });
});

describe('publicRateLimit: false', () => {
  let app: PanelApp;
  before(async () => {
    app = await startPanelApp({ express: 'v5', publicRateLimit: false });
  });
  after(() => app.close());

  test('one IP starts 70 different episodes (more than the default 60): none is refused', async () => {
    const ids = Array.from({ length: 70 }, (_, i) => `n${i}`);
    publish(app, ...ids);
    for (const id of ids) {
      const r = await request(enclosure(app, id), { headers: { range: 'bytes=0-1' } });
      assert.equal(r.status, 206, id);
      assert.ok(r.body.equals(range(0, 1)));
    }
  });
});
