// The demo panel's security fixes (issue 10): refusals kept out of station history and reports
// aggregated over every row, login limits / hash cap / dummy hash, cross-site form posts, the
// session cookie's Secure flag, file modes of the data folder, feed URLs and XML validity,
// API key list/revoke, the demo credentials on the login page, and nginx workers not as root.
// The history and report cases run on SQLite and on PostgreSQL (DATABASE_URL).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { chmod, cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import express from 'express';
import Parser from 'rss-parser';
import { SaxesParser } from 'saxes';
import { createDemoApp, type DemoApp, type DemoAppOptions } from '../../demo-app/app';
import { hashStats, resetHashPeak } from '../../demo-app/auth/passwords';
import { fileUrl } from '../../demo-app/catalog';
import { readConfig } from '../../demo-app/config';
import { openSqlite, type Db, type SqliteDb } from '../../demo-app/db/database';
import { stationReport } from '../../demo-app/reports';
import { pagesRouter } from '../../demo-app/routes/pages';
import { DEMO_LOGINS } from '../../demo-app/seed';
import type { DownloadEvent } from '../../lib';
import { demoBackends, sqlAll, type DemoBackend } from '../support/demo-db';
import { request, type FullResult } from '../support/http';
import { freePort } from '../support/nginx';

const repo = path.resolve(__dirname, '..', '..');
const temps: string[] = [];
const backends = demoBackends();
const sqlite = backends[0] as DemoBackend;

interface Running {
  demo: DemoApp;
  base: string;
  dataDir: string;
  port: number;
  stop(): Promise<void>;
}

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

