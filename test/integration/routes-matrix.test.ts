// Authorization matrix for the mountable routers: every route × every kind of principal, with the
// exact status, the file's bytes only on 200, and refusals that are short and never attachments.
// Runs on an Express 5 host, an Express 4 host (`express4`), and with the per-kind routers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { DownloadKind, SignedTarget } from '../../lib';
import { request, type FullResult } from '../support/http';
import {
  FIXTURES,
  IDS,
  PATHS,
  USERS,
  fixtureBytes,
  startPanelApp,
  type Fixture,
  type PanelApp,
  type PanelAppOptions,
  type PanelUser,
} from '../support/panel-app';

interface Route {
  kind: DownloadKind;
  fixture: Fixture;
  /** The endpoint path with this file id (and station). */
  path(fileId: string, station?: string): string;
  target?: SignedTarget; // private routes only
  holder: PanelUser; // has exactly the route's permission on alpha
  lacking: PanelUser; // an alpha user with another permission
  disposition: 'attachment' | 'inline';
}

const ROUTES: Route[] = [
  {
    kind: 'recording',
    fixture: FIXTURES.alphaRecording,
    disposition: 'attachment',
    holder: USERS.alphaDj,
    lacking: USERS.alphaPodcaster,
    path: (id, station = 'alpha') => PATHS.recording(station, IDS.alphaStreamer, id),
    target: { kind: 'recording', station: 'alpha', streamer: IDS.alphaStreamer, broadcast: IDS.alphaBroadcast },
  },
  {
    kind: 'media',
    fixture: FIXTURES.alphaMedia,
    disposition: 'inline',
    holder: USERS.alphaMedia,
    lacking: USERS.alphaDj,
    path: (id, station = 'alpha') => PATHS.media(station, id),
    target: { kind: 'media', station: 'alpha', id: IDS.alphaMedia },
  },
  {
    kind: 'episode',
    fixture: FIXTURES.publishedEpisode,
    disposition: 'inline',
    holder: USERS.alphaPodcaster,
    lacking: USERS.alphaMedia,
    path: (id, station = 'alpha') => PATHS.episode(station, IDS.podcast, id),
    target: { kind: 'episode', station: 'alpha', podcast: IDS.podcast, episode: IDS.publishedEpisode },
  },
  {
    kind: 'public-episode',
    fixture: FIXTURES.publishedEpisode,
    disposition: 'attachment',
    holder: USERS.alphaPodcaster,
    lacking: USERS.alphaMedia,
    path: (id, station = 'alpha') => PATHS.publicEpisode(station, IDS.podcast, id),
  },
];
const fileIdOf: Record<DownloadKind, string> = {
  recording: IDS.alphaBroadcast,
  media: IDS.alphaMedia,
  episode: IDS.publishedEpisode,
  'public-episode': IDS.publishedEpisode,
};

interface Ctx {
  app: PanelApp;
  cookies: Map<string, string>;
}
type Credentials = { url: string; headers: http.OutgoingHttpHeaders };
const plain = (ctx: Ctx, r: Route): string => ctx.app.url(r.kind, r.path(fileIdOf[r.kind]));
const apiKey = (ctx: Ctx, r: Route, u: PanelUser): Credentials => ({ url: plain(ctx, r), headers: { 'x-api-key': u.apiKey } });
const bearer = (ctx: Ctx, r: Route, u: PanelUser): Credentials => ({ url: plain(ctx, r), headers: { authorization: `Bearer ${u.token}` } });
const cookie = (ctx: Ctx, r: Route, u: PanelUser): Credentials => ({ url: plain(ctx, r), headers: { cookie: ctx.cookies.get(u.id) } });

function tamper(url: string): string {
  const u = new URL(url);
  const sig = u.searchParams.get('sig') ?? '';
  u.searchParams.set('sig', `${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`);
  return u.toString();
}

