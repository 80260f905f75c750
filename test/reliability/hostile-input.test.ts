// Hostile input against the panel app (test/support/panel-app.ts, routers at /api) and against
// nginx in front of an app that hands local and S3 files off with X-Accel-Redirect: traversal in
// every encoding, ids no catalog has, catalog keys that would leave their root or S3 prefix,
// oversized headers, hostile file names in Content-Disposition and the hand-off, and signed links
// that are expired, moved, truncated, re-encoded, duplicated or signed with rotated-out keys.
// Every answer: never a 5xx, never another file's bytes, the documented status.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client, s3Storage } from '../../lib/entry/s3';
import { localStorage, nginxConfig, type FileRef, type SigningKey } from '../../lib';
import { FIXTURES, USERS, fixtureBytes, startPanelApp, type PanelApp } from '../support/panel-app';
import { freePort, startNginx, type NginxInstance } from '../support/nginx';
import { createTestS3Client, deterministicRange, ensureBucket, s3TestConfig } from '../support/s3';
import {
  HOSTILE_NAMES,
  dispositionProblems,
  headerOf,
  hostileBytes,
  rawRequest,
  startMiniApp,
  writeHostileFiles,
  type MiniApp,
  type RawReply,
} from './support/hostile-apps';
import { BRAVO_RECORDING, ESCAPING_KEYS, OVERSIZED, PATHS, SEGMENTS, signedLinkCases } from './support/hostile-cases';
import { chooseContentType, inlineAllowed } from '../../lib/entry/http';

// Express logs every 4xx error it answers (a URIError per undecodable id) unless NODE_ENV is 'test'.
process.env.NODE_ENV ??= 'test';

const cfg = s3TestConfig();
const setup = createTestS3Client().client;
const client = createS3Client({
  endpoint: cfg.endpoint,
  region: cfg.region,
  forcePathStyle: cfg.forcePathStyle,
  credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey },
});
const base = `hostile-${Date.now().toString(36)}`;
const ADMIN: [string, string] = ['Authorization', `Bearer ${USERS.globalAdmin.token}`];
const KEY: [string, string] = ['X-Api-Key', 'ok'];
const secret = (name: string): Buffer => deterministicRange(`secret:${name}`, 4096, 0, 4095);
const OK_BYTES = deterministicRange('ok.bin', 5000, 0, 4999);
const M11 = fixtureBytes(FIXTURES.alphaMedia);
// Every file either server could send: a refusal must contain none of them.
const ALL_FILES = [
  ...Object.values(FIXTURES).map(fixtureBytes),
  ...HOSTILE_NAMES.map(hostileBytes),
  OK_BYTES,
  ...['other', 'parent', 'root', 'outside'].map(secret),
];

let dir: string;
let panel: PanelApp;
let accel: MiniApp;
let nginx: NginxInstance;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sf-hostile-'));
  // Local layout mirrors the S3 one: <dir>/media is a storage root, the secrets sit around it.
  for (const [file, bytes] of [
    ['media/ok.bin', OK_BYTES],
    ['other-prefix/secret.bin', secret('other')],
    ['secret.bin', secret('parent')],
    ['outside.bin', secret('outside')],
    ['media/m11.mp3', M11],
  ] as const) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), bytes);
  }
  await writeHostileFiles(path.join(dir, 'names'));
  await ensureBucket(setup, cfg.bucket);
  for (const [Key, Body] of [
    [`${base}/media/ok.bin`, OK_BYTES],
    [`${base}/other-prefix/secret.bin`, secret('other')],
    [`${base}/secret.bin`, secret('parent')],
    ['secret.bin', secret('root')],
  ] as const) {
    await setup.send(new PutObjectCommand({ Bucket: cfg.bucket, Key, Body }));
  }
  const s3 = { client, bucket: cfg.bucket, prefix: `${base}/media/` };
  panel = await startPanelApp({
    express: 'v5',
    publicRateLimit: false,
    storages: { s3: s3Storage(s3), esc: localStorage({ root: path.join(dir, 'media') }), names: localStorage({ root: path.join(dir, 'names') }) },
  });
  const storages = {
    s3: s3Storage({ ...s3, accel: {} }),
    esc: localStorage({ root: path.join(dir, 'media'), accelPrefix: '/_station_files/esc' }),
    names: localStorage({ root: path.join(dir, 'names'), accelPrefix: '/_station_files/names' }),
  };
  accel = await startMiniApp(storages);
  const row = (storage: string, key: string, filename = 'file.bin'): FileRef => ({ station: 'alpha', storage, key, filename });
  for (const rows of [panel.data.media, accel.rows]) {
    ESCAPING_KEYS.forEach((key, i) => {
      rows.set(`s3-esc-${i}`, row('s3', key));
      rows.set(`disk-esc-${i}`, row('esc', key));
    });
    rows.set('s3-ok', row('s3', 'ok.bin'));
    rows.set('disk-ok', row('esc', 'ok.bin'));
    for (const h of HOSTILE_NAMES) rows.set(h.id, row('names', h.key, h.filename));
  }
  accel.rows.set('m11', row('esc', 'm11.mp3', 'Jingle.mp3')); // the panel has its own m11
  const port = await freePort();
  nginx = await startNginx({ listenPort: port, config: await nginxConfig({ listen: `127.0.0.1:${port}`, app: `127.0.0.1:${accel.port}`, storages }) });
});

