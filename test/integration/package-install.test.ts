// The packed package, installed the way a host panel installs it: `npm pack` a fresh build of the
// project (test/support/pack.ts), then two throwaway host apps in temp folders `npm install` the
// tarball next to their own packages from the npm registry, mount the router as the README shows,
// and serve a download from a child process:
//   (a) a local-only Express 4 panel on the lowest morgan in the peer range (1.10.0), passport-local
//       login + express-session, plain CommonJS, and no AWS SDK installed: it must never load one;
//   (b) an Express 5 panel on the newest morgan, an API-key passport strategy, ESM (.mjs), with the
//       AWS SDK installed and `station-files/s3` reading the suite's S3.
// Each serves a full GET (byte-exact) and a `bytes=0-1` range (206), and its morgan line
// (DOWNLOAD_LOG_FORMAT) carries the station, the user and the outcome.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { request } from '../support/http';
import { npmEnv, packProject } from '../support/pack';
import { createTestS3Client, deterministicRange, ensureBucket, putObjectStream, s3TestConfig } from '../support/s3';

/** The hosts' own packages, at exact versions. */
const HOST_A = ['express@4.22.3', 'morgan@1.10.0', 'passport@0.7.0', 'passport-local@1.0.0', 'express-session@1.19.0'];
const HOST_B = [
  'express@5.3.0',
  'morgan@1.12.1',
  'passport@0.7.0',
  'passport-strategy@1.0.0',
  '@aws-sdk/client-s3@3.1169.0',
  '@aws-sdk/s3-request-presigner@3.1169.0',
];

const MEDIA_SIZE = 50_000;
const RECORDING_SIZE = 300_000;

const cleanEnv = npmEnv;

/** Runs a command to completion; rejects with its output when it fails. */
function run(cmd: string, args: string[], cwd: string, env = cleanEnv()): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited with ${code ?? signal}\n${out}\n${err}`));
    });
  });
}

const npmInstall = (cwd: string, specs: string[]): Promise<string> =>
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--save-exact', '--loglevel=error', ...specs], cwd);

interface App {
  dir: string;
  child: ChildProcess;
  base: string;
  output: () => string;
}

/** Starts `node <file>` in `dir`; resolves once it printed `{"listening":<port>}`. */
function startApp(dir: string, file: string, env: Record<string, string>): Promise<App> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { cwd: dir, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let started = false;
    const onData = (c: Buffer): void => {
      out += c.toString();
      const m = /\{"listening":(\d+)\}/.exec(out);
      if (m && !started) {
        started = true;
        resolve({ dir, child, base: `http://127.0.0.1:${m[1]}`, output: () => out });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (!started) reject(new Error(`${file} exited with ${code ?? signal} before listening:\n${out}`));
    });
  });
}

async function stopApp(app: App | undefined): Promise<void> {
  if (!app || app.child.exitCode !== null || app.child.signalCode !== null) return;
  const exited = new Promise((r) => app.child.once('exit', r));
  app.child.kill('SIGTERM');
  await exited;
}

interface Debug {
  accessLog: string[];
  sdkModules: number;
  express: string;
  morgan: string;
  /** The express station-files resolves (a peer: must be the host's own). */
  expressOfStationFiles: string;
}

async function debugState(app: App): Promise<Debug> {
  const res = await request(`${app.base}/debug`);
  assert.equal(res.status, 200, res.body.toString());
  return JSON.parse(res.body.toString()) as Debug;
}

/** The morgan line for `url` (morgan writes when the response finishes: wait for it). */
async function accessLine(app: App, url: string, status: number): Promise<string> {
  for (let i = 0; ; i++) {
    const { accessLog } = await debugState(app);
    const line = accessLog.find((l) => l.includes(`"GET ${url}" ${status} `));
    if (line) return line;
    if (i >= 100) assert.fail(`no access log line for GET ${url} ${status} in:\n${accessLog.join('\n')}\napp output:\n${app.output()}`);
    await sleep(100);
  }
}

