// The README's mounting guide runs: its snippets are slices of test/fixtures/mounting-guide.ts
// (checked here line for line), and the app that file builds is driven against Ceph S3.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { Request } from 'express';
import { buildGuideApp } from '../fixtures/mounting-guide';
import { nginxConfig } from '../../lib';
import { request } from '../support/http';
import { freePort, startNginx, type NginxInstance } from '../support/nginx';
import { createTestS3Client, deterministicRange, ensureBucket, putObjectStream, s3TestConfig } from '../support/s3';

const repo = path.resolve(__dirname, '..', '..');
const cfg = s3TestConfig();
const { client } = createTestS3Client();
const users = new Map([
  ['ada', { id: 'ada', name: 'Ada Admin', apiKey: 'key-ada' }],
  ['dj', { id: 'dj', name: 'Dee Jay', apiKey: 'key-dj' }],
]);
const accessLog = new PassThrough();
let accessLines = '';
accessLog.on('data', (c: Buffer) => { accessLines += c.toString(); });
let dir: string;
let built: ReturnType<typeof buildGuideApp>;
let base: string;
let close: () => Promise<void>;
let nginx: NginxInstance;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sf-guide-'));
  await writeFile(path.join(dir, 'jingle.mp3'), deterministicRange('jingle', 4000, 0, 3999));
  await ensureBucket(client, cfg.bucket);
  await putObjectStream(client, cfg.bucket, 'recordings/morning-show.mp3', 'morning', 200_000);
  built = buildGuideApp({
    mediaRoot: dir,
    logFile: path.join(dir, 'downloads.jsonl'),
    s3: { endpoint: cfg.endpoint, accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey, bucket: cfg.bucket },
    users,
    accessLog,
  });
  // A login route, as the host panel has one.
  built.app.post('/login/:id', (req: Request, res) => {
    req.login(users.get(String(req.params.id)) as Express.User, (err) => (err ? res.sendStatus(500) : res.sendStatus(204)));
  });
  const server = built.app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  close = () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); });
  // The guide's media storage hands files to nginx: run the app behind the nginx config
  // generated from the same storages, as an operator would.
  const port = await freePort();
  const app = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  nginx = await startNginx({ listenPort: port, config: await nginxConfig({ listen: `127.0.0.1:${port}`, app, storages: built.storages }) });
  base = nginx.url;
});
after(async () => {
  await nginx?.stop();
  await close();
  client.destroy();
  await rm(dir, { recursive: true, force: true });
});

describe('README mounting guide', () => {
  test('every guide snippet in the README is the code in test/fixtures/mounting-guide.ts', async () => {
    const readme = await readFile(path.join(repo, 'README.md'), 'utf8');
    const source = (await readFile(path.join(repo, 'test/fixtures/mounting-guide.ts'), 'utf8')).replace(/'\.\.\/\.\.\/lib(?:\/entry\/([\w-]+))?'/g, (_m, sub?: string) => (sub ? `'station-files/${sub}'` : "'station-files'"));
    const snippets = [...source.matchAll(/\/\/ --- snippet: (\w+)\n([\s\S]*?)\n\s*\/\/ --- end/g)];
    assert.equal(snippets.length, 3);
    const dedent = (code: string) => code.split('\n').map((l) => l.replace(/^ {2}/, '')).join('\n');
    for (const [, name, code] of snippets) {
      assert.ok(readme.includes(dedent(code as string)), `README lacks the "${name}" snippet as written in the fixture`);
    }
  });

  test('an API key downloads a recording from S3', async () => {
    const r = await request(`${base}/api/station/radio-one/streamer/1/broadcast/1/download`, { headers: { 'x-api-key': 'key-ada' } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, deterministicRange('morning', 200_000, 0, 199_999));
    assert.match(String(r.headers['content-disposition']), /filename="Morning Show.mp3"/);
  });

  test('a wrong API key is 401 with the strategy challenge; no key at all is 401 too', async () => {
    const wrong = await request(`${base}/api/station/radio-one/streamer/1/broadcast/1/download`, { headers: { 'x-api-key': 'nope' } });
    assert.equal(wrong.status, 401);
    assert.equal((await request(`${base}/api/station/radio-one/streamer/1/broadcast/1/download`)).status, 401);
  });

  test('a session cookie works, and the DJ may fetch recordings but not media', async () => {
    const login = await request(`${base}/login/dj`, { method: 'POST' });
    const cookie = String(login.headers['set-cookie']?.[0]).split(';')[0] as string;
    const rec = await request(`${base}/api/station/radio-one/streamer/1/broadcast/1/download`, { headers: { cookie, range: 'bytes=0-1' } });
    assert.equal(rec.status, 206);
    const media = await request(`${base}/api/station/radio-one/file/1/play`, { headers: { cookie } });
    assert.equal(media.status, 403);
  });

  test('a signed link works without a session', async () => {
    const link = built.files.signedUrl({ kind: 'media', station: 'radio-one', id: '1' }, { expiresIn: 60 });
    const r = await request(`${base}/api${link}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, deterministicRange('jingle', 4000, 0, 3999));
  });

  test('downloads land in the JSON-lines log and the access log names station and user', async () => {
    await built.log.close();
    const lines = (await readFile(path.join(dir, 'downloads.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { outcome: string; user: { name?: string } | null });
    assert.ok(lines.some((e) => e.outcome === 'completed' && e.user?.name === 'Ada Admin'));
    assert.ok(lines.some((e) => e.outcome === 'denied'));
    assert.match(accessLines, /radio-one "GET \/api\/station\/radio-one\/streamer\/1\/broadcast\/1\/download" 200 completed 200000/);
    assert.match(accessLines, /Dee_Jay radio-one "GET \/api\/station\/radio-one\/file\/1\/play" 403 denied 0/);
  });
});