after(async () => {
  await nginx?.stop();
  await accel?.close();
  await panel?.close();
  client.destroy();
  setup.destroy();
  await rm(dir, { recursive: true, force: true });
});

/** Problems with a reply that must not serve a file (or, with `legit`, must serve exactly that one). */
function problems(r: RawReply, allowed: number[], legit?: Buffer): string[] {
  const out: string[] = [];
  if (!allowed.includes(r.status)) out.push(`status ${r.status} (allowed ${allowed.join('/')})`);
  if (r.status === 200 && legit) {
    if (!r.body.equals(legit)) out.push(`200 with ${r.body.length} bytes that are not the file`);
    return out;
  }
  const leaked = ALL_FILES.find((f) => f.length > 0 && r.body.includes(f.subarray(0, 64)));
  if (leaked) out.push(`file bytes in a ${r.status} body`);
  if (headerOf(r, 'content-disposition') !== undefined) out.push(`Content-Disposition on a ${r.status}`);
  if (headerOf(r, 'x-accel-redirect') !== undefined) out.push('X-Accel-Redirect reached the client');
  return out;
}

async function healthy(origin: string, pathToM11: string, auth: [string, string]): Promise<void> {
  const r = await rawRequest(origin, 'GET', pathToM11, [auth]);
  assert.equal(r.status, 200, `a normal GET after hostile input: ${r.status}`);
  assert.ok(r.body.equals(M11));
}

const PANEL_ROUTES = [
  { ids: ['alpha', 's1', 'b101'], build: (i: string[]) => `/api/station/${i[0]}/streamer/${i[1]}/broadcast/${i[2]}/download`, open: false },
  { ids: ['alpha', 'm11'], build: (i: string[]) => `/api/station/${i[0]}/file/${i[1]}/play`, open: false },
  { ids: ['alpha', 'p1', 'e1'], build: (i: string[]) => `/api/station/${i[0]}/podcast/${i[1]}/episode/${i[2]}/media`, open: false },
  { ids: ['alpha', 'p1', 'e1'], build: (i: string[]) => `/api/station/${i[0]}/public/podcast/${i[1]}/episode/${i[2]}/download.mp3`, open: true },
];

