// kill -9 of a serving process mid-way through 100 concurrent downloads: what the download records
// hold afterwards.
// jsonLinesLog promises whole lines (one write each) and that what was written is in the file; it
// writes asynchronously, so events still queued in memory are lost. A synchronous witness sink in
// the child records which events were emitted: the log must be a gap-free prefix of them (whole
// lines, in order); the lost tail is measured, with how long before the kill its clients were done.
// The demo panel inserts into SQLite synchronously in its sink: every insert that returned (witnessed
// the same way) must have its row after the kill, in a database that opens cleanly. A client sees a
// body complete as soon as the kernel has the last byte; the server records the download one or two
// event-loop turns later (on 'finish', then on-finished's setImmediate) -- later still when the
// process is starved of CPU -- so a kill in that window loses the row of a download the client has
// whole: counted and reported; a download seen complete GRACE_MS before the kill must have its row.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openSqlite } from '../../demo-app/db/database';
import { writeDeterministicFile } from '../support/s3';
import { pacedGet, type PacedResult } from './support/fault-clients';
import { figure, scaled } from './support/fault-figures';
import type { Kill9Ready } from './support/fault-kill9-server';

const SERVER = path.join(__dirname, 'support', 'fault-kill9-server.ts');
const DOWNLOADS = scaled(100, 10);
const LARGE = Math.round(DOWNLOADS * 0.4);
const SMALL = DOWNLOADS - LARGE;
const GRACE_MS = 1000; // measured: rows missing for downloads seen complete up to 136 ms before the kill
const KiB = 1024;
const MiB = 1024 * KiB;
let dir: string;
const children = new Set<ChildProcess>();

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sf-kill9-'));
});
after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

/** Starts the server script in a child process and waits for its ready line. */
async function startChild(args: string[], timeoutMs: number): Promise<{ child: ChildProcess; ready: Kill9Ready; stderr: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let err = '';
  child.stderr?.on('data', (d: Buffer) => void (err += d.toString()));
  const ready = await new Promise<Kill9Ready>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server not ready after ${timeoutMs} ms: ${err}`)), timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      resolve(JSON.parse(out.slice(0, nl)) as Kill9Ready);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before it was ready: ${err}`));
    });
  });
  return { child, ready, stderr: () => err };
}

interface Seen {
  id: string | undefined;
  size: number;
  large: boolean;
  result: PacedResult | null;
}

/**
 * Runs every download at once (large ones read slowly, so they are in flight), and SIGKILLs the
 * child once half of the small ones completed. Resolves when every client is done.
 */
async function downloadAndKill(
  child: ChildProcess,
  jobs: { url: string; size: number; large: boolean }[],
  headers: Record<string, string>,
): Promise<{ seen: Seen[]; killedAt: number; allClosedMs: number }> {
  let smallDone = 0;
  let killedAt = 0;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const seen = await Promise.all(
    jobs.map(async (job, i): Promise<Seen> => {
      const pace = { delayMs: job.large ? 20 : 3 + (i % 5) };
      const result = await pacedGet(job.url, { pace, headers, timeoutMs: 30_000 }).catch(() => null);
      if (!job.large && result?.complete && ++smallDone === Math.ceil(SMALL / 2)) {
        child.kill('SIGKILL');
        killedAt = performance.now();
      }
      return { id: result?.headers['x-request-id'] as string | undefined, size: job.size, large: job.large, result };
    }),
  );
  await exited;
  return { seen, killedAt, allClosedMs: Math.max(...seen.map((s) => s.result?.endedAt ?? 0)) - killedAt };
}

/** Splits what the client saw into completed before the kill (with the lag), after it, and cut. */
function classify(seen: Seen[], killedAt: number) {
  const completed = seen.filter((s) => s.result?.complete && s.id);
  return {
    completed,
    seenBefore: completed.filter((s) => (s.result?.endedAt ?? 0) <= killedAt),
    largeInFlight: seen.filter((s) => s.large && !s.result?.complete).length,
    lag: (s: Seen): number => killedAt - (s.result?.endedAt ?? 0),
  };
}