/** DOWNLOAD_LOG_FORMAT: `:remote-addr :request-id :user :station ":method :url" :status :download-outcome :download-bytes …`. */
function parseLine(line: string): { requestId: string; user: string; station: string; status: number; outcome: string; bytes: string } {
  const m = /^\S+ (\S+) (\S+) (\S+) "GET \S+" (\d{3}) (\S+) (\S+) /.exec(line);
  assert.ok(m, `unexpected access log line: ${line}`);
  return { requestId: m[1]!, user: m[2]!, station: m[3]!, status: Number(m[4]), outcome: m[5]!, bytes: m[6]! };
}

// ---- the host apps, as their authors would write them from the README ----

const APP_A = `'use strict';
// A local-only Express 4 panel (CommonJS): passport-local login, express-session, morgan 1.10.0.
const path = require('node:path');
const express = require('express');
const session = require('express-session');
const morgan = require('morgan');
const passport = require('passport');
const { Strategy: LocalStrategy } = require('passport-local');
const { createStationFiles, DOWNLOAD_LOG_FORMAT, localStorage, registerMorganTokens, staticPermissions } = require('station-files');

const users = new Map([['ada', { id: 'ada', name: 'Ada Admin', password: 'secret-ada' }]]);
passport.use(new LocalStrategy((username, password, done) => {
  const user = users.get(username);
  return done(null, user && user.password === password ? user : false);
}));
passport.serializeUser((user, done) => done(null, user.id));
passport.deserializeUser((id, done) => done(null, users.get(id) || false));

const files = createStationFiles({
  authorize: staticPermissions({ ada: { stations: { 'radio-one': ['media'] } } }, (user) => user.id),
  storages: { media: localStorage({ root: path.join(__dirname, 'media') }) },
  catalog: {
    mediaFile: ({ station, id }) =>
      station === 'radio-one' && id === '1' ? { station, storage: 'media', key: 'jingle.mp3', filename: 'Jingle.mp3' } : null,
  },
});

const accessLog = [];
registerMorganTokens(morgan);
const app = express();
app.use(morgan(DOWNLOAD_LOG_FORMAT, { stream: { write: (line) => { accessLog.push(line.trimEnd()); } } }));
app.use(session({ secret: 'session secret', resave: false, saveUninitialized: false }));
app.use(passport.session());
app.post('/login', express.urlencoded({ extended: false }), passport.authenticate('local'), (req, res) => res.sendStatus(204));
app.use('/api', files.router());
app.get('/debug', (req, res) => res.json({
  accessLog,
  sdkModules: Object.keys(require.cache).filter((k) => /[\\\\/]@(aws-sdk|smithy)[\\\\/]/.test(k)).length,
  express: require('express/package.json').version,
  morgan: require('morgan/package.json').version,
  expressOfStationFiles: require(require.resolve('express/package.json', { paths: [path.dirname(require.resolve('station-files'))] })).version,
}));
const server = app.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ listening: server.address().port })));
`;