describe('ids and paths', () => {
  for (const target of ['panel', 'nginx'] as const) {
    test(`${target}: ${SEGMENTS.length} hostile segments in every id position, and path tricks: 400/404 (401 first when anonymous)`, async (t) => {
      const [origin, m11, auth] =
        target === 'panel' ? [panel.origin, '/api/station/alpha/file/m11/play', ADMIN] : [nginx.url, '/station/alpha/file/m11/play', KEY];
      const routes = target === 'panel' ? PANEL_ROUTES : [{ ids: ['alpha', 'm11'], build: (i: string[]) => `/station/${i[0]}/file/${i[1]}/play`, open: false }];
      const creds: { auth: [string, string][]; anonymous: boolean }[] = [
        { auth: [auth], anonymous: false },
        { auth: [], anonymous: true },
      ];
      const found: string[] = [];
      let sent = 0;
      for (const route of routes) {
        for (let slot = 0; slot < route.ids.length; slot++) {
          for (const segment of SEGMENTS) {
            const p = route.build(route.ids.map((id, i) => (i === slot ? segment : id)));
            for (const c of creds) {
              const allowed = [400, 404, ...(c.anonymous && !route.open ? [401] : []), ...(p.length > 8000 ? [414, 431] : [])];
              const r = await rawRequest(origin, 'GET', p, c.auth);
              sent++;
              for (const x of problems(r, allowed)) found.push(`${c.anonymous ? 'anonymous' : 'admin'} GET ${JSON.stringify(p.slice(0, 120))}: ${x}`);
            }
          }
        }
      }
      for (const raw of PATHS) {
        if (target === 'panel' && raw === '*') {
          // Never reaches the router: the host's express-session skips a path outside its cookie path,
          // and passport.session() then throws (500). Host middleware, not station-files: no file bytes is all we ask.
          const star = await rawRequest(origin, 'GET', raw, [auth]);
          t.diagnostic(`panel: GET * → ${star.status} (from the host's session middleware)`);
          for (const x of problems(star, [star.status])) found.push(`admin GET *: ${x}`);
          continue;
        }
        const p = target === 'panel' ? raw : raw.replace('/api', '');
        const r = await rawRequest(origin, 'GET', p, [auth]);
        sent++;
        // The same file under a spelling the router accepts is fine; anything else is refused.
        for (const x of problems(r, [200, 400, 403, 404], M11)) found.push(`admin GET ${JSON.stringify(p)}: ${x}`);
      }
      t.diagnostic(`${target}: ${sent} requests, ${found.length} problems`);
      assert.deepEqual(found, []);
      await healthy(origin, m11, auth);
      if (target === 'panel') assert.deepEqual(panel.errors.map(String), [], 'no unexpected errors reached onError');
    });
  }

  test("another station's ids are 404 (or 403 where the user lacks the station), never the file", async () => {
    const bearer = (u: { token: string }): [string, string] => ['Authorization', `Bearer ${u.token}`];
    const cases: [string, [string, string], number | number[]][] = [
      ['/api/station/alpha/streamer/s9/broadcast/b201/download', ADMIN, 404], // bravo's broadcast under alpha
      ['/api/station/bravo/streamer/s1/broadcast/b101/download', bearer(USERS.bravoDj), 404], // alpha's, asked by bravo's DJ
      ['/api/station/alpha/streamer/s9/broadcast/b201/download', bearer(USERS.alphaDj), 404],
      ['/api/station/alpha/streamer/s1/broadcast/b101/download', bearer(USERS.bravoDj), 403],
      ['/api/station/alpha/streamer/s9/broadcast/b101/download', ADMIN, 404], // right broadcast, wrong streamer
      ['/api/station/bravo/file/m11/play', ADMIN, 404],
      ['/api/station/bravo/podcast/p1/episode/e1/media', ADMIN, 404],
      ['/api/station/bravo/public/podcast/p1/episode/e1/download.mp3', ['X-None', '1'], 404],
      ['/api/station/alpha/public/podcast/p1/episode/e2/download.mp3', ['X-None', '1'], 404], // the draft
      ['/api/station/alpha/public/podcast/p1/episode/e1/download.exe', ['X-None', '1'], 404],
      ['/api/station/alpha/public/podcast/p1/episode/e1/download.mp3%00', ['X-None', '1'], [400, 404]],
    ];
    for (const [p, auth, status] of cases) {
      const r = await rawRequest(panel.origin, 'GET', p, [auth]);
      assert.deepEqual(problems(r, [status].flat()), [], `${p} as ${auth[1]}`);
    }
  });
});

describe('catalog keys that would leave their root or S3 prefix', () => {
  for (const target of ['panel (stream)', 'nginx (accel)'] as const) {
    test(`${target}: ${ESCAPING_KEYS.length} keys × local and S3 storage are 404, never the secret next door`, async () => {
      const [origin, prefix, auth] = target === 'panel (stream)' ? [panel.origin, '/api', ADMIN] : [nginx.url, '', KEY];
      const found: string[] = [];
      for (const storage of ['s3', 'disk']) {
        const ok = await rawRequest(origin, 'GET', `${prefix}/station/alpha/file/${storage}-ok/play`, [auth]);
        assert.equal(ok.status, 200, `${storage}-ok: ${ok.body.toString().slice(0, 200)}`);
        assert.ok(ok.body.equals(OK_BYTES));
        for (let i = 0; i < ESCAPING_KEYS.length; i++) {
          for (const method of ['GET', 'HEAD']) {
            const r = await rawRequest(origin, method, `${prefix}/station/alpha/file/${storage}-esc-${i}/play`, [auth]);
            for (const x of problems(r, [404])) found.push(`${method} ${storage} key ${JSON.stringify(ESCAPING_KEYS[i])}: ${x}`);
          }
        }
      }
      assert.deepEqual(found, []);
    });
  }
});