/** A principal: how it asks, and the status it must get on a private route and on the public enclosure (null: not applicable). */
interface Principal {
  name: string;
  creds(ctx: Ctx, r: Route): Credentials;
  private: number;
  public: number | null;
}
const PRINCIPALS: Principal[] = [
  { name: 'anonymous', creds: (ctx, r) => ({ url: plain(ctx, r), headers: {} }), private: 401, public: 200 },
  { name: 'API key of a user with the permission', creds: (ctx, r) => apiKey(ctx, r, r.holder), private: 200, public: 200 },
  { name: 'session cookie of a user with the permission', creds: (ctx, r) => cookie(ctx, r, r.holder), private: 200, public: 200 },
  { name: 'bearer token of a user with the permission', creds: (ctx, r) => bearer(ctx, r, r.holder), private: 200, public: 200 },
  { name: 'user of the other station (bearer)', creds: (ctx, r) => bearer(ctx, r, USERS.bravoDj), private: 403, public: 200 },
  { name: 'alpha user without the permission (API key)', creds: (ctx, r) => apiKey(ctx, r, r.lacking), private: 403, public: 200 },
  { name: 'user without any permission (session)', creds: (ctx, r) => cookie(ctx, r, USERS.nobody), private: 403, public: 200 },
  { name: 'station admin (session)', creds: (ctx, r) => cookie(ctx, r, USERS.alphaAdmin), private: 200, public: 200 },
  { name: 'global admin (bearer)', creds: (ctx, r) => bearer(ctx, r, USERS.globalAdmin), private: 200, public: 200 },
  { name: 'valid signed link', creds: (ctx, r) => ({ url: ctx.app.signedUrl(r.target as SignedTarget), headers: {} }), private: 200, public: null },
  { name: 'expired signed link', creds: (ctx, r) => ({ url: ctx.app.expiredUrl(r.target as SignedTarget), headers: {} }), private: 403, public: null },
  { name: 'tampered signed link', creds: (ctx, r) => ({ url: tamper(ctx.app.signedUrl(r.target as SignedTarget)), headers: {} }), private: 403, public: null },
];

/** A refusal: a short text reason, no attachment, and not one byte of the file. */
function assertRefused(r: FullResult, status: number, file: Buffer): void {
  assert.equal(r.status, status, `status (body: ${r.body.toString().trim()})`);
  assert.equal(r.headers['content-disposition'], undefined);
  assert.equal(r.body.indexOf(file.subarray(0, 64)), -1, 'file bytes in a refusal body');
  assert.equal(r.headers['content-length'], String(r.body.length));
  assert.ok(r.body.length < 64, `short reason, got ${r.body.length} bytes`);
  assert.match(String(r.headers['x-request-id']), /^[A-Za-z0-9._:-]{8,128}$/);
}

function assertServed(r: FullResult, route: Route, file: Buffer): void {
  assert.equal(r.status, 200, `status (body: ${r.status === 200 ? '' : r.body.toString().trim()})`);
  assert.equal(r.complete, true);
  assert.ok(r.body.equals(file), 'body is the file, byte for byte');
  assert.match(String(r.headers['content-disposition']), new RegExp(`^${route.disposition};`));
  assert.ok(r.headers['x-request-id']);
}

/** The request path of an endpoint path below its mount point, with no URL normalization. */
const rawPath = (ctx: Ctx, kind: DownloadKind, endpointPath: string): string => ctx.app.url(kind, endpointPath).slice(ctx.app.origin.length);

/** GET with the path sent exactly as given (http.request(url) would normalize `..` and `%2e%2e`). */
function rawGet(origin: string, path: string, headers: http.OutgoingHttpHeaders = {}): Promise<FullResult> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, complete: res.complete, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const CONFIGS: { name: string; options: PanelAppOptions }[] = [
  { name: 'Express 5 host, router() at /api', options: { express: 'v5' } },
  { name: 'Express 4 host, router() at /api', options: { express: 'v4' } },
  { name: 'Express 5 host, recordings()/media()/podcasts() at /api/rec, /api/media, /api/pod', options: { express: 'v5', perKind: true } },
];

