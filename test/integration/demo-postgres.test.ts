// The demo panel as a fleet (issue 14): two instances on one PostgreSQL (DATABASE_URL) share
// sessions, API keys and one download history; when PostgreSQL restarts mid-run the panel answers
// 503 with a short reason (never a 500 or a stack trace), downloads already streaming finish, and
// it serves again once PostgreSQL is back. A real, throwaway PostgreSQL (test/support/postgres.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDemoApp, type DemoApp } from '../../demo-app/app';
import { fileUrl } from '../../demo-app/catalog';
import { readConfig } from '../../demo-app/config';
import { DEMO_LOGINS } from '../../demo-app/seed';
import { demoBackends, type DemoBackend, type DemoFixture } from '../support/demo-db';
import { request } from '../support/http';

const repo = path.resolve(__dirname, '..', '..');
const postgres = demoBackends()[1] as DemoBackend;
const admin = DEMO_LOGINS[0] as { email: string; password: string };
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

interface Instance {
  demo: DemoApp;
  base: string;
  stop(): Promise<void>;
}

/** One panel instance on the fixture's DATA_DIR (files, secrets) and PostgreSQL. */
async function instance(fx: DemoFixture, lines: string[] = []): Promise<Instance> {
  const demo = await createDemoApp(readConfig(fx.env), { accessLog: false, log: (l) => lines.push(l), onError: (e) => lines.push(e.message) });
  const server = await new Promise<Server>((resolve) => {
    const s = demo.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    demo,
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await demo.close();
    },
  };
}