describe('oversized headers', () => {
  for (const target of ['panel', 'nginx'] as const) {
    test(`${target}: ${OVERSIZED.length} oversized requests get a 4xx (or the documented 200), and the server keeps serving`, async (t) => {
      const [origin, p, auth] =
        target === 'panel' ? [panel.origin, '/api/station/alpha/file/m11/play', ADMIN] : [nginx.url, '/station/alpha/file/m11/play', KEY];
      const found: string[] = [];
      for (const o of OVERSIZED) {
        const r = await rawRequest(origin, 'GET', p + (o.path ?? ''), [auth, ...o.headers]);
        t.diagnostic(`${target}: ${o.name} → ${r.status} ${String(headerOf(r, 'content-type'))}`);
        const allowed = [400, 413, 414, 416, 431, ...(o.rangeIgnored ? [200] : [])];
        for (const x of problems(r, allowed, o.rangeIgnored ? M11 : undefined)) found.push(`${o.name}: ${x}`);
        await healthy(origin, p, auth);
      }
      assert.deepEqual(found, []);
      if (target === 'panel') assert.deepEqual(panel.errors.map(String), []);
    });
  }
});

describe('several or malformed ranges, and preconditions: the app decides, with or without nginx', () => {
  // README: several ranges get 200 with the whole file (never multipart/byteranges), a malformed Range is
  // ignored; RFC 9110 13.1.4: If-Unmodified-Since is ignored when If-Match is present.
  const old = 'Thu, 01 Jan 1970 00:00:01 GMT';
  const CASES: [string, (etag: string) => [string, string][], number][] = [
    ['bytes=0-1', () => [['Range', 'bytes=0-1']], 206],
    ['bytes=0-1,5-6', () => [['Range', 'bytes=0-1,5-6']], 200],
    ['bytes=0-10,0-10', () => [['Range', 'bytes=0-10,0-10']], 200],
    ['bytes=0-1, 3-4', () => [['Range', 'bytes=0-1, 3-4']], 200],
    ['bytes=5-2', () => [['Range', 'bytes=5-2']], 200],
    ['bytes=0-1,-0', () => [['Range', 'bytes=0-1,-0']], 200],
    [
      'If-Match: <its ETag> + an old If-Unmodified-Since',
      (etag) => [
        ['If-Match', etag],
        ['If-Unmodified-Since', old],
      ],
      200,
    ],
  ];
  for (const [target, id] of [
    ['panel (stream)', 'm11'],
    ['nginx, local file (accel)', 'm11'],
    ['nginx, S3 object (accel)', 's3-ok'],
  ] as const) {
    test(`${target}: ${CASES.map(([name, , st]) => `${name} → ${st}`).join(', ')}`, async () => {
      const [origin, prefix, auth] = target === 'panel (stream)' ? [panel.origin, '/api', ADMIN] : [nginx.url, '', KEY];
      const url = `${prefix}/station/alpha/file/${id}/play`;
      const etag = String(headerOf(await rawRequest(origin, 'HEAD', url, [auth]), 'etag'));
      const file = id === 'm11' ? M11 : OK_BYTES;
      const found: string[] = [];
      for (const [name, headers, status] of CASES) {
        // Documented limit (README, Behind nginx): nginx applies its own If-Unmodified-Since to
        // local files even next to If-Match, so that case holds only where the app sends the bytes.
        if (target === 'nginx, local file (accel)' && name.includes('If-Unmodified-Since')) continue;
        const r = await rawRequest(origin, 'GET', url, [auth, ...headers(etag)]);
        const want = status === 206 ? file.subarray(0, 2) : file;
        if (r.status !== status || !r.body.equals(want)) {
          found.push(`${name}: ${r.status} ${String(headerOf(r, 'content-type'))} (${r.body.length} bytes), expected ${status} with ${want.length} bytes`);
        }
      }
      assert.deepEqual(found, []);
    });
  }
});