describe('kill -9 of a server logging with jsonLinesLog', () => {
  test(`${DOWNLOADS} concurrent downloads: whole lines, a gap-free prefix of the events; what a kill loses is measured`, async (t) => {
    const root = path.join(dir, 'files');
    const logFile = path.join(dir, 'downloads.jsonl');
    const witnessFile = path.join(dir, 'emitted.txt');
    const jobs: { url: string; size: number; large: boolean }[] = [];
    await mkdir(root, { recursive: true });
    await writeDeterministicFile(path.join(root, 'large.bin'), 'kill9-large', 64 * MiB);
    for (let i = 0; i < SMALL; i++) await writeDeterministicFile(path.join(root, `small-${i}.bin`), `kill9-${i}`, (i + 1) * 16 * KiB);
    const { child, ready } = await startChild(['log', root, logFile, witnessFile], 30_000);
    const base = `http://127.0.0.1:${ready.port}/api/station/st/file`;
    for (let i = 0; i < DOWNLOADS; i++) {
      jobs.push(
        i < LARGE
          ? { url: `${base}/large/play`, size: 64 * MiB, large: true }
          : { url: `${base}/small-${i - LARGE}/play`, size: (i - LARGE + 1) * 16 * KiB, large: false },
      );
    }
    const { seen, killedAt, allClosedMs } = await downloadAndKill(child, jobs, {});

    const text = await readFile(logFile, 'utf8');
    const torn = text.length > 0 && !text.endsWith('\n');
    const lines = text.split('\n').slice(0, -1);
    const parsed = lines.map((l) => {
      try {
        return JSON.parse(l) as { id?: string; outcome?: string; bytesSent?: number };
      } catch {
        return null;
      }
    });
    const ids = parsed.map((e) => e?.id);
    const emitted = (await readFile(witnessFile, 'utf8')).split('\n').filter(Boolean);
    const logged = new Set(ids);
    const { completed, seenBefore, largeInFlight, lag } = classify(seen, killedAt);
    const missing = completed.filter((s) => !logged.has(s.id));
    const lost = missing.filter((s) => emitted.includes(s.id as string)); // emitted, still queued at the kill
    const name = (metric: string): string => `jsonLinesLog: ${metric}`;
    figure(t, 'durability-kill9', name('downloads the client saw complete'), completed.length, 'downloads');
    figure(t, 'durability-kill9', name('… of which before the kill'), seenBefore.length, 'downloads');
    figure(t, 'durability-kill9', name('large downloads cut by the kill'), largeInFlight, 'downloads');
    figure(t, 'durability-kill9', name('events emitted (witness)'), emitted.length, 'events');
    figure(t, 'durability-kill9', name('log lines'), lines.length, 'lines');
    figure(t, 'durability-kill9', name('events emitted but lost (queued at the kill)'), emitted.length - lines.length, 'events');
    figure(t, 'durability-kill9', name('completed downloads missing from the log'), missing.length, 'downloads');
    figure(t, 'durability-kill9', name('… of which emitted before the kill'), lost.length, 'downloads');
    figure(
      t,
      'durability-kill9',
      name('longest a client had a download complete before the kill without a line'),
      Math.round(Math.max(0, ...missing.map(lag))),
      'ms',
    );
    figure(t, 'durability-kill9', name('kill to every client closed'), Math.round(allClosedMs), 'ms');
    t.diagnostic(`missing (ms between the client's completion and the kill): ${JSON.stringify(missing.map((s) => Math.round(lag(s))))}`);

    assert.equal(torn, false, 'the last line is whole');
    assert.equal(parsed.filter((e) => e === null).length, 0, 'every line parses as JSON');
    assert.deepEqual(ids, emitted.slice(0, ids.length), 'the log is a gap-free prefix of the emitted events, in order');
    assert.ok(largeInFlight > 0, 'the kill came mid-way: large downloads were in flight');
    assert.ok(seenBefore.length >= Math.ceil(SMALL / 2), 'half of the small downloads completed first');
    for (const e of parsed) {
      const s = completed.find((c) => c.id === e?.id);
      if (s) assert.equal(e?.bytesSent, s.size, `a logged completed download has its size as bytesSent (${e?.outcome})`);
    }
  });
});