for (const config of CONFIGS) {
  describe(config.name, () => {
    const ctx = { cookies: new Map<string, string>() } as Ctx;
    before(async () => {
      ctx.app = await startPanelApp(config.options);
      for (const u of Object.values(USERS)) ctx.cookies.set(u.id, await ctx.app.login(u));
    });
    after(() => ctx.app.close());

    for (const route of ROUTES) {
      describe(`${route.kind} route`, () => {
        const file = fixtureBytes(route.fixture);
        for (const p of PRINCIPALS) {
          const expected = route.kind === 'public-episode' ? p.public : p.private;
          if (expected === null) continue;
          test(`${p.name} → ${expected}`, async () => {
            const { url, headers } = p.creds(ctx, route);
            const r = await request(url, { headers });
            if (expected === 200) assertServed(r, route, file);
            else assertRefused(r, expected, file);
          });
        }

        test('unknown id → 404 (for a user who may see everything)', async () => {
          const r = await request(ctx.app.url(route.kind, route.path('zz999')), { headers: { authorization: `Bearer ${USERS.globalAdmin.token}` } });
          assertRefused(r, 404, file);
        });

        for (const bad of ['..', '%2e%2e', 'x'.repeat(65), 'a%20b', '%C3%A9t%C3%A9', 'a.b']) {
          test(`malformed file id "${bad}" → 400, before authentication`, async () => {
            const r = await rawGet(ctx.app.origin, rawPath(ctx, route.kind, route.path(bad)));
            assertRefused(r, 400, file);
          });
        }
        test('malformed station id "%2e%2e" → 400', async () => {
          const path = rawPath(ctx, route.kind, route.path(fileIdOf[route.kind], '%2e%2e'));
          assertRefused(await rawGet(ctx.app.origin, path, { 'x-api-key': USERS.globalAdmin.apiKey }), 400, file);
        });

        test('POST → 405 with Allow', async () => {
          const r = await request(plain(ctx, route), { method: 'POST', headers: { 'x-api-key': route.holder.apiKey }, body: 'x' });
          assertRefused(r, 405, file);
          assert.equal(r.headers.allow, route.kind === 'public-episode' ? 'GET, HEAD, OPTIONS' : 'GET, HEAD');
        });
      });
    }

    test('public enclosure: draft → 404, wrong extension → 404, even for a global admin', async () => {
      const draft = fixtureBytes(FIXTURES.draftEpisode);
      const pub = fixtureBytes(FIXTURES.publishedEpisode);
      const admin = { authorization: `Bearer ${USERS.globalAdmin.token}` };
      assertRefused(await request(ctx.app.url('public-episode', PATHS.publicEpisode('alpha', IDS.podcast, IDS.draftEpisode))), 404, draft);
      assertRefused(await request(ctx.app.url('public-episode', PATHS.publicEpisode('alpha', IDS.podcast, IDS.draftEpisode)), { headers: admin }), 404, draft);
      for (const ext of ['ogg', 'mp3x', 'MP4']) {
        assertRefused(await request(ctx.app.url('public-episode', PATHS.publicEpisode('alpha', IDS.podcast, IDS.publishedEpisode, ext))), 404, pub);
      }
      const upper = await request(ctx.app.url('public-episode', PATHS.publicEpisode('alpha', IDS.podcast, IDS.publishedEpisode, 'MP3')));
      assert.equal(upper.status, 200, 'the extension is compared case-insensitively');
    });

    test('a signed link for a draft opens the staff route, never the public enclosure', async () => {
      const target: SignedTarget = { kind: 'episode', station: 'alpha', podcast: IDS.podcast, episode: IDS.draftEpisode };
      const signed = new URL(ctx.app.signedUrl(target));
      const staff = await request(signed.toString());
      assert.equal(staff.status, 200);
      assert.ok(staff.body.equals(fixtureBytes(FIXTURES.draftEpisode)));
      const pub = ctx.app.url('public-episode', PATHS.publicEpisode('alpha', IDS.podcast, IDS.draftEpisode)) + signed.search;
      assertRefused(await request(pub), 404, fixtureBytes(FIXTURES.draftEpisode));
    });

    test('a signed link only opens its own file', async () => {
      const media = new URL(ctx.app.signedUrl(ROUTES[1]?.target as SignedTarget));
      const other = ctx.app.url('recording', PATHS.recording('alpha', IDS.alphaStreamer, IDS.alphaBroadcast)) + media.search;
      assertRefused(await request(other), 403, fixtureBytes(FIXTURES.alphaRecording));
    });

    test("bravo's recording id through alpha's URL → 404 for an alpha admin and a global admin, never bravo's bytes", async () => {
      const url = ctx.app.url('recording', PATHS.recording('alpha', IDS.bravoStreamer, IDS.bravoBroadcast));
      const bravo = fixtureBytes(FIXTURES.bravoRecording);
      assertRefused(await request(url, { headers: { cookie: ctx.cookies.get(USERS.alphaAdmin.id) } }), 404, bravo);
      assertRefused(await request(url, { headers: { 'x-api-key': USERS.globalAdmin.apiKey } }), 404, bravo);
      const own = await request(ctx.app.url('recording', PATHS.recording('bravo', IDS.bravoStreamer, IDS.bravoBroadcast)), {
        headers: { authorization: `Bearer ${USERS.bravoDj.token}` },
      });
      assert.equal(own.status, 200, 'served through its own station');
      assert.ok(own.body.equals(bravo));
    });

    test('401: WWW-Authenticate for API clients, none for browsers (Accept: text/html)', async () => {
      const url = plain(ctx, ROUTES[0] as Route);
      const api = await request(url, { headers: { accept: 'application/json' } });
      assert.equal(api.status, 401);
      assert.equal(api.headers['www-authenticate'], 'Bearer realm="station-files"');
      const browser = await request(url, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
      assert.equal(browser.status, 401);
      assert.equal(browser.headers['www-authenticate'], undefined);
      const badKey = await request(url, { headers: { 'x-api-key': 'no-such-key', authorization: 'Bearer nope' } });
      assert.equal(badKey.status, 401, 'wrong credentials are anonymous too');
    });
  });
}

describe('passport chains (Express 5)', () => {
  const url = (app: PanelApp): string => app.url('recording', PATHS.recording('alpha', IDS.alphaStreamer, IDS.alphaBroadcast));
  const file = fixtureBytes(FIXTURES.alphaRecording);

  test("'session' first: its pass() ends the chain, so the API key is never consulted (passport semantics)", async () => {
    const app = await startPanelApp({ express: 'v5', strategies: ['session', 'api-key', 'bearer'] });
    try {
      assertRefused(await request(url(app), { headers: { 'x-api-key': USERS.alphaDj.apiKey } }), 401, file);
      const cookie = await app.login(USERS.alphaDj);
      assert.equal((await request(url(app), { headers: { cookie } })).status, 200);
    } finally {
      await app.close();
    }
  });

  test('every strategy fails (no session strategy): passport answers 401 itself, with its challenges', async () => {
    const app = await startPanelApp({ express: 'v5', strategies: ['api-key', 'bearer'] });
    try {
      const r = await request(url(app));
      assertRefused(r, 401, file);
      assert.equal(r.headers['www-authenticate'], 'Bearer realm="panel"');
      const event = await app.eventFor(String(r.headers['x-request-id']));
      assert.equal(event.outcome, 'denied');
      assert.equal(event.status, 401);
      assert.equal((await request(url(app), { headers: { 'x-api-key': USERS.alphaDj.apiKey } })).status, 200);
    } finally {
      await app.close();
    }
  });

  test('failWithError: an AuthenticationError (status 401) from the middleware is a 401, not a 500', async () => {
    const app = await startPanelApp({ express: 'v5', strategies: ['api-key', 'bearer'], failWithError: true });
    try {
      const r = await request(url(app));
      assertRefused(r, 401, file);
    } finally {
      await app.close();
    }
  });
});