const APP_B = `// An Express 5 panel (ESM): an API-key passport strategy, the newest morgan, recordings in S3.
import { createRequire } from 'node:module';
import path from 'node:path';
import express from 'express';
import morgan from 'morgan';
import passport from 'passport';
import { Strategy } from 'passport-strategy';
import { createStationFiles, DOWNLOAD_LOG_FORMAT, registerMorganTokens, staticPermissions } from 'station-files';
import { createS3Client, s3Storage } from 'station-files/s3';

const require = createRequire(import.meta.url);
const env = process.env;
const users = new Map([['dj', { id: 'dj', name: 'Dee Jay', apiKey: 'key-dj' }]]);

class ApiKeyStrategy extends Strategy {
  name = 'api-key';
  authenticate(req) {
    const key = req.get('x-api-key');
    const user = key ? [...users.values()].find((u) => u.apiKey === key) : undefined;
    return user ? this.success(user) : this.fail('ApiKey realm="station-files"', 401);
  }
}
passport.use(new ApiKeyStrategy());

const files = createStationFiles({
  authenticate: passport.authenticate('api-key', { session: false }),
  authorize: staticPermissions({ dj: { stations: { 'radio-one': ['streamers'] } } }, (user) => user.id),
  storages: {
    recordings: s3Storage({
      client: createS3Client({
        endpoint: env.S3_ENDPOINT,
        region: env.S3_REGION,
        forcePathStyle: env.S3_FORCE_PATH_STYLE !== 'false',
        credentials: { accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY },
      }),
      bucket: env.S3_BUCKET,
      prefix: env.RECORDINGS_PREFIX,
      delivery: 'stream',
    }),
  },
  catalog: {
    recording: ({ station, broadcast }) =>
      station === 'radio-one' && broadcast === '1'
        ? { station, storage: 'recordings', key: 'morning-show.mp3', filename: 'Morning Show.mp3' }
        : null,
  },
});

const accessLog = [];
registerMorganTokens(morgan);
const app = express();
app.use(morgan(DOWNLOAD_LOG_FORMAT, { stream: { write: (line) => { accessLog.push(line.trimEnd()); } } }));
app.use(passport.initialize());
app.use('/api', files.router());
app.get('/debug', (req, res) => res.json({
  accessLog,
  sdkModules: Object.keys(require.cache).filter((k) => /[\\\\/]@(aws-sdk|smithy)[\\\\/]/.test(k)).length,
  express: require('express/package.json').version,
  morgan: require('morgan/package.json').version,
  expressOfStationFiles: require(require.resolve('express/package.json', { paths: [path.dirname(require.resolve('station-files'))] })).version,
}));
const server = app.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ listening: server.address().port })));
`;

const cfg = s3TestConfig();
const { client } = createTestS3Client();
const recordingsPrefix = `package-install/${process.pid}-${Date.now().toString(36)}/`;
let tmp: string;
let appA: App | undefined;
let appB: App | undefined;

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'sf-package-install-'));
  const aDir = path.join(tmp, 'host-express4');
  const bDir = path.join(tmp, 'host-express5');
  const tarball = packProject(tmp); // a fresh build of this checkout, as a clean CI checkout would pack it

  for (const [dir, name, type] of [
    [aDir, 'host-express4', 'commonjs'],
    [bDir, 'host-express5', 'module'],
  ] as const) {
    await mkdir(path.join(dir, 'media'), { recursive: true });
    await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, type }, null, 2));
  }
  await writeFile(path.join(aDir, 'app.js'), APP_A);
  await writeFile(path.join(aDir, 'media', 'jingle.mp3'), deterministicRange('pkg-jingle', MEDIA_SIZE, 0, MEDIA_SIZE - 1));
  await writeFile(path.join(bDir, 'app.mjs'), APP_B);

  await ensureBucket(client, cfg.bucket);
  await Promise.all([
    npmInstall(aDir, [tarball, ...HOST_A]),
    npmInstall(bDir, [tarball, ...HOST_B]),
    putObjectStream(client, cfg.bucket, `${recordingsPrefix}morning-show.mp3`, 'pkg-morning', RECORDING_SIZE),
  ]);

  appA = await startApp(aDir, 'app.js', {});
  appB = await startApp(bDir, 'app.mjs', {
    S3_ENDPOINT: cfg.endpoint,
    S3_REGION: cfg.region,
    S3_ACCESS_KEY_ID: cfg.accessKeyId,
    S3_SECRET_ACCESS_KEY: cfg.secretAccessKey,
    S3_BUCKET: cfg.bucket,
    S3_FORCE_PATH_STYLE: String(cfg.forcePathStyle),
    RECORDINGS_PREFIX: recordingsPrefix,
  });
});

