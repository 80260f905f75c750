// helmet's headers are worked out once per router (lib/routes/security.ts) instead of by helmet's
// middleware on every request: every kind of response must carry exactly the header list (names,
// values, order) it would get from helmet itself per request. The reference is the same
// createStationFiles config with `helmet: false`, behind helmet's own middleware run per request;
// responses no route handler answers (a path whose escapes do not decode) got no helmet headers
// before (helmet ran inside the route) and still get none.
import http from 'node:http';
import { Socket, type AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import helmet, { type HelmetOptions } from 'helmet';
import { createStationFiles, type FileRef, type Storage, type StationFilesOptions } from '../../lib';
import { securityHeaders } from '../../lib/routes/security';
import { memoryStorage } from '../support/memory-storage';

const BYTES = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');
const META = { size: BYTES.length, mtime: new Date(Date.UTC(2026, 0, 1)), etag: '"fixed"' };

/** A storage that only hands off to nginx, or only redirects: enough for the headers of those answers. */
function fixedStorage(delivery: 'accel' | 'redirect'): Storage {
  return {
    kind: `fixed-${delivery}`,
    delivery,
    stat: async (key) => (key === 'a.mp3' ? META : null),
    open: async () => Readable.from([BYTES]),
    accel: async () => ({ uri: '/internal/a.mp3' }),
    presign: async () => 'https://cdn.example/a.mp3?sig=1',
  };
}

function options(helmetOption: HelmetOptions | false | undefined): StationFilesOptions<{ id: string }> {
  const mem = memoryStorage({ withRead: true });
  mem.put('a.mp3', BYTES);
  const ref = (storage: string): FileRef => ({ station: 'alpha', storage, key: 'a.mp3', filename: 'a.mp3', public: true });
  const media: Record<string, FileRef> = { stream: ref('mem'), handoff: ref('handoff'), redirect: ref('redirect') };
  return {
    authenticate: (req, _res, next) => {
      if (req.headers['x-user'] === 'u') (req as http.IncomingMessage & { user?: unknown }).user = { id: 'u' };
      next();
    },
    authorize: (user, station) => user.id === 'u' && station === 'alpha',
    storages: { mem, handoff: fixedStorage('accel'), redirect: fixedStorage('redirect') },
    catalog: { mediaFile: ({ id }) => media[id] ?? null, episode: ({ episode }) => (episode === '9' ? ref('mem') : null) },
    ...(helmetOption === undefined ? {} : { helmet: helmetOption }),
  };
}

/** An Express host (X-Powered-By left on, so helmet's removal shows) with `router` under /api. */
async function listen(router: express.Router, before?: express.RequestHandler): Promise<{ url: string; close: () => Promise<void> }> {
  const app = express();
  app.use('/api', ...(before ? [before] : []), router);
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

interface Answer {
  status: number;
  /** [lower-case name, value] in the order sent; values that differ per request replaced. */
  headers: [string, string][];
}

function fetchHeaders(url: string, method: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => {
        const pairs: [string, string][] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          const name = String(res.rawHeaders[i]).toLowerCase();
          pairs.push([name, name === 'x-request-id' || name === 'date' ? '<varies>' : String(res.rawHeaders[i + 1])]);
        }
        resolve({ status: res.statusCode ?? 0, headers: pairs });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const MEDIA = (id: string, station = 'alpha'): string => `/station/${station}/file/${id}/play`;
const PUBLIC = (episode: string): string => `/station/alpha/public/podcast/1/episode/${episode}/download.mp3`;
const USER = { 'x-user': 'u' };
const KINDS: { name: string; path: string; method?: string; headers?: Record<string, string>; status: number }[] = [
  { name: 'stream 200', path: MEDIA('stream'), headers: USER, status: 200 },
  { name: 'stream 206', path: MEDIA('stream'), headers: { ...USER, range: 'bytes=2-5' }, status: 206 },
  { name: 'HEAD', path: MEDIA('stream'), method: 'HEAD', headers: USER, status: 200 },
  { name: '304', path: MEDIA('stream'), headers: { ...USER, 'if-none-match': '"v1"' }, status: 304 },
  { name: '412', path: MEDIA('stream'), headers: { ...USER, 'if-match': '"other"' }, status: 412 },
  { name: '416', path: MEDIA('stream'), headers: { ...USER, range: 'bytes=999-' }, status: 416 },
  { name: 'hand-off', path: MEDIA('handoff'), headers: { ...USER, 'x-station-files-accel': '1' }, status: 200 },
  { name: 'hand-off refused without nginx (502)', path: MEDIA('handoff'), headers: USER, status: 502 },
  { name: 'redirect', path: MEDIA('redirect'), headers: USER, status: 302 },
  { name: 'refusal 401', path: MEDIA('stream'), status: 401 },
  { name: 'refusal 403', path: MEDIA('stream', 'beta'), headers: USER, status: 403 },
  { name: 'refusal 404', path: MEDIA('missing'), headers: USER, status: 404 },
  { name: 'refusal 405', path: MEDIA('stream'), method: 'DELETE', headers: USER, status: 405 },
  { name: 'invalid id 400', path: MEDIA('a.b'), headers: USER, status: 400 },
  { name: 'public 200', path: PUBLIC('9'), status: 200 },
  { name: 'public HEAD', path: PUBLIC('9'), method: 'HEAD', status: 200 },
  { name: 'public 404', path: PUBLIC('8'), status: 404 },
  {
    name: 'public OPTIONS preflight',
    path: PUBLIC('9'),
    method: 'OPTIONS',
    headers: { origin: 'https://player.example', 'access-control-request-method': 'GET' },
    status: 204,
  },
];
const BAD_ESCAPE = { name: 'bad escape 400', path: '/station/alpha/file/%ZZ/play', headers: USER, status: 400 };

const CONFIGS: { name: string; helmet: HelmetOptions | undefined }[] = [
  { name: "helmet's defaults", helmet: undefined },
  {
    name: 'options, and a per-request CSP nonce',
    helmet: {
      contentSecurityPolicy: { directives: { scriptSrc: ["'self'", (req) => `'nonce-${String(req.headers['x-nonce'] ?? 'none')}'`] } },
      strictTransportSecurity: { maxAge: 60, preload: true },
      xFrameOptions: { action: 'deny' },
      referrerPolicy: { policy: ['origin', 'unsafe-url'] },
    },
  },
];

for (const config of CONFIGS) {
  describe(`helmet headers computed once: ${config.name}`, () => {
    let once: Awaited<ReturnType<typeof listen>>;
    let perRequest: Awaited<ReturnType<typeof listen>>;
    let without: Awaited<ReturnType<typeof listen>>;
    before(async () => {
      once = await listen(createStationFiles(options(config.helmet)).router());
      perRequest = await listen(createStationFiles(options(false)).router(), helmet(config.helmet) as unknown as express.RequestHandler);
      without = await listen(createStationFiles(options(false)).router());
    });
    after(async () => {
      await Promise.all([once.close(), perRequest.close(), without.close()]);
    });

    for (const kind of KINDS) {
      test(`${kind.name}: the same header list as helmet per request`, async () => {
        const headers = { ...kind.headers, 'x-nonce': kind.name.replace(/\W/g, '') };
        const got = await fetchHeaders(once.url + kind.path, kind.method ?? 'GET', headers);
        const want = await fetchHeaders(perRequest.url + kind.path, kind.method ?? 'GET', headers);
        assert.equal(got.status, kind.status);
        assert.deepEqual(got, want);
        assert.ok(!got.headers.some(([name]) => name === 'x-powered-by'), 'helmet removes X-Powered-By');
      });
    }

    test('a path whose escapes do not decode (400, answered outside the route): no helmet headers, as before', async () => {
      const got = await fetchHeaders(once.url + BAD_ESCAPE.path, 'GET', BAD_ESCAPE.headers);
      const bare = await fetchHeaders(without.url + BAD_ESCAPE.path, 'GET', BAD_ESCAPE.headers);
      assert.equal(got.status, 400);
      assert.deepEqual(got, bare);
    });
  });
}

describe('securityHeaders', () => {
  test('false: no middleware', () => {
    assert.equal(securityHeaders(false), null);
  });

  test('a CSP nonce function is still called per request; the static headers are the same on each', () => {
    const security = securityHeaders({ contentSecurityPolicy: { directives: { scriptSrc: [(req) => `'nonce-${String(req.headers['x-nonce'])}'`] } } });
    assert.ok(security);
    const run = (nonce: string): http.OutgoingHttpHeaders => {
      const req = new http.IncomingMessage(new Socket());
      req.headers = { 'x-nonce': nonce };
      const res = new http.ServerResponse(req);
      let passed = false;
      security(req, res, (err) => {
        passed = err === undefined;
      });
      assert.ok(passed);
      return res.getHeaders();
    };
    const one = run('one');
    const two = run('two');
    assert.match(String(one['content-security-policy']), /script-src 'nonce-one'/);
    assert.match(String(two['content-security-policy']), /script-src 'nonce-two'/);
    assert.deepEqual({ ...one, 'content-security-policy': null }, { ...two, 'content-security-policy': null });
    assert.equal(one['x-frame-options'], 'SAMEORIGIN');
  });
});