/** The demo on a copy of the seeded panel (SQLite unless given), on 127.0.0.1, with no S3_* from the runner. */
async function start(env: Record<string, string> = {}, options: DemoAppOptions = {}, backend = sqlite): Promise<Running> {
  const fx = await backend.fresh();
  const dataDir = fx.dataDir;
  const demo = await createDemoApp(readConfig({ ...fx.env, ...env }), { accessLog: false, ...options });
  const server = await new Promise<Server>((resolve) => {
    const s = demo.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  return {
    demo,
    dataDir,
    port,
    base: `http://127.0.0.1:${port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await demo.close();
    },
  };
}

const form = (fields: Record<string, string>): string => new URLSearchParams(fields).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const adminPassword = (DEMO_LOGINS[0] as { password: string }).password;

function login(base: string, email: string, password: string, headers: Record<string, string> = {}): Promise<FullResult> {
  return request(`${base}/login`, { method: 'POST', headers: { ...FORM, ...headers }, body: form({ email, password }) });
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const one = async (db: Db, sql: string, params: unknown[] = []): Promise<number> => (await sqlAll<{ n: number | null }>(db, sql, params))[0]?.n ?? 0;
const historyCount = (db: Db, station: string): Promise<number> => one(db, 'SELECT COUNT(*) AS n FROM downloads WHERE station = ?', [station]);

function event(overrides: Partial<DownloadEvent>): DownloadEvent {
  return {
    id: `t-${Math.random().toString(36).slice(2)}`,
    correlationId: null,
    authenticated: true,
    via: 'authenticate',
    linkSubject: null,
    stationExists: true,
    at: new Date().toISOString(),
    outcome: 'completed',
    status: 200,
    station: 'alpha',
    user: { id: '1', name: 'admin' },
    kind: 'recording',
    fileId: '1',
    ids: {},
    storage: 'local',
    delivery: 'stream',
    method: 'GET',
    range: null,
    served: null,
    bytesSent: 10,
    size: 10,
    durationMs: 1,
    ip: '192.0.2.1',
    userAgent: 'test',
    referer: null,
    reason: null,
    ...overrides,
  };
}

/** Strict XML 1.0 well-formedness (saxes): the first error, or null. */
function xmlError(xml: string): string | null {
  const parser = new SaxesParser({ xmlns: true });
  let first: string | null = null;
  parser.on('error', (e) => {
    first ??= e.message;
  });
  parser.write(xml).close();
  return first;
}

before(
  async () => {
    for (const b of backends) await b.setup();
  },
  { timeout: 180_000 },
);

after(async () => {
  for (const b of backends) await b.teardown();
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

for (const b of backends)
  describe(`download history: refusals kept out, reports over every row (${b.name})`, () => {
    let app: Running;
    before(async () => {
      app = await start({}, { database: { refusalRows: 50 } }, b);
    });
    after(() => app.stop());

    test('anonymous refusals and unknown stations stay out of station history, in a bounded place', async () => {
      const { db } = app.demo;
      const alpha = await db.station('alpha');
      assert.ok(alpha);
      const media = (await db.files(alpha.id, 'media'))[0];
      const recording = (await db.files(alpha.id, 'recording'))[0];
      assert.ok(media && recording);
      const before = await historyCount(db, 'alpha');
      const refusedBefore = (await db.refusalsPerDay('alpha', '2000-01-01')).reduce((n, r) => n + r.count, 0);
      const urls = [
        ...Array.from({ length: 60 }, () => app.base + fileUrl('alpha', media)),
        ...Array.from({ length: 20 }, () => app.base + fileUrl('alpha', recording)),
        ...Array.from({ length: 30 }, (_, i) => `${app.base}/api/station/nosuch${i}/file/${media.id}/play`),
      ];
      for (let i = 0; i < urls.length; i += 10) {
        const answers = await Promise.all(urls.slice(i, i + 10).map((u) => request(u)));
        for (const a of answers) assert.equal(a.status, 401);
      }
      await until('110 refusals counted', async () => (await one(db, 'SELECT SUM(count) AS n FROM refusal_days')) >= 110);
      assert.equal(await historyCount(db, 'alpha'), before, "no anonymous refusal in alpha's history");
      assert.equal(await one(db, "SELECT COUNT(*) AS n FROM downloads WHERE station LIKE 'nosuch%'"), 0);
      assert.equal(await db.refusalRowCount(), 50, 'refusal rows capped');
      const refused = (await db.refusalsPerDay('alpha', '2000-01-01')).reduce((n, r) => n + r.count, 0);
      assert.equal(refused - refusedBefore, 80, 'counted per day under alpha');
      const unknown = (await db.refusalsPerDay('', '2000-01-01')).reduce((n, r) => n + r.count, 0);
      assert.ok(unknown >= 30, 'made-up stations counted together, not one row each');
      assert.equal(await one(db, "SELECT COUNT(*) AS n FROM refusal_days WHERE station LIKE 'nosuch%'"), 0);
      const newest = (await db.refusals(1))[0];
      assert.ok(newest);
      assert.equal(newest.authenticated, 0);

      // An authenticated download does go to history, with the new fields; a correlation id from a
      // trusted proxy (loopback) is stored, and two requests with the same one are two rows.
      const key = await db.createApiKey(1);
      for (let i = 0; i < 2; i++) {
        const ok = await request(app.base + fileUrl('alpha', media), { headers: { 'x-api-key': key, 'x-request-id': 'nginx-request-7' } });
        assert.equal(ok.status, 200);
      }
      await until('2 downloads stored', async () => (await historyCount(db, 'alpha')) === before + 2);
      const rows = await sqlAll<Record<string, unknown>>(db, "SELECT * FROM downloads WHERE correlation_id = 'nginx-request-7'");
      assert.equal(rows.length, 2, 'a client-chosen X-Request-Id does not merge downloads');
      for (const r of rows) {
        assert.notEqual(r.id, 'nginx-request-7');
        assert.equal(r.authenticated, 1);
        assert.equal(r.station_exists, 1);
        assert.equal(r.status, 200);
      }
    });

    test('a duplicate event id is an error (plain INSERT), not a merged download', async () => {
      const e = event({ id: 'dup-1' });
      await app.demo.db.recordDownload(e);
      await assert.rejects(app.demo.db.recordDownload(e), /UNIQUE|duplicate key/);
    });

    test('daily figures and podcast counts cover every row, not the newest 10,000', { timeout: 120_000 }, async () => {
      const { db } = app.demo;
      const before = await stationReport(db, 'alpha');
      const today = new Date().toISOString().slice(0, 10);
      const fig = (r: typeof before) => r.daily.find((d) => d.day === today) ?? { downloads: 0, bytes: 0 };
      assert.ok(before.episodes.length > 0, 'seeded podcast downloads');
      await db.transaction(async (tx) => {
        for (let i = 0; i < 10_500; i++) await tx.recordDownload(event({ bytesSent: 10 }));
        // Authenticated refusals belong to history (a user was told no), newer than every download.
        for (let i = 0; i < 10_000; i++) await tx.recordDownload(event({ outcome: 'denied', status: 403, bytesSent: 0, served: null }));
      });
      const afterNoise = await stationReport(db, 'alpha');
      assert.equal(fig(afterNoise).downloads, fig(before).downloads + 10_500);
      assert.equal(fig(afterNoise).bytes, fig(before).bytes + 105_000);
      assert.deepEqual(afterNoise.episodes, before.episodes, 'podcast counts unchanged by newer rows');
      assert.equal(afterNoise.rows.length, 500, 'the table still shows only the newest rows');
    });
  });

describe('download history: SQLite upgrades', () => {
  test('an older database gets the new columns on open and keeps its rows', async () => {
    const file = path.join(await tempDir('demo-sec-legacy-'), 'panel.db');
    const old = new Database(file);
    old.exec(`CREATE TABLE downloads (id TEXT PRIMARY KEY, at TEXT NOT NULL, station TEXT, user_id TEXT, user_name TEXT, kind TEXT NOT NULL,
      file_id TEXT, outcome TEXT NOT NULL, status INTEGER NOT NULL, method TEXT NOT NULL, range TEXT, bytes_sent INTEGER, size INTEGER,
      delivery TEXT, storage TEXT, duration_ms INTEGER NOT NULL, ip TEXT NOT NULL, user_agent TEXT, referer TEXT);
      CREATE TABLE api_keys (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, key_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);`);
    old
      .prepare(`INSERT INTO downloads VALUES ('old-1', ?, 'alpha', '2', 'dj', 'recording', '1', 'completed', 200, 'GET', NULL, 5, 5,
      'stream', 'local', 3, '192.0.2.1', 'ua', NULL)`)
      .run(new Date().toISOString());
    old.close();
    chmodSync(file, 0o644);
    const db = openSqlite(file);
    try {
      const columns = (db.raw.prepare('PRAGMA table_info(downloads)').all() as { name: string }[]).map((c) => c.name);
      for (const c of ['correlation_id', 'authenticated', 'station_exists']) assert.ok(columns.includes(c), c);
      const row = (await db.downloads('alpha', '2000-01-01'))[0];
      assert.equal(row?.id, 'old-1');
      assert.equal(row?.authenticated, null);
      const today = (await stationReport(db, 'alpha')).daily.at(-1);
      assert.deepEqual(today && { downloads: today.downloads, bytes: today.bytes }, { downloads: 1, bytes: 5 });
      assert.equal(statSync(file).mode & 0o777, 0o600, 'mode narrowed on open');
    } finally {
      await db.close();
    }
  });
});

describe('login: limits, hash cap, dummy hash, bad input', () => {
  let app: Running;
  before(async () => {
    app = await start({}, { loginLimits: { perIp: 5, perAccount: 3 } });
  });
  after(() => app.stop());

  test('an unknown email costs a password hash like a known one', async () => {
    const started = hashStats().started;
    const r = await login(app.base, 'nobody-here@example.com', 'whatever-password', { 'x-forwarded-for': '203.0.113.1' });
    assert.equal(r.status, 401);
    assert.equal(hashStats().started, started + 1);
  });

  test('per account: past the limit even the right password gets 429 with Retry-After and a reason', async () => {
    const ip = (n: number) => ({ 'x-forwarded-for': `198.51.100.${n}` }); // different IPs: only the account limit applies
    for (let i = 0; i < 3; i++) assert.equal((await login(app.base, 'dj@example.com', 'wrong-password', ip(i))).status, 401);
    const locked = await login(app.base, 'DJ@example.com', 'dj-demo-pass', ip(10));
    assert.equal(locked.status, 429);
    assert.match(String(locked.headers['retry-after']), /^[1-9]\d*$/);
    assert.match(locked.body.toString(), /Too many failed logins\. Try again in \d+ (minutes|seconds)\./);
    const other = await login(app.base, 'media@example.com', 'media-demo-pass', ip(11));
    assert.equal(other.status, 303, 'other accounts are not locked');
  });

  test('per IP: past the limit every attempt from it gets 429; other IPs do not', async () => {
    const from = { 'x-forwarded-for': '192.0.2.77' };
    for (let i = 0; i < 5; i++) assert.equal((await login(app.base, `guess${i}@example.com`, 'pw-guess', from)).status, 401);
    const limited = await login(app.base, 'guess9@example.com', 'pw-guess', from);
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers['retry-after']) > 0);
    assert.equal((await login(app.base, 'guess9@example.com', 'pw-guess', { 'x-forwarded-for': '192.0.2.78' })).status, 401);
  });

  test('parallel logins hash at most 2 at a time', async () => {
    resetHashPeak();
    const started = hashStats().started;
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => login(app.base, `flood${i}@example.com`, 'pw-flood', { 'x-forwarded-for': `203.0.113.${100 + i}` })),
    );
    for (const a of answers) assert.equal(a.status, 401);
    assert.equal(hashStats().started, started + 8);
    assert.ok(hashStats().peak <= 2, `peak ${hashStats().peak}`);
  });

  test('bad input: 400 with a short reason', async () => {
    const h = { 'x-forwarded-for': '203.0.113.200' };
    const missing = await request(`${app.base}/login`, { method: 'POST', headers: { ...FORM, ...h }, body: form({ email: 'a@b.c' }) });
    assert.equal(missing.status, 400);
    assert.match(missing.body.toString(), /Enter your email and password\./);
    const long = await login(app.base, 'a@b.c', 'x'.repeat(1025), h);
    assert.equal(long.status, 400);
    assert.match(long.body.toString(), /too long/);
  });
});

describe('cross-site requests and the session cookie', () => {
  let app: Running;
  before(async () => {
    app = await start({ PUBLIC_HOSTS: 'radio.example' });
  });
  after(() => app.stop());

  test('cross-site POSTs are refused with 403 and a reason; same-site ones and non-browsers pass', async () => {
    const refused: Record<string, string>[] = [
      { origin: 'https://attacker.example' },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site', origin: 'https://attacker.example' },
      { 'sec-fetch-site': 'same-site' },
    ];
    for (const h of refused) {
      const r = await login(app.base, 'admin@example.com', adminPassword, h);
      assert.equal(r.status, 403, JSON.stringify(h));
      assert.match(r.body.toString(), /^Cross-site request refused \(.+\)\n$/);
      assert.equal(r.headers['set-cookie'], undefined);
    }
    const logout = await request(`${app.base}/logout`, { method: 'POST', headers: { origin: 'https://attacker.example' } });
    assert.equal(logout.status, 403);
    const passed: Record<string, string>[] = [
      { 'sec-fetch-site': 'same-origin', origin: app.base },
      { origin: app.base },
      { origin: 'https://radio.example' }, // PUBLIC_HOSTS
      {},
    ];
    for (const h of passed) assert.equal((await login(app.base, 'admin@example.com', 'wrong-password', h)).status, 401, JSON.stringify(h));
    const ok = await login(app.base, 'admin@example.com', adminPassword, { 'sec-fetch-site': 'same-origin', origin: app.base });
    assert.equal(ok.status, 303);
  });

  test('COOKIE_SECURE=auto (default): Secure when the request came over HTTPS through the trusted proxy', async () => {
    const plain = await login(app.base, 'admin@example.com', adminPassword);
    assert.equal(plain.status, 303);
    assert.doesNotMatch(String(plain.headers['set-cookie']), /;\s*Secure/i);
    const tls = await login(app.base, 'admin@example.com', adminPassword, { 'x-forwarded-proto': 'https' });
    assert.equal(tls.status, 303);
    assert.match(String(tls.headers['set-cookie']), /;\s*Secure/i);
  });

  test('COOKIE_SECURE=true sets Secure; a wrong value is a configuration error', async () => {
    const secure = await start({ COOKIE_SECURE: 'true' });
    try {
      const tls = await login(secure.base, 'admin@example.com', adminPassword, { 'x-forwarded-proto': 'https' });
      assert.equal(tls.status, 303);
      assert.match(String(tls.headers['set-cookie']), /panel\.sid=.*;\s*Secure/i);
    } finally {
      await secure.stop();
    }
    assert.throws(() => readConfig({ COOKIE_SECURE: 'sometimes' }), /COOKIE_SECURE must be auto, true or false/);
    assert.throws(() => readConfig({ PUBLIC_HOSTS: 'ok.example,bad host' }), /PUBLIC_HOSTS/);
  });
});

describe('file modes of the data folder', () => {
  const mode = (p: string): number => statSync(p).mode & 0o777;

  test('created 0700 / 0600 (database, WAL, SHM, secrets)', { timeout: 120_000 }, async () => {
    const dataDir = path.join(await tempDir('demo-sec-modes-'), 'fresh');
    const demo = await createDemoApp(readConfig({ DATA_DIR: dataDir }), { accessLog: false });
    try {
      assert.equal(mode(dataDir), 0o700);
      for (const f of ['panel.db', 'panel.db-wal', 'panel.db-shm', 'secrets.json']) assert.equal(mode(path.join(dataDir, f)), 0o600, f);
    } finally {
      await demo.close();
    }
  });

  test('existing files left readable by an older version are narrowed on start', async () => {
    const dataDir = path.join(await tempDir('demo-sec-modes-'), 'old');
    await cp((await sqlite.fresh()).dataDir, dataDir, { recursive: true });
    await chmod(dataDir, 0o755);
    for (const f of ['panel.db', 'secrets.json']) if (existsSync(path.join(dataDir, f))) await chmod(path.join(dataDir, f), 0o644);
    const demo = await createDemoApp(readConfig({ DATA_DIR: dataDir }), { accessLog: false });
    try {
      assert.equal(mode(dataDir), 0o700);
      for (const f of ['panel.db', 'panel.db-wal', 'panel.db-shm', 'secrets.json']) assert.equal(mode(path.join(dataDir, f)), 0o600, f);
    } finally {
      await demo.close();
    }
  });
});

describe('podcast feed: URLs and XML', () => {
  let app: Running;
  before(async () => {
    app = await start();
  });
  after(() => app.stop());

  const feed = (base: string, host?: string) => request(`${base}/feeds/alpha/1.xml`, host ? { headers: { host } } : {});
  const urlsIn = (xml: string): string[] => [...xml.matchAll(/(?:url|href)="([^"]+)"|<link>([^<]+)<\/link>/g)].map((m) => (m[1] ?? m[2]) as string);

  test('a foreign Host header never reaches the feed; loopback names are kept', async () => {
    const r = await feed(app.base, 'attacker.example');
    assert.equal(r.status, 200);
    const xml = r.body.toString();
    assert.doesNotMatch(xml, /attacker/);
    for (const u of urlsIn(xml)) assert.ok(u.startsWith(`http://127.0.0.1:${app.port}/`), u);
    const local = (await feed(app.base, `localhost:${app.port}`)).body.toString();
    for (const u of urlsIn(local)) assert.ok(u.startsWith(`http://localhost:${app.port}/`), u);
  });

  test('PUBLIC_HOSTS: an allowed Host is used, any other gets the first; PUBLIC_URL wins', async () => {
    const hosts = await start({ PUBLIC_HOSTS: 'radio.example, cdn.radio.example:8443' });
    try {
      for (const [host, expected] of [
        ['cdn.radio.example:8443', 'cdn.radio.example:8443'],
        ['attacker.example', 'radio.example'],
        [`127.0.0.1:${hosts.port}`, 'radio.example'],
      ]) {
        const xml = (await feed(hosts.base, host)).body.toString();
        const urls = urlsIn(xml);
        assert.ok(urls.length >= 5);
        for (const u of urls) assert.equal(new URL(u).host, expected, `Host ${host}: ${u}`);
      }
    } finally {
      await hosts.stop();
    }
    const fixed = await start({ PUBLIC_URL: 'https://podcasts.example/radio/' });
    try {
      for (const u of urlsIn((await feed(fixed.base, 'attacker.example')).body.toString())) assert.ok(u.startsWith('https://podcasts.example/radio/'), u);
    } finally {
      await fixed.stop();
    }
  });

  test('characters XML 1.0 forbids are removed: the feed stays well-formed, with exact enclosures', async () => {
    const db = app.demo.db as SqliteDb;
    const alpha = await db.station('alpha');
    assert.ok(alpha);
    const episode = (await db.files(alpha.id, 'episode')).find((e) => e.published_at !== null);
    assert.ok(episode);
    db.raw.prepare('UPDATE files SET title = ?, description = ? WHERE id = ?').run('Bad\x01 title\uFFFE & <co>', 'desc\x0B with\x1F controls', episode.id);
    db.raw.prepare('UPDATE podcasts SET title = ? WHERE id = 1').run('Alpha\x02 Talks');
    const r = await feed(app.base);
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^application\/rss\+xml/);
    const xml = r.body.toString('utf8');
    assert.equal(xmlError(xml), null, 'strict XML 1.0 parser accepts the feed');
    const parsed = await new Parser({ customFields: { item: ['itunes:duration'] } }).parseString(xml);
    assert.equal(parsed.title, 'Alpha Talks');
    const item = parsed.items.find((i) => i.guid?.endsWith(`:${episode.id}`));
    assert.ok(item);
    assert.equal(item.title, 'Bad title & <co>');
    assert.equal(item.enclosure?.length, String(episode.size));
    assert.equal(item.enclosure?.type, 'audio/wav');
    assert.match(String(item['itunes:duration']), /^\d\d:\d\d:\d\d$/);
    assert.equal(parsed.items.length, 2, 'drafts excluded');
    for (const tag of ['<itunes:author>', '<itunes:image href=', '<itunes:explicit>', '<atom:link href=']) assert.ok(xml.includes(tag), tag);
  });
});