after(async () => {
  await Promise.all([stopApp(appA), stopApp(appB)]);
  await client.send(new DeleteObjectCommand({ Bucket: cfg.bucket, Key: `${recordingsPrefix}morning-show.mp3` })).catch(() => {});
  client.destroy();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('(a) local-only Express 4 panel, morgan 1.10.0, passport-local, CommonJS, no AWS SDK', () => {
  const url = '/api/station/radio-one/file/1/play';
  let cookie = '';

  test("npm installed the tarball without the optional peers: no AWS SDK, and the host's own express and morgan", async () => {
    const modules = path.join(appA!.dir, 'node_modules');
    // Every file package.json points at was packed.
    const own = JSON.parse(await readFile(path.join(modules, 'station-files', 'package.json'), 'utf8')) as {
      main: string;
      types: string;
      bin?: Record<string, string>;
      exports: Record<string, string | Record<string, string>>;
    };
    const targets = [
      own.main,
      own.types,
      ...Object.values(own.bin ?? {}),
      ...Object.values(own.exports).flatMap((t) => (typeof t === 'string' ? [t] : Object.values(t))),
    ];
    for (const t of targets) assert.ok(existsSync(path.join(modules, 'station-files', t)), `${t} is not in the package`);
    assert.ok(!existsSync(path.join(modules, '@aws-sdk')), 'an @aws-sdk package was installed');
    assert.ok(!existsSync(path.join(modules, '@smithy')), 'an @smithy package was installed');
    // Own dependencies may nest where express 4 pins older ones (mime-types, content-disposition…);
    // the peers must not: one express, one morgan, the host's.
    const nested = path.join(modules, 'station-files', 'node_modules');
    const nestedNames = existsSync(nested) ? readdirSync(nested) : [];
    for (const peer of ['express', 'morgan', 'passport', '@aws-sdk', '@smithy']) assert.ok(!nestedNames.includes(peer), `nested ${peer}`);
    const pkg = JSON.parse(await readFile(path.join(appA!.dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    assert.ok(pkg.dependencies['station-files']?.startsWith('file:'));
    const state = await debugState(appA!);
    assert.equal(state.express, '4.22.3');
    assert.equal(state.morgan, '1.10.0');
    assert.equal(state.expressOfStationFiles, '4.22.3', "station-files resolves the host's express");
  });

  test('without a login: 401, logged as denied', async () => {
    const res = await request(`${appA!.base}${url}`);
    assert.equal(res.status, 401);
    const line = parseLine(await accessLine(appA!, url, 401));
    assert.deepEqual([line.station, line.user, line.outcome], ['radio-one', '-', 'denied']);
  });

  test('passport-local login gives a session cookie', async () => {
    const res = await request(`${appA!.base}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=ada&password=secret-ada',
    });
    assert.equal(res.status, 204, res.body.toString());
    const setCookie = res.headers['set-cookie']?.[0];
    assert.ok(setCookie, 'no session cookie');
    cookie = setCookie.split(';')[0]!;
  });

  test('full GET is byte-exact; the morgan line has station, user, outcome and bytes', async () => {
    const res = await request(`${appA!.base}${url}`, { headers: { cookie } });
    assert.equal(res.status, 200, res.body.toString());
    assert.ok(res.complete);
    assert.equal(res.headers['content-length'], String(MEDIA_SIZE));
    assert.ok(res.body.equals(deterministicRange('pkg-jingle', MEDIA_SIZE, 0, MEDIA_SIZE - 1)), 'body differs from the file');
    const line = parseLine(await accessLine(appA!, url, 200));
    assert.deepEqual([line.station, line.user, line.outcome, line.bytes], ['radio-one', 'Ada_Admin', 'completed', String(MEDIA_SIZE)]);
    assert.notEqual(line.requestId, '-');
  });

  test('Range bytes=0-1 is a 206 of two bytes, logged', async () => {
    const res = await request(`${appA!.base}${url}`, { headers: { cookie, range: 'bytes=0-1' } });
    assert.equal(res.status, 206);
    assert.equal(res.headers['content-range'], `bytes 0-1/${MEDIA_SIZE}`);
    assert.ok(res.body.equals(deterministicRange('pkg-jingle', MEDIA_SIZE, 0, 1)));
    const line = parseLine(await accessLine(appA!, url, 206));
    assert.deepEqual([line.station, line.user, line.outcome, line.bytes], ['radio-one', 'Ada_Admin', 'completed', '2']);
  });

  test('the app never loaded an @aws-sdk/* or @smithy/* module', async () => {
    assert.equal((await debugState(appA!)).sdkModules, 0);
  });

  test("registerMorganTokens() without the host's morgan fails at startup, naming the fix", async () => {
    // Before, it registered on a morgan of its own, and a host on another morgan (1.10.0) crashed at
    // its first request: `TypeError: tokens.request-id is not a function`.
    const out = await run(
      process.execPath,
      [
        '-e',
        `
      try { require('station-files').registerMorganTokens(); console.log('registered'); }
      catch (e) { console.log(JSON.stringify({ name: e.name, message: e.message })); }`,
      ],
      appA!.dir,
    );
    const err = JSON.parse(out) as { name: string; message: string };
    assert.equal(err.name, 'TypeError');
    assert.match(err.message, /morgan/);
  });

  test('station-files/s3 without the SDK fails with the missing module named', async () => {
    const out = await run(
      process.execPath,
      [
        '-e',
        `
      try { require('station-files/s3'); console.log('loaded'); }
      catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message.split('\\n')[0] })); }`,
      ],
      appA!.dir,
    );
    const err = JSON.parse(out) as { code: string; message: string };
    assert.equal(err.code, 'MODULE_NOT_FOUND');
    assert.match(err.message, /@aws-sdk\/client-s3/);
  });
});

describe("(b) Express 5 panel, newest morgan, API key, ESM, station-files/s3 on the suite's S3", () => {
  const url = '/api/station/radio-one/streamer/night/broadcast/1/download';
  const headers = { 'x-api-key': 'key-dj' };

  test("the host's own express and morgan; station-files resolves that express", async () => {
    const state = await debugState(appB!);
    assert.equal(state.express, '5.3.0');
    assert.equal(state.morgan, '1.12.1');
    assert.equal(state.expressOfStationFiles, '5.3.0');
    assert.ok(state.sdkModules > 0, 'the module probe sees the SDK the app uses');
  });

  test('full GET from S3 is byte-exact; the morgan line has station, user, outcome and bytes', async () => {
    const res = await request(`${appB!.base}${url}`, { headers });
    assert.equal(res.status, 200, res.body.toString());
    assert.ok(res.complete);
    assert.equal(res.headers['content-length'], String(RECORDING_SIZE));
    assert.match(String(res.headers['content-disposition']), /^attachment; filename="Morning Show\.mp3"/);
    assert.ok(res.body.equals(deterministicRange('pkg-morning', RECORDING_SIZE, 0, RECORDING_SIZE - 1)), 'body differs from the object');
    const line = parseLine(await accessLine(appB!, url, 200));
    assert.deepEqual([line.station, line.user, line.outcome, line.bytes], ['radio-one', 'Dee_Jay', 'completed', String(RECORDING_SIZE)]);
  });

  test('Range bytes=0-1 is a 206 of two bytes, logged', async () => {
    const res = await request(`${appB!.base}${url}`, { headers: { ...headers, range: 'bytes=0-1' } });
    assert.equal(res.status, 206);
    assert.equal(res.headers['content-range'], `bytes 0-1/${RECORDING_SIZE}`);
    assert.ok(res.body.equals(deterministicRange('pkg-morning', RECORDING_SIZE, 0, 1)));
    const line = parseLine(await accessLine(appB!, url, 206));
    assert.deepEqual([line.station, line.user, line.outcome, line.bytes], ['radio-one', 'Dee_Jay', 'completed', '2']);
  });

  test('a wrong API key: 401, logged as denied', async () => {
    const res = await request(`${appB!.base}${url}`, { headers: { 'x-api-key': 'nope' } });
    assert.equal(res.status, 401);
    const line = parseLine(await accessLine(appB!, url, 401));
    assert.deepEqual([line.station, line.user, line.outcome], ['radio-one', '-', 'denied']);
  });
});