describe('hostile file names in Content-Disposition and the nginx hand-off', () => {
  for (const target of ['panel (stream)', 'nginx (accel)'] as const) {
    test(`${target}: ${HOSTILE_NAMES.length} names: the right bytes, a parseable header, no injected header`, async () => {
      const [origin, prefix, auth] = target === 'panel (stream)' ? [panel.origin, '/api', ADMIN] : [nginx.url, '', KEY];
      const names = (r: RawReply): string =>
        [...new Set(r.headers.map(([k]) => k))]
          .filter((k) => k !== 'date')
          .sort()
          .join(',');
      const plain = await rawRequest(origin, 'GET', `${prefix}/station/alpha/file/h01/play`, [auth]);
      const found: string[] = [];
      for (const h of HOSTILE_NAMES) {
        for (const range of [undefined, 'bytes=10-19']) {
          const r = await rawRequest(origin, 'GET', `${prefix}/station/alpha/file/${h.id}/play`, [
            auth,
            ...(range ? [['Range', range] as [string, string]] : []),
          ]);
          const want = range ? hostileBytes(h).subarray(10, 20) : hostileBytes(h);
          const label = `${h.id} ${JSON.stringify(h.filename).slice(0, 60)}${range ? ' (range)' : ''}`;
          if (r.status !== (range ? 206 : 200)) found.push(`${label}: status ${r.status} ${r.body.toString().slice(0, 100)}`);
          else if (!r.body.equals(want)) found.push(`${label}: wrong bytes`);
          // The media route plays inline only types that cannot script; anything else (.exe, no extension) is an attachment.
          const type = inlineAllowed(chooseContentType({ filename: h.filename })) ? 'inline' : 'attachment';
          for (const x of dispositionProblems(headerOf(r, 'content-disposition'), h, type)) found.push(`${label}: ${x}`);
          if (r.headers.some(([k]) => k === 'set-cookie' || k === 'x-injected')) found.push(`${label}: injected header`);
          if (names(r).replace(',content-range', '') !== names(plain)) found.push(`${label}: headers ${names(r)} differ from ${names(plain)}`);
        }
      }
      assert.deepEqual(found, []);
    });
  }
});

describe('signed links', () => {
  const CASES = signedLinkCases();
  test(`panel: ${CASES.length} replayed, moved, truncated, re-encoded and duplicated links`, async () => {
    const found: string[] = [];
    for (const [name, p, query, method, allowed, reason] of CASES) {
      const r = await rawRequest(panel.origin, method, `/api${p}?${query}`, method === 'POST' ? [['Content-Length', '0']] : []);
      const legit = p === BRAVO_RECORDING ? fixtureBytes(FIXTURES.bravoRecording) : method === 'HEAD' ? Buffer.alloc(0) : M11;
      for (const x of problems(r, allowed, legit)) found.push(`${name}: ${x}`);
      if (reason && r.body.toString().trim() !== reason) found.push(`${name}: reason ${JSON.stringify(r.body.toString())}, expected ${reason}`);
    }
    assert.deepEqual(found, []);
  });

  test('key rotation: links of key A work where A is listed, links of B where B is; a relabelled kid never', async () => {
    const A = { id: 'key-a', secret: 'secret A: 0123456789abcdef0123456789abcdef' };
    const B = { id: 'key-b', secret: 'secret B: 0123456789abcdef0123456789abcdef' };
    const storages = { esc: localStorage({ root: path.join(dir, 'media') }) };
    const sets: [string, SigningKey[] | string[], SigningKey[] | string[], SigningKey[] | string[]][] = [
      ['{ id, secret } keys', [A], [B, A], [B]],
      ['bare-string keys (derived ids)', [A.secret], [B.secret, A.secret], [B.secret]],
    ];
    for (const [label, keysA, keysBA, keysB] of sets) {
      const apps = { A: await startMiniApp(storages, keysA), BA: await startMiniApp(storages, keysBA), B: await startMiniApp(storages, keysB) };
      try {
        for (const app of Object.values(apps)) app.rows.set('r1', { station: 'alpha', storage: 'esc', key: 'ok.bin', filename: 'ok.bin' });
        const linkA = new URL(apps.A.signedUrl('r1'));
        const linkB = new URL(apps.BA.signedUrl('r1'));
        const relabelled = new URL(linkA);
        relabelled.searchParams.set('kid', linkB.searchParams.get('kid') as string);
        const expected: [string, URL, keyof typeof apps, number][] = [
          ['A', linkA, 'A', 200],
          ['A', linkA, 'BA', 200],
          ['A', linkA, 'B', 403],
          ['B', linkB, 'A', 403],
          ['B', linkB, 'BA', 200],
          ['B', linkB, 'B', 200],
          ['A relabelled as B', relabelled, 'BA', 403],
          ['A relabelled as B', relabelled, 'B', 403],
        ];
        for (const [link, url, app, status] of expected) {
          const r = await rawRequest(apps[app].origin, 'GET', url.pathname + url.search);
          assert.deepEqual(problems(r, [status], OK_BYTES), [], `${label}: link signed with ${link}, on the app with keys ${app}`);
        }
      } finally {
        for (const app of Object.values(apps)) await app.close();
      }
    }
  });
});