async function login(base: string): Promise<string> {
  const r = await request(`${base}/login`, { method: 'POST', headers: FORM, body: new URLSearchParams(admin).toString() });
  assert.equal(r.status, 303, 'logged in');
  const cookie = String(r.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? '';
  assert.match(cookie, /^panel\.sid=/);
  return cookie;
}

/** The CLI as operators run it, on the fixture's DATABASE_URL. */
function cli(fx: DemoFixture, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('S3_')) env[k] = v;
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repo, 'demo-app', 'cli.ts'), ...args], {
    cwd: repo,
    env: { ...env, ...fx.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const NO_STACK = /\n\s+at |node:internal|Error:/;

before(() => postgres.setup(), { timeout: 180_000 });
after(() => postgres.teardown());

describe('two instances on one PostgreSQL', () => {
  let fx: DemoFixture;
  let a: Instance;
  let b: Instance;
  before(async () => {
    fx = await postgres.fresh();
    [a, b] = [await instance(fx), await instance(fx)];
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
  });

  test('a session made on one instance works on the other, and a logout on either ends it', async () => {
    const cookie = await login(a.base);
    for (const i of [a, b]) {
      const page = await request(`${i.base}/`, { headers: { cookie } });
      assert.equal(page.status, 200);
      assert.match(page.body.toString(), /Radio Alpha/);
    }
    const out = await request(`${b.base}/logout`, { method: 'POST', headers: { cookie } });
    assert.equal(out.status, 303);
    const gone = await request(`${a.base}/`, { headers: { cookie } });
    assert.equal(gone.status, 303);
    assert.equal(gone.headers.location, '/login');
  });

  test("an API key made by the CLI works on either; one history holds both instances' downloads", async () => {
    const created = await cli(fx, ['api-key', 'create', '--user', admin.email, '--json']);
    assert.equal(created.code, 0, created.stderr);
    const { key } = JSON.parse(created.stdout) as { key: string };
    const alpha = await a.demo.db.station('alpha');
    assert.ok(alpha);
    const media = (await a.demo.db.files(alpha.id, 'media'))[0];
    assert.ok(media);
    const ids: string[] = [];
    for (const i of [a, b]) {
      const got = await request(i.base + fileUrl('alpha', media), { headers: { 'x-api-key': key } });
      assert.equal(got.status, 200);
      assert.equal(got.body.length, media.size);
      ids.push(String(got.headers['x-request-id']));
      const list = await request(`${i.base}/api/station/alpha/media`, { headers: { 'x-api-key': key } });
      assert.equal(list.status, 200);
    }
    // Each instance writes its own event; the CLI and either instance read both.
    await until(
      'both downloads in the shared history',
      async () => ids.every(async () => true) && (await b.demo.db.downloads('alpha', '')).filter((r) => ids.includes(r.id)).length === 2,
    );
    const listed = await cli(fx, ['downloads', '--station', 'alpha', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    const rows = JSON.parse(listed.stdout) as { id: string; fileId: string; bytesSent: number }[];
    assert.deepEqual(
      rows.filter((r) => ids.includes(r.id)).map((r) => [r.fileId, r.bytesSent]),
      [
        [String(media.id), media.size],
        [String(media.id), media.size],
      ],
    );
    const report = await request(`${a.base}/api/station/alpha/downloads`, { headers: { 'x-api-key': key } });
    const today = new Date().toISOString().slice(0, 10);
    const daily = (JSON.parse(report.body.toString()) as { daily: { day: string; downloads: number }[] }).daily.find((d) => d.day === today);
    assert.ok(daily && daily.downloads >= 2, 'the daily figure counts both instances');

    const revoked = await cli(fx, ['api-key', 'list', '--user', admin.email, '--json']);
    const [listedKey] = JSON.parse(revoked.stdout) as { id: number }[];
    assert.ok(listedKey);
    assert.equal((await cli(fx, ['api-key', 'revoke', '--id', String(listedKey.id), '--json'])).code, 0);
    for (const i of [a, b]) assert.equal((await request(i.base + fileUrl('alpha', media), { headers: { 'x-api-key': key } })).status, 401);
  });

  test('bad input stays a 4xx on PostgreSQL: ids past its integer range, NUL in names', async () => {
    const cookie = await login(a.base);
    const cases: [string, number][] = [
      ['/api/station/alpha/file/99999999999/play', 401],
      ['/feeds/alpha/99999999999.xml', 404],
      ['/feeds/al%00pha/1.xml', 404],
      ['/station/al%00pha', 404],
    ];
    for (const [url, status] of cases) {
      const r = await request(a.base + url, { headers: url.startsWith('/station') ? { cookie } : {} });
      assert.equal(r.status, status, url);
    }
    const withKey = await request(`${a.base}/api/station/alpha/file/99999999999/play`, { headers: { cookie } });
    assert.equal(withKey.status, 404);
  });
});

describe('PostgreSQL restarted mid-run', () => {
  test('503 with a short reason while it is down, downloads in flight finish, and it serves again when back', { timeout: 180_000 }, async () => {
    const fx = await postgres.fresh();
    const lines: string[] = [];
    const i = await instance(fx, lines);
    const cluster = postgres.postgres;
    assert.ok(cluster);
    try {
      const cookie = await login(i.base);
      const key = await i.demo.db.createApiKey(1);
      const alpha = await i.demo.db.station('alpha');
      assert.ok(alpha);
      const long = (await i.demo.db.files(alpha.id, 'recording')).reduce((x, y) => (y.size > x.size ? y : x));
      // A download under way: its first bytes read, then paused while PostgreSQL goes away.
      const inFlight = await new Promise<http.IncomingMessage>((resolve, reject) => {
        http.get(i.base + fileUrl('alpha', long), { headers: { 'x-api-key': key } }, resolve).on('error', reject);
      });
      assert.equal(inFlight.statusCode, 200);
      let received = 0;
      const first = await new Promise<Buffer>((resolve) => inFlight.once('data', resolve));
      received += first.length;
      inFlight.pause();

      await cluster.stop();
      const page = await request(`${i.base}/`, { headers: { cookie } });
      assert.equal(page.status, 503);
      assert.match(page.body.toString(), /^Service Unavailable: the database/);
      assert.doesNotMatch(page.body.toString(), NO_STACK);
      assert.equal(page.headers['retry-after'], '5');
      const api = await request(`${i.base}/api/station/alpha/media`, { headers: { 'x-api-key': key } });
      assert.equal(api.status, 503);
      assert.match((JSON.parse(api.body.toString()) as { error: string }).error, /^service unavailable: the database/);
      const file = await request(i.base + fileUrl('alpha', long), { headers: { 'x-api-key': key } });
      assert.equal(file.status, 503, 'a new download needs the database: 503, not 500');
      const form = await request(`${i.base}/login`, { method: 'POST', headers: FORM, body: new URLSearchParams(admin).toString() });
      assert.equal(form.status, 503);
      const feed = await request(`${i.base}/feeds/alpha/1.xml`);
      assert.equal(feed.status, 503);
      assert.equal((await request(`${i.base}/static/panel.css`)).status, 200, 'static files need no database');

      // The paused download goes on to its last byte.
      inFlight.on('data', (c: Buffer) => {
        received += c.length;
      });
      inFlight.resume();
      await new Promise((resolve) => inFlight.on('end', resolve));
      assert.equal(received, long.size, 'the download in flight finished');

      await cluster.start();
      await until('the panel serves again', async () => (await request(`${i.base}/`, { headers: { cookie } })).status === 200);
      const again = await request(i.base + fileUrl('alpha', long), { method: 'HEAD', headers: { 'x-api-key': key } });
      assert.equal(again.status, 200);
      assert.ok(
        lines.some((l) => /database unavailable: /.test(l)),
        lines.join('\n'),
      );
      assert.ok(
        lines.some((l) => /database reachable again/.test(l)),
        lines.join('\n'),
      );
    } finally {
      await i.stop();
    }
  });
});