describe('kill -9 of the demo panel (SQLite history)', () => {
  test(`${DOWNLOADS} concurrent downloads: every insert survives, downloads seen complete before the kill have rows, the database opens cleanly`, async (t) => {
    const dataDir = path.join(dir, 'demo');
    const started = performance.now();
    const witnessFile = path.join(dir, 'inserted.txt');
    const { child, ready } = await startChild(['demo', dataDir, witnessFile], 90_000);
    figure(t, 'durability-kill9', 'demo panel: first start (seeding) until ready', Math.round(performance.now() - started), 'ms');
    const files = ready.files ?? [];
    const largest = files.reduce((a, b) => (b.size > a.size ? b : a));
    const small = files.filter((f) => f !== largest && f.size <= 5 * MiB);
    assert.ok(small.length > 0 && ready.apiKey);
    const origin = `http://127.0.0.1:${ready.port}`;
    const jobs = Array.from({ length: DOWNLOADS }, (_, i) => {
      const f = i < LARGE ? largest : (small[i % small.length] as typeof largest);
      return { url: origin + f.url, size: f.size, large: i < LARGE };
    });
    const { seen, killedAt, allClosedMs } = await downloadAndKill(child, jobs, { 'x-api-key': ready.apiKey as string });

    const db = openSqlite(path.join(dataDir, 'panel.db'));
    try {
      const integrity = db.raw.pragma('integrity_check', { simple: true });
      const row = db.raw.prepare<[string], { outcome: string; bytes_sent: number | null }>('SELECT outcome, bytes_sent FROM downloads WHERE id = ?');
      const { completed, seenBefore, largeInFlight, lag } = classify(seen, killedAt);
      const missing = completed.filter((s) => row.get(s.id as string) === undefined);
      const inserted = (await readFile(witnessFile, 'utf8')).split('\n').filter(Boolean);
      const name = (metric: string): string => `demo panel: ${metric}`;
      figure(t, 'durability-kill9', name('downloads the client saw complete'), completed.length, 'downloads');
      figure(t, 'durability-kill9', name('… of which before the kill'), seenBefore.length, 'downloads');
      figure(t, 'durability-kill9', name('large downloads cut by the kill'), largeInFlight, 'downloads');
      figure(t, 'durability-kill9', name('inserts that returned before the kill (witness)'), inserted.length, 'rows');
      figure(t, 'durability-kill9', name('completed downloads without a row'), missing.length, 'downloads');
      figure(t, 'durability-kill9', name('… of which the client saw complete before the kill'), missing.filter((s) => lag(s) >= 0).length, 'downloads');
      figure(t, 'durability-kill9', name('kill to every client closed'), Math.round(allClosedMs), 'ms');
      figure(
        t,
        'durability-kill9',
        name('longest a client had a download complete before the kill without a row'),
        Math.round(Math.max(0, ...missing.map(lag))),
        'ms',
      );
      t.diagnostic(`missing (ms between the client's completion and the kill): ${JSON.stringify(missing.map((s) => Math.round(lag(s))))}`);
      assert.equal(integrity, 'ok');
      assert.deepEqual(
        inserted.filter((id) => row.get(id) === undefined),
        [],
        'every insert that returned survived the kill',
      );
      assert.ok(largeInFlight > 0, 'the kill came mid-way');
      for (const s of completed) {
        const r = row.get(s.id as string);
        if (r) assert.deepEqual([r.outcome, r.bytes_sent], ['completed', s.size]);
      }
      assert.deepEqual(
        missing.filter((s) => lag(s) >= GRACE_MS).map((s) => Math.round(lag(s))),
        [],
        `every download seen complete ${GRACE_MS} ms before the kill has a row`,
      );
    } finally {
      db.close();
    }
  });
});
