// The README's mounting guide runs: its snippets are slices of test/fixtures/mounting-guide.ts
// (checked here line for line), and that file runs as a program, as a host panel would run it,
// behind the nginx config it generates, against the suite's S3.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from '../support/http';
import { freePort, startNginx, type NginxInstance } from '../support/nginx';
import { createTestS3Client, deterministicRange, ensureBucket, putObjectStream, s3TestConfig } from '../support/s3';

const repo = path.resolve(__dirname, '..', '..');
const cfg = s3TestConfig();
const { client } = createTestS3Client();
let dir: string;
let child: ChildProcess;
let stdout = '';
let app: string;
let base: string;
let nginx: NginxInstance;

async function waitForApp(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`the guide exited (${child.exitCode}): ${stdout}`);
    const ok = await request(`${url}/guide/link`).then(
      () => true,
      () => false,
    );
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`the guide did not listen: ${stdout}`);
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sf-guide-'));
  await writeFile(path.join(dir, 'jingle.mp3'), deterministicRange('jingle', 4000, 0, 3999));
  await ensureBucket(client, cfg.bucket);
  await putObjectStream(client, cfg.bucket, 'recordings/morning-show.mp3', 'morning', 200_000);
  const port = await freePort();
  app = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, ['--import', 'tsx', path.join(repo, 'test/fixtures/mounting-guide.ts')], {
    env: {
      ...process.env,
      PORT: String(port),
      MEDIA_ROOT: dir,
      DOWNLOAD_LOG: path.join(dir, 'downloads.jsonl'),
      LINK_SECRET: 'guide link secret: 0123456789abcdef0123456789abcdef',
      SESSION_SECRET: 'guide session secret',
      S3_ENDPOINT: cfg.endpoint,
      S3_BUCKET: cfg.bucket,
      S3_ACCESS_KEY_ID: cfg.accessKeyId,
      S3_SECRET_ACCESS_KEY: cfg.secretAccessKey,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  await waitForApp(app);
  // The guide's media storage hands files to nginx: run it behind the nginx config generated
  // from the same storages, as an operator would.
  const listen = await freePort();
  const config = (await request(`${app}/guide/nginx?listen=127.0.0.1:${listen}`)).body.toString();
  nginx = await startNginx({ listenPort: listen, config });
  base = nginx.url;
});
after(async () => {
  await nginx?.stop();
  child?.kill('SIGTERM');
  await new Promise((resolve) => (child?.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
  client.destroy();
  await rm(dir, { recursive: true, force: true });
});

const recording = '/api/station/radio-one/streamer/1/broadcast/1/download';

describe('README mounting guide', () => {
  test('every guide snippet in the README is the code in test/fixtures/mounting-guide.ts', async () => {
    const readme = await readFile(path.join(repo, 'README.md'), 'utf8');
    const source = (await readFile(path.join(repo, 'test/fixtures/mounting-guide.ts'), 'utf8')).replace(
      /'\.\.\/\.\.\/lib(?:\/entry\/([\w-]+))?'/g,
      (_m, sub?: string) => (sub ? `'station-files/${sub}'` : "'station-files'"),
    );
    const quick = (await readFile(path.join(repo, 'test/fixtures/quick-start.ts'), 'utf8')).replace("'../../lib'", "'station-files'");
    const snippets = [...`${source}\n${quick}`.matchAll(/\/\/ --- snippet: (\w+)\n([\s\S]*?)\n\s*\/\/ --- end/g)];
    assert.equal(snippets.length, 4);
    for (const [, name, code] of snippets) {
      assert.ok(readme.includes(code as string), `README lacks the "${name}" snippet as written in the fixture`);
    }
  });

  test('an API key downloads a recording from S3', async () => {
    const r = await request(`${base}${recording}`, { headers: { 'x-api-key': 'key-ada' } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, deterministicRange('morning', 200_000, 0, 199_999));
    assert.match(String(r.headers['content-disposition']), /filename="Morning Show.mp3"/);
  });

  test('a wrong API key or none is 401; a browser without a session goes to the login page', async () => {
    assert.equal((await request(`${base}${recording}`, { headers: { 'x-api-key': 'nope' } })).status, 401);
    assert.equal((await request(`${base}${recording}`)).status, 401);
    const browser = await request(`${base}${recording}`, { headers: { accept: 'text/html' } });
    assert.equal(browser.status, 303);
    assert.equal(browser.headers.location, '/login');
  });

  test('the login form gives a session; the DJ may fetch recordings but not media', async () => {
    const login = await request(`${base}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=dj&password=dj-password',
    });
    assert.equal(login.status, 204);
    const cookie = String(login.headers['set-cookie']?.[0]).split(';')[0] as string;
    const rec = await request(`${base}${recording}`, { headers: { cookie, range: 'bytes=0-1' } });
    assert.equal(rec.status, 206);
    assert.equal((await request(`${base}/api/station/radio-one/file/1/play`, { headers: { cookie } })).status, 403);
    const wrong = await request(`${base}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=dj&password=nope',
    });
    assert.equal(wrong.status, 401);
  });

  test('a signed link from files.url works without a session, through nginx', async () => {
    const link = (await request(`${app}/guide/link`)).body.toString();
    assert.match(link, /^\/api\/station\/radio-one\/file\/1\/play\?expires=/);
    const r = await request(`${base}${link}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, deterministicRange('jingle', 4000, 0, 3999));
  });

  test('downloads land in the JSON-lines log and the access log names station and user', async () => {
    child.kill('SIGTERM'); // the guide closes its log on SIGTERM
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    const lines = (await readFile(path.join(dir, 'downloads.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { outcome: string; user: { name?: string } | null; via: string | null });
    assert.ok(lines.some((e) => e.outcome === 'completed' && e.user?.name === 'Ada Admin' && e.via === 'authenticate'));
    assert.ok(lines.some((e) => e.outcome === 'completed' && e.via === 'signed-link'));
    assert.ok(lines.some((e) => e.outcome === 'denied'));
    assert.match(stdout, /Ada_Admin radio-one "GET \/api\/station\/radio-one\/streamer\/1\/broadcast\/1\/download" 200 completed 200000/);
    assert.match(stdout, /Dee_Jay radio-one "GET \/api\/station\/radio-one\/file\/1\/play" 403 denied 0/);
  });
});

describe('README quick start', () => {
  test('serves a file, whole and by range, and reports each result', async () => {
    const port = await freePort();
    const quick = spawn(process.execPath, ['--import', 'tsx', path.join(repo, 'test/fixtures/quick-start.ts')], {
      env: { ...process.env, PORT: String(port), MEDIA_ROOT: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    quick.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    quick.stderr?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    try {
      const url = `http://127.0.0.1:${port}/media/jingle.mp3`;
      let whole = await request(url).catch(() => null);
      for (let i = 0; !whole && i < 300; i++) {
        await sleep(100);
        whole = await request(url).catch(() => null);
      }
      assert.ok(whole, `the quick start did not listen: ${out}`);
      assert.equal(whole.status, 200);
      assert.deepEqual(whole.body, deterministicRange('jingle', 4000, 0, 3999));
      assert.match(String(whole.headers['content-disposition']), /^inline;/);
      const range = await request(url, { headers: { range: 'bytes=0-1' } });
      assert.equal(range.status, 206);
      assert.equal((await request(`http://127.0.0.1:${port}/media/missing.mp3`)).status, 404);
      for (let i = 0; !out.includes('completed 206 2') && i < 50; i++) await sleep(50);
      assert.match(out, /\/media\/jingle\.mp3 completed 200 4000/);
      assert.match(out, /\/media\/jingle\.mp3 completed 206 2/);
    } finally {
      quick.kill('SIGTERM');
    }
  });
});
