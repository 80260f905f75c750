// The logrotate stanza of README.md ("The download log"), run for real: Debian's logrotate
// rotates (rename, create, postrotate SIGHUP) a jsonLinesLog file twice while a child app
// appends to it without pause and calls log.reopen() on SIGHUP. Afterwards the rotated files
// (one compressed thanks to delaycompress on the second run) and the current file together hold
// every event the app logged exactly once, in order, as whole lines.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

const repo = path.resolve(__dirname, '..', '..');
const CHILD = path.join(repo, 'test', 'fixtures', 'logrotate-child.ts');
const README_LOG = '/var/log/station-files/downloads.jsonl';
const README_PID = '/run/station-panel.pid';
const LOGROTATE = ['/usr/sbin/logrotate', '/sbin/logrotate', '/usr/bin/logrotate'].find((p) => existsSync(p));

let dir: string;
let child: ChildProcess | undefined;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sf-logrotate-'));
});
after(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

/** The README's logrotate stanza: the fenced block that names the log file. */
async function readmeStanza(): Promise<string> {
  const readme = await readFile(path.join(repo, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n\`\`\`\n${README_LOG} {\n`);
  assert.ok(start >= 0, 'README.md has a logrotate stanza for the download log');
  const body = readme.slice(start + '\n```\n'.length);
  return body.slice(0, body.indexOf('\n```') + 1);
}

/** Polls `check` until it is true; fails (with `what`) only if it never becomes true. */
async function waitFor(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 1500; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.fail(`gave up waiting: ${what}`);
}

const nonEmpty = (file: string) => async (): Promise<boolean> => ((await stat(file).catch(() => undefined))?.size ?? 0) > 0;

function run(cmd: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, output: `${stdout}${stderr}` }));
  });
}

function ids(text: string, name: string): string[] {
  if (text === '') return [];
  assert.ok(text.endsWith('\n'), `${name} ends with a newline`);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => (JSON.parse(line) as { id: string }).id);
}

describe('logrotate with the README stanza', () => {
  test('two rotations while the app appends: every event once, in order, whole lines', async (t) => {
    assert.ok(LOGROTATE, 'logrotate is not installed (Debian package logrotate: run bash test/install-system-deps.sh as root)');
    const logDir = path.join(dir, 'log');
    await mkdir(logDir, { mode: 0o755 });
    const file = path.join(logDir, 'downloads.jsonl');
    const pidFile = path.join(dir, 'app.pid');
    const conf = path.join(dir, 'logrotate.conf');
    const state = path.join(dir, 'logrotate.state');
    await writeFile(conf, (await readmeStanza()).replaceAll(README_LOG, file).replaceAll(README_PID, pidFile), { mode: 0o644 });

    child = spawn(process.execPath, ['--import', 'tsx', CHILD, file], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => void (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => void (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    const lines = (prefix: string): string[] => out.split('\n').filter((l) => l.startsWith(prefix));
    await waitFor(`the child to start (${err})`, () => out.includes('ready\n'));
    await writeFile(pidFile, `${child.pid}\n`);

    for (let round = 1; round <= 2; round++) {
      await waitFor(`events in the log before rotation ${round}`, nonEmpty(file));
      const rotated = await run(LOGROTATE, ['-f', '-s', state, conf]);
      assert.equal(rotated.code, 0, `logrotate: ${rotated.output}`);
      await waitFor(`the app to reopen after rotation ${round} (${err})`, () => lines('reopened ').length === round);
    }
    await waitFor('events in the newest log', nonEmpty(file));
    child.kill('SIGTERM');
    assert.equal(await exited, 0, `child stderr: ${err}`);
    const total = Number(lines('done ')[0]?.slice('done '.length));
    assert.ok(total > 0, `the app logged events (${out})`);
    assert.equal(err, '', 'the app reported no problem to onError');

    const files = {
      oldest: gunzipSync(await readFile(`${file}.2.gz`)).toString('utf8'), // compressed on the second run
      previous: await readFile(`${file}.1`, 'utf8'), // left uncompressed by delaycompress
      current: await readFile(file, 'utf8'),
    };
    const parts = Object.entries(files).map(([name, text]) => ids(text, name));
    for (const [i, part] of parts.entries()) assert.ok(part.length > 0, `file ${i} holds events`);
    assert.deepEqual(
      parts.flat(),
      Array.from({ length: total }, (_, i) => `req-${i}`),
    );
    assert.equal((await stat(file)).mode & 0o777, 0o640, 'create 0640');
  });
});
