// The demo panel's command line (demo-app/cli.ts), run as a child process against a seeded
// DATA_DIR: JSON shapes, exit statuses, streaming imports of 20 MiB files (byte-exact on disk),
// cleanup after failed or interrupted imports, and sharing the database with an open handle.
// The commands' key cases run on SQLite and on PostgreSQL (DATABASE_URL, a throwaway cluster).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetObjectCommand, HeadObjectCommand, type GetObjectCommandOutput, type HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import { readConfig } from '../../demo-app/config';
import { openSqlite, type FileKind, type FileRow, type SqliteDb } from '../../demo-app/db/database';
import { createDemoStorages } from '../../demo-app/storage';
import { verifyPassword } from '../../demo-app/auth/passwords';
import { demoBackends, sqlAll, withDb, type DemoBackend, type DemoFixture } from '../support/demo-db';

const repo = path.resolve(__dirname, '..', '..');
const CLI = path.join(repo, 'demo-app', 'cli.ts');
const MiB = 1024 * 1024;
const BIG = 20 * MiB;

const temps: string[] = [];
const backends = demoBackends();
const sqlite = backends[0] as DemoBackend;
const shared = new Map<DemoBackend, DemoFixture>(); // a seeded panel per database for the read-only tests
let inputs = ''; // generated import sources

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The CLI's environment: no S3_* from the runner (so "local" stays the default) unless given. */
function cliEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('S3_')) env[k] = v;
  return { ...env, DATA_DIR: dataDir, ...extra };
}

function start(dataDir: string, args: string[], extraEnv: Record<string, string> = {}): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: repo,
    env: cliEnv(dataDir, extraEnv),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
  });
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
  });
  const done = new Promise<Run>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

const cli = (dataDir: string, args: string[], extraEnv: Record<string, string> = {}): Promise<Run> => start(dataDir, args, extraEnv).done;
/** The CLI on a fixture: its DATA_DIR, and its DATABASE_URL on PostgreSQL. */
const cliOn = (fx: DemoFixture, args: string[], extraEnv: Record<string, string> = {}): Promise<Run> => cli(fx.dataDir, args, { ...fx.env, ...extraEnv });

/** Exit 0 and stdout is exactly one JSON document (JSON.parse of all of it). */
function json<T>(run: Run): T {
  assert.equal(run.code, 0, `exit ${run.code}; stderr: ${run.stderr}`);
  assert.ok(run.stdout.trim() !== '', 'stdout is empty');
  return JSON.parse(run.stdout) as T;
}

/**
 * A failure: the status, nothing on stdout, and one error line on stderr (after progress lines
 * like "import: storing …", which are diagnostics), with no stack trace.
 */
function fails(run: Run, code: number, pattern: RegExp): void {
  assert.equal(run.code, code, `expected exit ${code}, got ${run.code}; stderr: ${run.stderr}`);
  assert.equal(run.stdout, '');
  const lines = run.stderr
    .trimEnd()
    .split('\n')
    .filter((l) => !l.startsWith('import: '));
  assert.equal(lines.length, 1, `one error line expected:\n${run.stderr}`);
  assert.match(lines[0] ?? '', /^cli: /);
  assert.match(lines[0] ?? '', pattern);
  assert.doesNotMatch(run.stderr, /\n\s+at |Error:|node:internal/);
}

/** Runs independent failing command lines concurrently; each must fail as given. */
async function allFail(dataDir: string, cases: readonly [string[], number, RegExp][]): Promise<void> {
  const runs = await Promise.all(cases.map(([args]) => cli(dataDir, args)));
  runs.forEach((run, i) => {
    const [args, code, pattern] = cases[i] as [string[], number, RegExp];
    try {
      fails(run, code, pattern);
    } catch (err) {
      throw new Error(`cli ${args.join(' ')}: ${(err as Error).message}`);
    }
  });
}

const keys = (o: object): string[] => Object.keys(o).sort();

/** allFail on a fixture's database. */
async function allFailOn(fx: DemoFixture, cases: readonly [string[], number, RegExp][]): Promise<void> {
  const runs = await Promise.all(cases.map(([args]) => cliOn(fx, args)));
  runs.forEach((run, i) => {
    const [args, code, pattern] = cases[i] as [string[], number, RegExp];
    try {
      fails(run, code, pattern);
    } catch (err) {
      throw new Error(`cli ${args.join(' ')}: ${(err as Error).message}`);
    }
  });
}