describe('API keys: list and revoke from the command line', () => {
  let app: Running;
  before(async () => {
    app = await start();
  });
  after(() => app.stop());

  function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('S3_')) env[k] = v;
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repo, 'demo-app', 'cli.ts'), ...args], {
      cwd: repo,
      env: { ...env, DATA_DIR: app.dataDir },
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
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  test('create (unchanged), list with id and creation time, revoke: the key stops working at once', { timeout: 60_000 }, async () => {
    const created = await cli(['api-key', 'create', '--user', 'dj@example.com', '--json']);
    assert.equal(created.code, 0, created.stderr);
    const { key } = JSON.parse(created.stdout) as { key: string };
    assert.deepEqual(Object.keys(JSON.parse(created.stdout) as object), ['key']);
    assert.equal((await request(`${app.base}/api/stations`, { headers: { 'x-api-key': key } })).status, 200);

    const listed = await cli(['api-key', 'list', '--user', 'dj@example.com', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    const keys = JSON.parse(listed.stdout) as { id: number; createdAt: string; prefix: string | null }[];
    assert.equal(keys.length, 1);
    const [only] = keys;
    assert.ok(only);
    assert.deepEqual(Object.keys(only).sort(), ['createdAt', 'id', 'prefix']);
    assert.equal(only.prefix, key.slice(0, 10));
    assert.ok(!Number.isNaN(Date.parse(only.createdAt)));
    const text = await cli(['api-key', 'list', '--user', 'dj@example.com']);
    assert.match(text.stdout, new RegExp(`^\\s*${only.id}\\s+\\S+\\s+${key.slice(0, 10).replace(/[-_]/g, '.')}…`, 'm'));

    const revoked = await cli(['api-key', 'revoke', '--id', String(only.id), '--json']);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.deepEqual(JSON.parse(revoked.stdout), { revoked: only.id, user: 'dj@example.com' });
    assert.equal((await request(`${app.base}/api/stations`, { headers: { 'x-api-key': key } })).status, 401);
    assert.deepEqual(JSON.parse((await cli(['api-key', 'list', '--user', 'dj@example.com', '--json'])).stdout), []);

    const again = await cli(['api-key', 'revoke', '--id', String(only.id)]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^cli: no API key with id \d+/);
    const bad = await cli(['api-key', 'revoke', '--id', 'abc']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--id "abc" is not a key id/);
  });
});

describe('demo credentials on the login page', () => {
  test('not shown for a DATA_DIR other than the demo default', async () => {
    const app = await start();
    try {
      const page = (await request(`${app.base}/login`)).body.toString();
      assert.match(page, /<form method="post" action="\/login"/);
      for (const l of DEMO_LOGINS) assert.ok(!page.includes(l.password), l.email);
    } finally {
      await app.stop();
    }
  });

  test('shown, labelled as demo credentials, when the router is given them (the default DATA_DIR)', async () => {
    const db = openSqlite(':memory:');
    const host = express();
    host.use(pagesRouter(db, { demoLogins: DEMO_LOGINS }));
    const server = await new Promise<Server>((resolve) => {
      const s = host.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const page = (await request(`http://127.0.0.1:${(server.address() as AddressInfo).port}/login`)).body.toString();
      assert.match(page, /Demo credentials \(seeded demo data only\)/);
      assert.ok(page.includes(adminPassword));
    } finally {
      server.closeAllConnections();
      server.close();
      await db.close();
    }
  });
});

describe('npm run demo:nginx: workers never run as root', () => {
  test('as root the workers are nobody, and they can read the files they hand off', { timeout: 120_000 }, async () => {
    const parent = await tempDir('demo-sec-nginx-');
    await chmod(parent, 0o755); // mkdtemp makes it 0700: the workers must pass through
    const dataDir = path.join(parent, 'data');
    await cp((await sqlite.fresh()).dataDir, dataDir, { recursive: true });
    const [port, nginxPort] = [await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('S3_') && k !== 'NGINX_USER') env[k] = v;
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repo, 'demo-app', 'nginx', 'run.ts')], {
      cwd: repo,
      env: { ...env, DATA_DIR: dataDir, PORT: String(port), NGINX_PORT: String(nginxPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      out += s;
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      await until('demo:nginx to start', () => out.includes('nginx config:') || child.exitCode !== null, 60_000);
      assert.match(out, /behind nginx/, out);
      const asRoot = process.getuid?.() === 0;
      const conf = readFileSync(path.join(dataDir, 'nginx', 'nginx.conf'), 'utf8');
      if (asRoot) assert.match(conf, /^user nobody (nogroup|nobody);$/m);
      else assert.doesNotMatch(conf, /^user /m);
      await until('nginx pid file', () => existsSync(path.join(dataDir, 'nginx', 'nginx.pid')));
      const master = Number(readFileSync(path.join(dataDir, 'nginx', 'nginx.pid'), 'utf8').trim());
      let workers: number[] = [];
      await until('an nginx worker', () => {
        workers = readFileSync(`/proc/${master}/task/${master}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
        return workers.length > 0;
      });
      const expectedUid = asRoot ? 65534 : process.getuid?.();
      // A worker is forked as root and drops to its user right after: give it that moment.
      const uidOf = (w: number): number => Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${w}/status`, 'utf8'))?.[1]);
      await until('the workers to drop to their user', () => workers.every((w) => uidOf(w) === expectedUid), 5_000).catch(() => undefined);
      for (const w of workers) {
        const uid = Number(/^Uid:\s+(\d+)/m.exec(await readFile(`/proc/${w}/status`, 'utf8'))?.[1]);
        assert.equal(uid, expectedUid, `worker ${w} runs as uid ${uid}`);
      }
      // A download handed off to nginx (X-Accel-Redirect): the worker reads the file itself.
      const db = openSqlite(path.join(dataDir, 'panel.db'));
      let key: string;
      let url: string;
      let stored: Buffer;
      try {
        key = await db.createApiKey(1);
        const alpha = await db.station('alpha');
        assert.ok(alpha);
        const media = (await db.files(alpha.id, 'media'))[0];
        assert.ok(media);
        url = fileUrl('alpha', media);
        stored = readFileSync(path.join(dataDir, 'files', ...media.key.split('/')));
      } finally {
        await db.close();
      }
      const got = await request(`http://127.0.0.1:${nginxPort}${url}`, { headers: { 'x-api-key': key } });
      assert.equal(got.status, 200);
      assert.ok(got.body.equals(stored), 'bytes from nginx equal the stored file');
      assert.equal(statSync(path.join(dataDir, 'panel.db')).mode & 0o777, 0o600, 'the database stays private');
      if (asRoot) assert.equal(statSync(dataDir).mode & 0o777, 0o710, 'data folder: traverse-only for the workers');
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});

describe('an expired session on a file link (onUnauthenticated)', () => {
  test('a browser is sent to the login page and back to the file; scripts still get 401; no open redirect', async () => {
    const app = await start();
    try {
      const station = await app.demo.db.station('alpha');
      const media = station && (await app.demo.db.files(station.id, 'media'))[0];
      assert.ok(station && media, 'the seeded panel has media on alpha');
      const link = fileUrl('alpha', media);
      const browser = await request(`${app.base}${link}`, { headers: { accept: 'text/html,*/*' } });
      assert.equal(browser.status, 303);
      const location = String(browser.headers.location);
      assert.equal(location, `/login?next=${encodeURIComponent(link)}`);
      const page = await request(`${app.base}${location}`);
      assert.match(page.body.toString(), new RegExp(`name="next" value="${link.replaceAll('/', '\\/')}"`));
      const signedIn = await request(`${app.base}/login`, {
        method: 'POST',
        headers: FORM,
        body: form({ email: 'admin@example.com', password: adminPassword, next: link }),
      });
      assert.equal(signedIn.status, 303);
      assert.equal(signedIn.headers.location, link, 'back to the file after logging in');
      const script = await request(`${app.base}${link}`);
      assert.equal(script.status, 401);
      for (const evil of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
        const r = await request(`${app.base}/login`, {
          method: 'POST',
          headers: FORM,
          body: form({ email: 'admin@example.com', password: adminPassword, next: evil }),
        });
        assert.equal(r.headers.location, '/', `next=${evil} must not leave the panel`);
      }
    } finally {
      await app.stop();
    }
  });
});

describe('history page: podcast exclusions by reason', () => {
  test('the history shows what the podcast count left out, by reason, with the library counting', async () => {
    const app = await start();
    try {
      const signed = await login(app.base, 'admin@example.com', adminPassword);
      const cookie = String(signed.headers['set-cookie']?.[0]).split(';')[0] as string;
      // A Googlebot fetch and a probe of a published episode: both must show up as excluded.
      const station = await app.demo.db.station('alpha');
      assert.ok(station);
      const feed = await request(`${app.base}/feeds/alpha/1.xml`);
      const enclosure = /<enclosure url="([^"]+)"/.exec(feed.body.toString())?.[1];
      assert.ok(enclosure, 'the seeded feed has an enclosure');
      const path = new URL(enclosure).pathname;
      await request(`${app.base}${path}`, {
        headers: { 'user-agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', range: 'bytes=0-99' },
      });
      await request(`${app.base}${path}`, {
        headers: { 'user-agent': 'AppleCoreMedia/1.0.0.21A329 (iPhone; U; CPU OS 17_0 like Mac OS X; en_us)', range: 'bytes=0-1' },
      });
      await sleep(200); // the download events are written when each response is over
      const page = await request(`${app.base}/station/alpha/history`, { headers: { cookie } });
      assert.equal(page.status, 200);
      const text = page.body.toString();
      assert.match(text, /Not counted, by reason/);
      const cell = (label: string): number => Number(new RegExp(`<td>${label}</td><td>(\\d+)</td>`).exec(text)?.[1] ?? -1);
      assert.ok(cell('bots and crawlers') >= 1, 'the Googlebot request is counted as excluded');
      assert.ok(cell('probes \\(bytes=0-1\\)') >= 1, 'the probe is counted as excluded');
    } finally {
      await app.stop();
    }
  });
});

describe('GET /metrics (Prometheus) on a demo instance', () => {
  test('this host gets the exposition with the download counters; a client through the trusted proxy gets 404', async () => {
    const app = await start();
    try {
      await request(`${app.base}/api/station/alpha/file/1/play`); // an anonymous 401: one counted request
      await sleep(100);
      const local = await request(`${app.base}/metrics`);
      assert.equal(local.status, 200);
      assert.match(String(local.headers['content-type']), /^text\/plain/);
      assert.match(local.body.toString(), /^station_files_downloads_total\{kind="media",outcome="denied",delivery="none"\} 1$/m);
      const outside = await request(`${app.base}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
      assert.equal(outside.status, 404, 'through nginx (X-Forwarded-For from the trusted loopback proxy) the public never sees metrics');
    } finally {
      await app.stop();
    }
  });
});