/** A fresh seeded SQLite DATA_DIR (for the SQLite-only tests). */
async function freshDir(): Promise<string> {
  return (await sqlite.fresh()).dataDir;
}
/** Every file under DATA_DIR/files, relative. */
async function storedFiles(dataDir: string): Promise<string[]> {
  const root = path.join(dataDir, 'files');
  if (!existsSync(root)) return [];
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();
}

function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('error', reject)
      .on('data', (c) => hash.update(c))
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** A 44-byte PCM WAV header (mono, 16-bit) for `dataBytes` of samples. */
function wavHeader(dataBytes: number, rate = 8000): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVEfmt ', 8, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** Writes `size` bytes (`head`, then a deterministic pattern) in 1 MiB chunks; returns the sha256. */
async function writePattern(file: string, size: number, seed: number, head: Uint8Array = new Uint8Array(0)): Promise<string> {
  const hash = createHash('sha256');
  const out = createWriteStream(file);
  let written = 0;
  for (let c = 0; written < size; c++) {
    const n = Math.min(MiB, size - written);
    const chunk = Buffer.alloc(n);
    for (let i = 0; i < n; i++) chunk[i] = (i * 7 + c * 13 + seed + (i >>> 10)) & 0xff;
    if (c === 0) chunk.set(head, 0);
    hash.update(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
    written += n;
  }
  out.end();
  await once(out, 'finish');
  return hash.digest('hex');
}

/** The SQLite database of a DATA_DIR, for `fn`. */
async function withSqlite<T>(dataDir: string, fn: (db: SqliteDb) => T | Promise<T>): Promise<T> {
  const db = openSqlite(path.join(dataDir, 'panel.db'));
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}
const fileCount = (dataDir: string): Promise<number> =>
  withSqlite(dataDir, (db) => (db.raw.prepare('SELECT COUNT(*) AS n FROM files').get() as { n: number }).n);
const count = async (fx: DemoFixture, table: string): Promise<number> =>
  withDb(fx, async (db) => (await sqlAll<{ n: number }>(db, `SELECT COUNT(*) AS n FROM ${table}`))[0]?.n ?? -1);

interface Big {
  file: string;
  sha: string;
}
const big: Record<'wav' | 'mp3' | 'episode', Big> = { wav: { file: '', sha: '' }, mp3: { file: '', sha: '' }, episode: { file: '', sha: '' } };

before(
  async () => {
    inputs = await mkdtemp(path.join(os.tmpdir(), 'demo-cli-inputs-'));
    temps.push(inputs);
    for (const b of backends) {
      await b.setup();
      shared.set(b, await b.fresh());
    }
    big.wav.file = path.join(inputs, 'Big Show 2026.wav');
    big.wav.sha = await writePattern(big.wav.file, BIG, 1, wavHeader(BIG - 44));
    big.mp3.file = path.join(inputs, 'jingle-long.mp3');
    big.mp3.sha = await writePattern(big.mp3.file, BIG, 2);
    big.episode.file = path.join(inputs, 'Episode Four.MP3');
    big.episode.sha = await writePattern(big.episode.file, BIG, 3);
  },
  { timeout: 180_000 },
);

after(async () => {
  for (const b of backends) await b.teardown();
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

interface StationJson {
  id: number;
  shortcode: string;
  name: string;
}
interface ImportJson {
  id: number;
  kind: FileKind;
  station: string;
  url: string;
  size: number;
  publicUrl?: string;
  key: string;
  storage: string;
}
interface FileJson {
  id: number;
  kind: FileKind;
  title: string;
  filename: string;
  size: number;
  storage: string;
  url: string;
  publicUrl?: string;
  published?: boolean;
  publishedAt?: string | null;
}
interface DownloadJson {
  id: string;
  at: string;
  station: string;
  kind: string;
  fileId: string | null;
  userAgent: string | null;
  bytesSent: number | null;
}

for (const b of backends) {
  describe(`read-only commands on a seeded panel (${b.name})`, () => {
    test('stations: id, shortcode and name of each', async () => {
      const fx = shared.get(b) as DemoFixture;
      const list = json<StationJson[]>(await cliOn(fx, ['stations', '--json']));
      assert.deepEqual(list.map((s) => s.shortcode).sort(), ['alpha', 'bravo']);
      for (const s of list) {
        assert.deepEqual(keys(s), ['id', 'name', 'shortcode']);
        assert.equal(typeof s.id, 'number');
      }
      const text = await cliOn(fx, ['stations']);
      assert.equal(text.code, 0);
      assert.match(text.stdout, /^ID\s+SHORTCODE\s+NAME\n/);
      assert.match(text.stdout, /\balpha\s+Radio Alpha\b/);
      // --json also works before the command.
      assert.deepEqual(json<StationJson[]>(await cliOn(fx, ['--json', 'stations'])), list);
    });

    test('files: every kind with its endpoints, or one kind; by id or shortcode', async () => {
      const fx = shared.get(b) as DemoFixture;
      const all = json<FileJson[]>(await cliOn(fx, ['files', '--station', 'alpha', '--json']));
      assert.equal(all.length, 7);
      const byKind = (k: FileKind) => all.filter((f) => f.kind === k);
      assert.equal(byKind('recording').length, 2);
      assert.equal(byKind('media').length, 2);
      assert.equal(byKind('episode').length, 3);
      for (const f of all) {
        const base = ['filename', 'id', 'kind', 'size', 'storage', 'title', 'url'];
        assert.deepEqual(keys(f), f.kind === 'episode' ? [...base, 'publicUrl', 'published', 'publishedAt'].sort() : base);
        assert.equal(f.storage, 'local');
        assert.ok(f.size > 0);
      }
      for (const f of byKind('recording')) assert.match(f.url, new RegExp(`^/api/station/alpha/streamer/\\d+/broadcast/${f.id}/download$`));
      for (const f of byKind('media')) assert.equal(f.url, `/api/station/alpha/file/${f.id}/play`);
      for (const f of byKind('episode')) {
        assert.match(f.url, new RegExp(`^/api/station/alpha/podcast/\\d+/episode/${f.id}/media$`));
        assert.match(f.publicUrl ?? '', new RegExp(`^/api/station/alpha/public/podcast/\\d+/episode/${f.id}/download\\.wav$`));
      }
      assert.deepEqual(
        byKind('episode')
          .map((e) => e.published)
          .sort(),
        [false, true, true],
      );

      const media = json<FileJson[]>(await cliOn(fx, ['files', '--station=alpha', '--kind=media', '--json']));
      assert.deepEqual(
        media.map((f) => f.id).sort(),
        byKind('media')
          .map((f) => f.id)
          .sort(),
      );
      const bravoId = json<StationJson[]>(await cliOn(fx, ['stations', '--json'])).find((s) => s.shortcode === 'bravo')?.id;
      const bravo = json<FileJson[]>(await cliOn(fx, ['files', '--station', String(bravoId), '--json']));
      assert.equal(bravo.length, 3);
      assert.ok(bravo.every((f) => f.url.startsWith('/api/station/bravo/')));

      const text = await cliOn(fx, ['files', '--station', 'alpha']);
      assert.equal(text.code, 0);
      assert.match(text.stdout, /^ID\s+KIND\s+TITLE/);
      assert.match(text.stdout, /Late Night Mix #42/);
    });

    test('downloads: newest first, camelCase, --since filters, bad dates are usage errors', async () => {
      const fx = shared.get(b) as DemoFixture;
      const rows = json<DownloadJson[]>(await cliOn(fx, ['downloads', '--station', 'alpha', '--json']));
      const inDb = await withDb(fx, (db) => db.downloads('alpha', ''));
      assert.equal(rows.length, inDb.length);
      assert.ok(rows.length > 20);
      assert.deepEqual(keys(rows[0] as object), [
        'at',
        'bytesSent',
        'delivery',
        'durationMs',
        'fileId',
        'id',
        'ip',
        'kind',
        'method',
        'outcome',
        'range',
        'referer',
        'size',
        'station',
        'status',
        'storage',
        'userAgent',
        'userId',
        'userName',
      ]);
      for (let i = 1; i < rows.length; i++) assert.ok((rows[i - 1] as DownloadJson).at >= (rows[i] as DownloadJson).at, 'newest first');

      const middle = (rows[Math.floor(rows.length / 2)] as DownloadJson).at;
      const since = json<DownloadJson[]>(await cliOn(fx, ['downloads', '--station', 'alpha', '--since', middle, '--json']));
      assert.deepEqual(
        since.map((r) => r.id),
        rows.filter((r) => r.at >= middle).map((r) => r.id),
      );
      assert.ok(since.length > 0 && since.length < rows.length);

      // A date-only value is midnight UTC; an offset is honoured.
      const day = middle.slice(0, 10);
      const fromDay = json<DownloadJson[]>(await cliOn(fx, ['downloads', '--station', 'alpha', '--since', day, '--json']));
      assert.deepEqual(
        fromDay.map((r) => r.id),
        rows.filter((r) => r.at >= `${day}T00:00:00.000Z`).map((r) => r.id),
      );
      const shifted = new Date(Date.parse(middle) + 2 * 3600_000).toISOString().slice(0, 19);
      const withOffset = json<DownloadJson[]>(await cliOn(fx, ['downloads', '--station', 'alpha', '--since', `${shifted}+02:00`, '--json']));
      assert.deepEqual(
        withOffset.map((r) => r.id),
        rows.filter((r) => r.at >= `${middle.slice(0, 19)}.000Z`).map((r) => r.id),
      );

      assert.deepEqual(json<DownloadJson[]>(await cliOn(fx, ['downloads', '--station', 'alpha', '--since', '2999-01-01', '--json'])), []);
      assert.deepEqual(json<DownloadJson[]>(await cliOn(fx, ['downloads', '--station', 'bravo', '--json'])), []);
      assert.equal(json<DownloadJson[]>(await cliOn(fx, ['downloads', '--station', 'alpha', '--limit', '3', '--json'])).length, 3);

      await allFailOn(
        fx,
        ['yesterday', '2026-02-30', '2026-13-01', '2026-01-01T25:00', '2026-01-01T10:00+25:00'].map((bad) => [
          ['downloads', '--station', 'alpha', '--since', bad, '--json'],
          2,
          /not an ISO date/,
        ]),
      );
      const text = await cliOn(fx, ['downloads', '--station', 'alpha', '--limit', '2']);
      assert.equal(text.code, 0);
      assert.equal(text.stdout.trimEnd().split('\n').length, 3);
    });
  });

  describe(`users, grants and API keys (${b.name})`, () => {
    test('user add, grant and api-key create: the key authenticates the user', async () => {
      const fx = await b.fresh();
      const created = json<{ id: number; email: string }>(
        await cliOn(fx, ['user', 'add', '--email', 'newdj@example.com', '--password', 'a long passphrase', '--name', 'New DJ', '--json']),
      );
      assert.deepEqual(keys(created), ['email', 'id']);
      assert.equal(created.email, 'newdj@example.com');

      const granted = json<{ user: string; station: string; permission: string }>(
        await cliOn(fx, ['grant', '--user', 'newdj@example.com', '--station', 'alpha', '--permission', 'streamers', '--json']),
      );
      assert.deepEqual(granted, { user: 'newdj@example.com', station: 'alpha', permission: 'streamers' });
      // By numeric id, a permission with a space, and the plain-text form.
      const bravo = await withDb(fx, (db) => db.station('bravo'));
      const text = await cliOn(fx, ['grant', '--user', 'newdj@example.com', '--station', String(bravo?.id), '--permission', 'administer all']);
      assert.equal(text.code, 0);
      assert.match(text.stdout, /granted "administer all" on bravo to newdj@example\.com/);

      const { key } = json<{ key: string }>(await cliOn(fx, ['api-key', 'create', '--user', 'newdj@example.com', '--json']));
      assert.match(key, /^sfk_/);

      const admin = json<{ id: number; email: string }>(
        await cliOn(fx, ['user', 'add', '--email', 'root@example.com', '--password', 'another passphrase', '--global-admin', '--json']),
      );

      await withDb(fx, async (db) => {
        const user = await db.userByApiKey(key);
        assert.equal(user?.id, created.id);
        assert.equal(user?.email, 'newdj@example.com');
        assert.equal(user?.name, 'New DJ');
        assert.equal(user?.global_admin, 0);
        assert.equal(await db.userByApiKey(`${key}x`), undefined);
        assert.ok(user && (await db.allows(user, 'alpha', 'streamers')));
        assert.ok(user && !(await db.allows(user, 'alpha', 'media')));
        assert.ok(user && (await db.allows(user, 'bravo', 'podcasts')), 'administer all on bravo');
        const stored = await db.userByEmail('NewDJ@example.com');
        assert.match(stored?.password_hash ?? '', /^scrypt\$/);
        assert.equal(await verifyPassword('a long passphrase', stored?.password_hash ?? ''), true);
        assert.equal((await db.userById(admin.id))?.global_admin, 1);
        assert.equal((await db.userById(admin.id))?.name, 'root', 'name defaults to the local part');
      });
    });

    test('duplicates, unknown users and stations fail (1); bad values are usage errors (2)', async () => {
      const fx = await b.fresh();
      const users = () => count(fx, 'users');
      const before = await users();
      await allFailOn(fx, [
        [['user', 'add', '--email', 'dj@example.com', '--password', 'whatever-pass', '--json'], 1, /already exists/],
        [['user', 'add', '--email', 'DJ@Example.com', '--password', 'whatever-pass'], 1, /already exists/],
        [['user', 'add', '--email', 'not-an-email', '--password', 'whatever-pass'], 2, /not an email address/],
        [['user', 'add', '--email', 'short@example.com', '--password', 'short'], 2, /at least 8 characters/],
        [['user', 'add', '--email', 'nopass@example.com'], 2, /missing required option --password/],
      ]);
      assert.equal(await users(), before);

      await allFailOn(fx, [
        [
          ['grant', '--user', 'dj@example.com', '--station', 'alpha', '--permission', 'superuser'],
          2,
          /unknown permission "superuser" \(one of: "administer all", "streamers"/,
        ],
        [['grant', '--user', 'ghost@example.com', '--station', 'alpha', '--permission', 'media'], 1, /unknown user "ghost@example\.com"/],
        [['grant', '--user', 'dj@example.com', '--station', 'zulu', '--permission', 'media'], 1, /unknown station "zulu" \(known: /],
        [['grant', '--user', 'dj@example.com', '--station', '99', '--permission', 'media'], 1, /unknown station "99"/],
        [['api-key', 'create', '--user', 'ghost@example.com', '--json'], 1, /unknown user/],
      ]);
      const dj = await withDb(fx, async (db) => db.grantsOf((await db.userByEmail('dj@example.com'))?.id ?? 0));
      assert.deepEqual(dj, [{ shortcode: 'alpha', permission: 'streamers' }]);
    });
  });

  describe(`import (${b.name})`, () => {
    test('20 MiB files of each kind are stored byte for byte, with rows and endpoint paths', async () => {
      const fx = await b.fresh();
      const dir = fx.dataDir;
      const alpha = await withDb(fx, (db) => db.station('alpha'));
      assert.ok(alpha);

      const check = async (r: ImportJson, source: Big, kind: FileKind): Promise<FileRow> => {
        assert.equal(r.kind, kind);
        assert.equal(r.station, 'alpha');
        assert.equal(r.size, BIG);
        assert.equal(r.storage, 'local');
        const row = await withDb(fx, (db) => db.file(alpha.id, kind, r.id));
        assert.ok(row, 'row exists');
        assert.equal(row.size, BIG);
        assert.equal(row.key, r.key);
        const stored = path.join(dir, 'files', ...row.key.split('/'));
        assert.equal((await stat(stored)).size, BIG);
        assert.equal(await sha256File(stored), source.sha, 'stored bytes equal the source');
        return row;
      };

      const rec = await cliOn(fx, ['import', '--station', 'alpha', '--kind', 'recording', '--file', big.wav.file, '--json']);
      const recJson = json<ImportJson>(rec);
      assert.match(rec.stderr, /storing Big Show 2026\.wav/, 'diagnostics go to stderr');
      for (const k of ['id', 'kind', 'station', 'url', 'size']) assert.ok(k in recJson, k);
      assert.equal('publicUrl' in recJson, false);
      const recRow = await check(recJson, big.wav, 'recording');
      const imported = await withDb(
        fx,
        async (db) => (await sqlAll<{ id: number }>(db, "SELECT id FROM streamers WHERE station_id = ? AND name = 'Imported'", [alpha.id]))[0],
      );
      assert.ok(imported, 'the default streamer "Imported" was created');
      assert.equal(recRow.streamer_id, imported.id);
      assert.equal(recJson.url, `/api/station/alpha/streamer/${imported.id}/broadcast/${recJson.id}/download`);
      assert.equal(recRow.title, 'Big Show 2026');
      assert.equal(recRow.filename, 'Big Show 2026.wav');
      assert.equal(recRow.content_type, 'audio/wav');
      assert.ok(Math.abs((recRow.duration_s ?? 0) - (BIG - 44) / 16000) < 0.001, `duration ${recRow.duration_s}`);

      const media = json<ImportJson>(
        await cliOn(fx, ['import', '--station', 'alpha', '--kind', 'media', '--file', big.mp3.file, '--title', 'Long Jingle', '--json']),
      );
      const mediaRow = await check(media, big.mp3, 'media');
      assert.equal(media.url, `/api/station/alpha/file/${media.id}/play`);
      assert.equal(mediaRow.title, 'Long Jingle');
      assert.equal(mediaRow.content_type, 'audio/mpeg');
      assert.equal(mediaRow.duration_s, null);

      const ep = json<ImportJson>(
        await cliOn(fx, ['import', '--station', String(alpha.id), '--kind', 'episode', '--file', big.episode.file, '--publish', '--json']),
      );
      const epRow = await check(ep, big.episode, 'episode');
      const podcast = await withDb(fx, async (db) => (await db.podcasts(alpha.id))[0]);
      assert.equal(epRow.podcast_id, podcast?.id);
      assert.equal(ep.url, `/api/station/alpha/podcast/${podcast?.id}/episode/${ep.id}/media`);
      assert.equal(ep.publicUrl, `/api/station/alpha/public/podcast/${podcast?.id}/episode/${ep.id}/download.mp3`);
      assert.ok(epRow.published_at && Math.abs(Date.parse(epRow.published_at) - Date.now()) < 60_000);
      assert.equal(epRow.title, 'Episode Four');

      // The listing shows them, the episode published.
      const listed = json<FileJson[]>(await cliOn(fx, ['files', '--station', 'alpha', '--kind', 'episode', '--json']));
      const mine = listed.find((f) => f.id === ep.id);
      assert.equal(mine?.published, true);
      assert.equal(mine?.publicUrl, ep.publicUrl);
      assert.deepEqual(
        (await storedFiles(dir)).filter((f) => f.endsWith('.part')),
        [],
      );
    });
  });
}

describe('help and usage errors', () => {
  test('help and usage errors: exit 2, one line, no stack trace, no database created', async () => {
    const empty = path.join(await mkdtemp(path.join(os.tmpdir(), 'demo-cli-empty-')), 'data');
    temps.push(path.dirname(empty));
    for (const args of [['help'], ['--help'], ['-h']]) {
      const run = await cli(empty, args);
      assert.equal(run.code, 0);
      assert.match(run.stdout, /^usage: npm run cli -- <command>/);
      for (const c of ['stations', 'user add', 'grant', 'api-key create', 'import', 'files', 'downloads']) assert.ok(run.stdout.includes(`\n  ${c} `), c);
    }
    const importHelp = await cli(empty, ['import', '--help']);
    assert.equal(importHelp.code, 0);
    assert.match(importHelp.stdout, /import --station ID_OR_SHORTCODE --kind recording\|media\|episode --file PATH/);
    assert.deepEqual(keys(json<object>(await cli(empty, ['help', 'grant', '--json']))), ['usage']);

    await allFail(empty, [
      [[], 2, /no command given/],
      [['launch'], 2, /unknown command "launch"/],
      [['user'], 2, /"user" needs a subcommand \(add\)/],
      [['api-key', 'rotate', '--user', 'x@y.z'], 2, /unknown subcommand "api-key rotate"/],
      [['stations', '--verbose'], 2, /unknown option --verbose/],
      [['stations', 'alpha'], 2, /unexpected argument "alpha"/],
      [['files', '--json'], 2, /missing required option --station/],
      [['files', '--station'], 2, /--station needs a value/],
      [['files', '--station', 'a', '--station', 'b'], 2, /given more than once/],
      [['user', 'add', '--email', '--password', 'secret-pass'], 2, /--email needs a value/],
      [['files', '--station', 'alpha', '--kind', 'video'], 2, /unknown kind "video"/],
    ]);
    assert.equal(existsSync(empty), false, 'usage errors and help do not create DATA_DIR');
  });
});

describe('import (SQLite)', () => {
  test('options: draft episodes, named streamers, explicit podcast, WAV with extra chunks, human output', async () => {
    const dir = await freshDir();
    const alpha = await withSqlite(dir, (db) => db.station('alpha'));
    assert.ok(alpha);
    // A WAV with a LIST chunk before the data and an odd-sized chunk (padding byte): 2 s at 22.05 kHz 16-bit.
    const list = Buffer.concat([Buffer.from('LIST'), Buffer.from([5, 0, 0, 0]), Buffer.from('INFOx'), Buffer.alloc(1)]);
    const header = wavHeader(88_200, 22_050);
    const wav = Buffer.concat([header.subarray(0, 36), list, header.subarray(36), Buffer.alloc(88_200, 0x10)]);
    const wavFile = path.join(inputs, 'tagged.WAV');
    await writeFile(wavFile, wav);
    const rec = json<ImportJson>(await cli(dir, ['import', '--station', 'alpha', '--kind', 'recording', '--file', wavFile, '--streamer', 'DJ Test', '--json']));
    const row = await withSqlite(dir, (db) => db.file(alpha.id, 'recording', rec.id));
    assert.equal(row?.duration_s, 2);
    const streamer = await withSqlite(dir, (db) => db.raw.prepare("SELECT id FROM streamers WHERE name = 'DJ Test'").get() as { id: number } | undefined);
    assert.equal(row?.streamer_id, streamer?.id);
    assert.equal(rec.url, `/api/station/alpha/streamer/${streamer?.id}/broadcast/${rec.id}/download`);

    const podcastId = await withSqlite(dir, async (db) => (await db.podcasts(alpha.id))[0]?.id);
    const draft = await cli(dir, [
      'import',
      '--station',
      'alpha',
      '--kind',
      'episode',
      '--file',
      big.episode.file,
      '--podcast',
      String(podcastId),
      '--title',
      'Draft',
    ]);
    assert.equal(draft.code, 0, draft.stderr);
    assert.match(draft.stdout, /^imported episode (\d+) "Draft" on alpha: 20\.0 MiB in local\n/);
    assert.match(draft.stdout, /public url: \/api\/station\/alpha\/public\/podcast\/\d+\/episode\/\d+\/download\.mp3 \(draft/);
    const id = Number(/episode (\d+)/.exec(draft.stdout)?.[1]);
    assert.equal((await withSqlite(dir, (db) => db.file(alpha.id, 'episode', id)))?.published_at, null);
  });

  test('failures leave nothing behind: no row, no stored or .part file', async () => {
    const dir = await freshDir();
    const rows = await fileCount(dir);
    const files = await storedFiles(dir);
    const unchanged = async () => {
      assert.equal(await fileCount(dir), rows, 'no row added');
      assert.deepEqual(await storedFiles(dir), files, 'no file added (and no .part left)');
    };
    const missing = path.join(inputs, 'does-not-exist.mp3');
    await allFail(dir, [
      [['import', '--station', 'alpha', '--kind', 'media', '--file', missing, '--json'], 1, /file not found: .*does-not-exist\.mp3/],
      [['import', '--station', 'alpha', '--kind', 'media', '--file', inputs], 1, /is a directory/],
      [['import', '--station', 'zulu', '--kind', 'media', '--file', big.mp3.file, '--json'], 1, /unknown station "zulu"/],
      [['import', '--station', 'alpha', '--kind', 'podcast', '--file', big.mp3.file, '--json'], 2, /unknown kind "podcast"/],
      [['import', '--station', 'alpha', '--kind', 'media', '--file', big.mp3.file, '--publish'], 2, /--publish is only for episodes/],
      [['import', '--station', 'alpha', '--kind', 'media', '--file', big.mp3.file, '--streamer', 'X'], 2, /--streamer is only for recordings/],
      [['import', '--station', 'alpha', '--kind', 'episode', '--file', big.mp3.file, '--podcast', 'one'], 2, /not a podcast id/],
      [['import', '--station', 'alpha', '--kind', 'media', '--file', big.mp3.file, '--storage', 'ftp'], 2, /unknown storage "ftp"/],
      [['import', '--station', 'alpha', '--kind', 'media'], 2, /missing required option --file/],
      [['import', '--station', 'alpha', '--kind', 'media', '--file', big.mp3.file, '--storage', 's3'], 1, /S3 is not configured/],
      [['import', '--station', 'alpha', '--kind', 'episode', '--file', big.mp3.file, '--podcast', '999'], 1, /has no podcast 999/],
      [['import', '--station', 'bravo', '--kind', 'episode', '--file', big.mp3.file], 1, /bravo has no podcast/],
    ]);
    const noExt = path.join(inputs, 'README');
    await writeFile(noExt, 'x');
    fails(await cli(dir, ['import', '--station', 'alpha', '--kind', 'episode', '--file', noExt]), 2, /needs an extension/);
    await unchanged();

    // The database refuses the row (a trigger standing in for any insert failure): the stored file is deleted.
    await withSqlite(dir, (db) => db.raw.exec("CREATE TRIGGER refuse_files BEFORE INSERT ON files BEGIN SELECT RAISE(ABORT, 'disk quota for rows'); END"));
    fails(
      await cli(dir, ['import', '--station', 'alpha', '--kind', 'media', '--file', big.mp3.file, '--json']),
      1,
      /saving the media in the database failed: disk quota for rows; the stored file was removed/,
    );
    fails(
      await cli(dir, ['import', '--station', 'alpha', '--kind', 'recording', '--file', big.wav.file, '--streamer', 'Brand New']),
      1,
      /stored file was removed/,
    );
    await withSqlite(dir, (db) => db.raw.exec('DROP TRIGGER refuse_files'));
    await unchanged();
    assert.equal(
      (await withSqlite(dir, (db) => db.raw.prepare("SELECT COUNT(*) AS n FROM streamers WHERE name = 'Brand New'").get() as { n: number })).n,
      0,
      'the streamer is rolled back with the row',
    );
  });

  test('an interrupted import (SIGINT mid-stream) exits 130 and removes its partial file', async () => {
    const dir = await freshDir();
    const rows = await fileCount(dir);
    const files = await storedFiles(dir);
    const fifo = path.join(inputs, `live-${process.pid}.mp3`);
    execFileSync('mkfifo', [fifo]);
    const { child, done } = start(dir, ['import', '--station', 'alpha', '--kind', 'media', '--file', fifo, '--json']);
    const writer = createWriteStream(fifo);
    writer.on('error', () => undefined); // EPIPE once the CLI stops reading
    writer.write(Buffer.alloc(2 * MiB, 0x55));
    const partial = async (): Promise<string | undefined> => (await storedFiles(dir)).find((f) => f.endsWith('.part'));
    for (let i = 0; i < 200 && !(await partial()); i++) await sleep(50);
    assert.ok(await partial(), 'the import is under way');
    let stderr = '';
    child.stderr?.on('data', (s: string) => {
      stderr += s;
    });
    child.kill('SIGINT');
    for (let i = 0; i < 200 && !stderr.includes('SIGINT received'); i++) await sleep(25);
    writer.destroy(); // the pending read returns, the stream closes
    const run = await done;
    assert.equal(run.code, 130, run.stderr);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /import interrupted by SIGINT; nothing was stored/);
    assert.equal(await fileCount(dir), rows);
    assert.deepEqual(await storedFiles(dir), files);
    await rm(fifo, { force: true });
  });

  test('the CLI shares the database with an open handle (and waits out its write lock)', async () => {
    const dir = await freshDir();
    const db = openSqlite(path.join(dir, 'panel.db'));
    try {
      const alpha = await db.station('alpha');
      assert.ok(alpha);
      const before = (await db.files(alpha.id, 'recording')).length;
      // Hold the write lock, as a busy server would, while the CLI imports. A recording with a new
      // streamer reads before it writes: the CLI must wait for the lock, not fail with SQLITE_BUSY.
      db.raw.exec('BEGIN IMMEDIATE');
      await db.addStation('charlie', 'Charlie Radio');
      const { done } = start(dir, ['import', '--station', 'alpha', '--kind', 'recording', '--file', big.wav.file, '--streamer', 'Concurrent', '--json']);
      await sleep(1500);
      db.raw.exec('COMMIT');
      const run = await done;
      const r = json<ImportJson>(run);
      const mine = await db.files(alpha.id, 'recording');
      assert.equal(mine.length, before + 1);
      assert.equal(mine.find((f) => f.id === r.id)?.size, BIG, 'the open handle sees the new row');
      // And the other way round: what this handle wrote, the CLI reads.
      assert.ok(json<StationJson[]>(await cli(dir, ['stations', '--json'])).some((s) => s.shortcode === 'charlie'));
    } finally {
      await db.close();
    }
  });

  test('S3: import streams into the bucket; listing shows it', async () => {
    if (!process.env.S3_ENDPOINT) throw new Error('S3_ENDPOINT is not set: run through test/run.sh (it starts Ceph), without NO_S3=1');
    const dir = await freshDir();
    const s3env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (k.startsWith('S3_') && v !== undefined) s3env[k] = v;
    // Only media goes to S3 by default here; recordings stay local unless --storage s3.
    const env = { ...s3env, S3_KINDS: 'media' };
    const media = json<ImportJson>(await cli(dir, ['import', '--station', 'alpha', '--kind', 'media', '--file', big.mp3.file, '--json'], env));
    assert.equal(media.storage, 's3');
    const rec = json<ImportJson>(
      await cli(dir, ['import', '--station', 'alpha', '--kind', 'recording', '--file', big.wav.file, '--storage', 's3', '--json'], env),
    );
    assert.equal(rec.storage, 's3');
    const local = json<ImportJson>(await cli(dir, ['import', '--station', 'alpha', '--kind', 'episode', '--file', big.episode.file, '--json'], env));
    assert.equal(local.storage, 'local');

    const storages = createDemoStorages(readConfig({ ...env, DATA_DIR: dir }));
    try {
      const s3 = storages.storages.s3;
      assert.ok(s3);
      for (const [r, source] of [
        [media, big.mp3],
        [rec, big.wav],
      ] as const) {
        const Key = s3.prefix + r.key;
        const meta: HeadObjectCommandOutput = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key }));
        assert.equal(meta.ContentLength, BIG);
        const got: GetObjectCommandOutput = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key }));
        const body = got.Body as NodeJS.ReadableStream;
        const hash = createHash('sha256');
        for await (const chunk of body) hash.update(chunk as Buffer);
        assert.equal(hash.digest('hex'), source.sha);
      }
    } finally {
      storages.close();
    }
    const listed = json<FileJson[]>(await cli(dir, ['files', '--station', 'alpha', '--json'], env));
    assert.equal(listed.find((f) => f.id === media.id)?.storage, 's3');
    assert.deepEqual(
      (await storedFiles(dir)).filter((f) => f.endsWith('.part')),
      [],
    );
  });
});
