// The demo panel as a fleet (issue 14): two instances on one real PostgreSQL behind a real nginx
// (nginxConfig({ app: [a, b] }), default nextUpstream: error timeout http_503, 2 tries), local storage.
// (a) kill -9 of one instance under mixed load from 50 clients (HEAD, bytes=0-1, ranges, full
// GETs, plus slow full downloads of the 31 MB recording), once with stream delivery and once with
// X-Accel-Redirect hand-offs: no client sees a connection error or a 5xx (a request the dead
// instance never answered went to the other), a download that was streaming from it is cut
// visibly (fewer bytes than Content-Length, never a clean short body), hand-offs already with
// nginx complete byte-exact, every event whose history INSERT had returned before the kill is in
// PostgreSQL, and the panel keeps serving. (b) a rolling restart by SIGTERM (demo-app/server.ts,
// DRAIN_MS) with downloads in flight: every download completes, or is cut at the deadline and
// recorded `aborted` / `shutdown`; none ends early without a record; every instance exits 0.
// Counts, bytes and records only; figures go to .test-tmp/reliability-figures.jsonl.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { demoBackends, sqlAll, withDb, type DemoBackend, type DemoFixture } from '../support/demo-db';
import { freePort, type NginxInstance } from '../support/nginx';
import { request } from '../support/http';
import { checkedRequest, type Ask, type Outcome } from './support/fleet-client';
import {
  alphaFiles,
  DEMO_SERVER,
  fleetNginx,
  parseNginxLog,
  startInstance,
  WITNESS_SERVER,
  type FleetFile,
  type Instance,
  type LogLine,
} from './support/fleet-kit';
import { figure, reliabilityScale, scaled } from './support/fault-figures';
import { prng } from './support/load-kit';

const postgres = demoBackends()[1] as DemoBackend;
/** Each kill -9 run: half of the 60 s × scale of mixed load. */
const PHASE_MS = Math.max(4000, Math.round(30_000 * reliabilityScale()));
const CLIENTS = 50;
const SLOW = 8;
const DRAIN_MS = 2500;
const KiB = 1024;
let tmp: string;

before(async () => {
  await mkdir(path.resolve('.test-tmp'), { recursive: true });
  tmp = await mkdtemp(path.resolve('.test-tmp', 'fleet-'));
  await postgres.setup();
});
after(async () => {
  await postgres.teardown();
  await rm(tmp, { recursive: true, force: true });
});

interface Row {
  id: string;
  outcome: string;
  reason: string | null;
  status: number;
  bytes_sent: number | null;
  size: number | null;
}

async function historyRows(fx: DemoFixture): Promise<Map<string, Row>> {
  const rows = await withDb(fx, (db) => sqlAll<Row>(db, 'SELECT id, outcome, reason, status, bytes_sent, size FROM downloads'));
  return new Map(rows.map((r) => [r.id, { ...r, status: Number(r.status), bytes_sent: r.bytes_sent === null ? null : Number(r.bytes_sent) }]));
}

/** Starts a request and resolves once its response head arrived (or it failed), with the whole outcome to come. */
function started(base: string, ask: Ask): Promise<{ done: Promise<Outcome> }> {
  return new Promise((resolve) => {
    const done = checkedRequest(base, ask, () => resolve({ done }));
    void done.then(() => resolve({ done }));
  });
}

/** The mixed load's next request: HEAD, bytes=0-1, a random range of up to 256 KiB, or a full GET of a file up to 6 MB. */
function mixedAsk(rand: () => number, files: FleetFile[], key: string, seq: number, agent: http.Agent): Ask {
  const r = rand();
  const file = files[Math.floor(rand() * files.length)] as FleetFile;
  const base = { seq, key, agent, file };
  if (r < 0.2) return { ...base, kind: 'head', method: 'HEAD' };
  if (r < 0.45) return { ...base, kind: 'probe', method: 'GET', range: 'bytes=0-1' };
  if (r < 0.75) {
    const start = Math.floor(rand() * (file.size - 1));
    const end = Math.min(file.size - 1, start + Math.floor(rand() * 256 * KiB));
    return { ...base, kind: 'range', method: 'GET', range: `bytes=${start}-${end}` };
  }
  const small = files.filter((f) => f.size <= 6 * 1024 * KiB);
  return { ...base, kind: 'full', method: 'GET', file: small[Math.floor(rand() * small.length)] as FleetFile };
}

/** `clients` clients, each on its own keep-alive connection, until `stopAt`. */
async function mixedLoad(nginx: NginxInstance, files: FleetFile[], key: string, next: () => number, stopAt: number): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      const rand = prng(1000 + c);
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      while (performance.now() < stopAt) outcomes.push(await checkedRequest(nginx.url, mixedAsk(rand, files, key, next(), agent)));
      agent.destroy();
    }),
  );
  return outcomes;
}

/** Witness lines of a fleet-instance: ids whose event reached the sink (`c`) and whose INSERT returned (`r`). */
async function witness(file: string): Promise<{ called: Set<string>; returned: Set<string> }> {
  const lines = (await readFile(file, 'utf8').catch(() => '')).split('\n');
  const of = (tag: string): Set<string> => new Set(lines.filter((l) => l.startsWith(`${tag} `)).map((l) => l.slice(2)));
  return { called: of('c'), returned: of('r') };
}

interface KillRun {
  delivery: 'stream' | 'accel';
  all: Outcome[];
  slow: Outcome[];
  killedAt: number;
  upstreamOf: (o: Outcome) => string[];
  a: string;
  rows: Map<string, Row>;
  seenA: { called: Set<string>; returned: Set<string> };
}

/** Two witness instances and nginx; slow downloads, then the mixed load; kill -9 of the first instance half-way. */
async function killRun(delivery: 'stream' | 'accel'): Promise<KillRun> {
  const fx = await postgres.fresh();
  const { key, files } = await alphaFiles(fx);
  const big = files.reduce((x, y) => (y.size > x.size ? y : x));
  const ports = [await freePort(), await freePort()];
  const witnesses = ports.map((p) => path.join(tmp, `${delivery}-${p}.witness`));
  const instances: Instance[] = [];
  for (const [i, port] of ports.entries()) {
    instances.push(await startInstance(WITNESS_SERVER, port, { ...fx.env, DELIVERY: delivery, WITNESS: witnesses[i] as string }));
  }
  const [a, b] = instances as [Instance, Instance];
  const nginx = await fleetNginx(fx, ports);
  try {
    let seq = 0;
    // One after the other, before any other traffic: nginx's round robin alternates them.
    const slow: Promise<Outcome>[] = [];
    for (let i = 0; i < SLOW; i++) {
      const ask: Ask = { seq: ++seq, kind: 'slow', method: 'GET', file: big, key, pacing: { bytesPerSecond: big.size / ((PHASE_MS * 1.25) / 1000) } };
      slow.push((await started(nginx.url, ask)).done);
    }
    const loadStart = performance.now();
    const load = mixedLoad(nginx, files, key, () => ++seq, loadStart + PHASE_MS);
    await sleep(PHASE_MS / 2);
    a.child.kill('SIGKILL');
    const killedAt = performance.now();
    await a.exited;
    const all = [...(await load), ...(await Promise.all(slow))];
    // The panel keeps serving: pages, the API and downloads through nginx.
    assert.equal((await request(`${nginx.url}/login`)).status, 200);
    assert.equal((await request(`${nginx.url}/api/station/alpha/media`, { headers: { 'x-api-key': key } })).status, 200);
    b.child.kill('SIGTERM');
    assert.deepEqual(await b.exited, { code: 0, signal: null }, 'the survivor drains and exits 0');
    const log = parseNginxLog(nginx.accessLog());
    const outcomesSlow = all.filter((o) => o.kind === 'slow');
    return {
      delivery,
      all,
      slow: outcomesSlow,
      killedAt,
      upstreamOf: (o) => log.get(o.seq)?.upstreams ?? [],
      a: `127.0.0.1:${a.port}`,
      rows: await historyRows(fx),
      seenA: await witness(witnesses[0] as string),
    };
  } finally {
    for (const i of instances) if (i.child.exitCode === null && i.child.signalCode === null) i.child.kill('SIGKILL');
    await nginx.stop();
  }
}

function assertKillRun(t: TestContext, run: KillRun): void {
  const { all, a, upstreamOf, rows } = run;
  const show = (os: Outcome[]): string[] =>
    os.map((o) => `#${o.seq} ${o.kind} ${o.status} ${o.bytes}/${o.announced} ${o.error ?? ''} via ${upstreamOf(o).join('>')}`);
  assert.deepEqual(show(all.filter((o) => o.status === 0)), [], 'every request got a response head: none saw a connection error');
  assert.deepEqual(show(all.filter((o) => o.status !== 200 && o.status !== 206)), [], 'no 5xx: requests the dead instance never answered went to the other');
  assert.deepEqual(show(all.filter((o) => o.mismatch)), [], 'every byte received is the file');
  assert.deepEqual(show(all.filter((o) => o.cleanShort)), [], 'never a clean short body');
  const cut = all.filter((o) => !o.complete);
  assert.deepEqual(show(cut.filter((o) => upstreamOf(o).at(-1) !== a)), [], 'only responses from the killed instance are cut');
  const slowOnA = run.slow.filter((o) => upstreamOf(o)[0] === a);
  assert.ok(slowOnA.length > 0, 'some slow downloads were on the killed instance');
  if (run.delivery === 'stream') {
    assert.deepEqual(show(slowOnA.filter((o) => o.complete)), [], 'downloads streaming from the killed instance are cut');
  } else {
    assert.deepEqual(show(cut), [], 'hand-offs already with nginx complete: nothing is cut');
  }
  assert.deepEqual(show(run.slow.filter((o) => upstreamOf(o)[0] !== a && !o.complete)), [], 'slow downloads on the survivor complete');
  const retried = all.filter((o) => upstreamOf(o).length > 1);
  assert.deepEqual(show(retried.filter((o) => !o.complete || upstreamOf(o).at(-1) === a)), [], 'a retried request was answered whole by the survivor');
  assert.ok(
    all.some((o) => o.startedAt > run.killedAt && o.complete),
    'the panel kept serving after the kill',
  );
  // History: every INSERT that returned before the kill, and every event of the drained survivor.
  assert.deepEqual(
    [...run.seenA.returned].filter((id) => !rows.has(id)),
    [],
    'every returned INSERT of the killed instance is in PostgreSQL',
  );
  const fromSurvivor = all.filter((o) => o.id !== null && upstreamOf(o).at(-1) !== a && upstreamOf(o).length > 0);
  assert.deepEqual(show(fromSurvivor.filter((o) => !rows.has(o.id as string))), [], "every survivor's response has its row");
  const name = `fleet kill -9 (${run.delivery})`;
  const inFlight = [...run.seenA.called].filter((id) => !run.seenA.returned.has(id));
  figure(t, name, 'requests', all.length, 'requests');
  figure(t, name, 'retried by nginx (upstream_addr lists two)', retried.length, 'requests');
  figure(t, name, 'cut (incomplete at the client)', cut.length, 'responses');
  figure(t, name, 'slow downloads on the killed instance', slowOnA.length, 'downloads');
  figure(t, name, 'events of the killed instance at the sink, INSERT not returned', inFlight.length, 'events');
  figure(t, name, 'of those, rows in PostgreSQL anyway', inFlight.filter((id) => rows.has(id)).length, 'rows');
}

describe('kill -9 of one of two instances behind nginx under mixed load', () => {
  for (const delivery of ['stream', 'accel'] as const) {
    test(`${delivery} delivery`, { timeout: PHASE_MS * 4 + 120_000 }, async (t) => {
      assertKillRun(t, await killRun(delivery));
    });
  }
});

interface Round {
  victim: string;
  downloads: Outcome[];
  background: Outcome[];
  exit: { code: number | null; signal: NodeJS.Signals | null };
}

/** Background requests (ranges, HEADs) through nginx on one keep-alive connection until `stop` resolves. */
async function background(nginx: NginxInstance, files: FleetFile[], key: string, next: () => number, stop: Promise<void>): Promise<Outcome[]> {
  let stopped = false;
  void stop.then(() => {
    stopped = true;
  });
  const rand = prng(7);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const outcomes: Outcome[] = [];
  while (!stopped) {
    const ask = mixedAsk(rand, files, key, next(), agent);
    outcomes.push(await checkedRequest(nginx.url, ask.kind === 'full' ? { ...ask, kind: 'probe', range: 'bytes=0-1' } : ask));
  }
  agent.destroy();
  return outcomes;
}

/** Downloads in flight (held: read nothing until the instance is gone; paced: about 1 s each), then SIGTERM of `victim`. */
async function drainRound(nginx: NginxInstance, victim: Instance, files: FleetFile[], key: string, next: () => number): Promise<Round> {
  const big = files.reduce((x, y) => (y.size > x.size ? y : x));
  const medium = files.filter((f) => f.size > 1024 * KiB && f.size <= 6 * 1024 * KiB);
  let release = (): void => {};
  const hold = new Promise<void>((r) => {
    release = r;
  });
  const inFlight: Promise<Outcome>[] = [];
  const count = scaled(8, 4);
  for (let i = 0; i < count; i++) {
    const file = medium[i % medium.length] as FleetFile;
    const held: Ask = { seq: next(), kind: 'held', method: 'GET', file: big, key, pacing: { hold } };
    const paced: Ask = { seq: next(), kind: 'paced', method: 'GET', file, key, pacing: { bytesPerSecond: file.size } };
    // h p p h h p …: nginx's round robin alternates, so each instance gets both kinds.
    for (const ask of i % 2 === 0 ? [held, paced] : [paced, held]) inFlight.push((await started(nginx.url, ask)).done);
  }
  let stopBackground = (): void => {};
  const bg = background(nginx, files, key, next, new Promise<void>((r) => (stopBackground = r)));
  victim.child.kill('SIGTERM');
  const exit = await victim.exited;
  release();
  const downloads = await Promise.all(inFlight);
  stopBackground();
  return { victim: `127.0.0.1:${victim.port}`, downloads, background: await bg, exit };
}

/**
 * Waits until nginx gives requests to the instance on `port` again: after it refused connections
 * while restarting, nginx keeps it out for fail_timeout (10 s) after its last failure, and
 * draining the other one meanwhile would leave no server to try (502). The operator's rule, too.
 */
async function untilInRotation(nginx: NginxInstance, port: number, file: FleetFile, key: string, next: () => number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const seq = next();
    await checkedRequest(nginx.url, { seq, kind: 'rotation', method: 'HEAD', file, key });
    if (parseNginxLog(nginx.accessLog()).get(seq)?.upstreams.at(-1) === `127.0.0.1:${port}`) return;
    await sleep(100);
  }
  throw new Error(`nginx did not send requests to 127.0.0.1:${port} again within 30 s`);
}

describe('rolling restart by SIGTERM with downloads in flight', () => {
  test('each instance in turn: every download completes or is cut at the deadline and recorded `shutdown`', { timeout: 300_000 }, async (t) => {
    const fx = await postgres.fresh();
    const { key, files } = await alphaFiles(fx);
    const ports = [await freePort(), await freePort()];
    const env = { ...fx.env, DELIVERY: 'stream', DRAIN_MS: String(DRAIN_MS) };
    const instances: Instance[] = [];
    for (const port of ports) instances.push(await startInstance(DEMO_SERVER, port, env));
    const nginx = await fleetNginx(fx, ports);
    let seq = 0;
    const rounds: Round[] = [];
    let log = new Map<number, LogLine>();
    try {
      for (const [i, port] of ports.entries()) {
        rounds.push(await drainRound(nginx, instances[i] as Instance, files, key, () => ++seq));
        instances[i] = await startInstance(DEMO_SERVER, port, env);
        await untilInRotation(nginx, port, files[0] as FleetFile, key, () => ++seq);
      }
      for (const i of instances) i.child.kill('SIGTERM');
      const exits = [...rounds.map((r) => r.exit), ...(await Promise.all(instances.map((i) => i.exited)))];
      assert.deepEqual(
        exits,
        exits.map(() => ({ code: 0, signal: null })),
        'every SIGTERM ends in exit 0',
      );
      log = parseNginxLog(nginx.accessLog());
    } finally {
      for (const i of instances) if (i.child.exitCode === null && i.child.signalCode === null) i.child.kill('SIGKILL');
      await nginx.stop();
    }
    assertRounds(t, rounds, await historyRows(fx), (o) => log.get(o.seq)?.upstreams.at(-1) ?? '');
  });
});

function assertRounds(t: TestContext, rounds: Round[], rows: Map<string, Row>, servedBy: (o: Outcome) => string): void {
  const show = (o: Outcome): string => `#${o.seq} ${o.kind} ${o.status} ${o.bytes}/${o.announced} ${o.error ?? ''} id ${o.id}`;
  const downloads = rounds.flatMap((r) => r.downloads);
  const all = [...downloads, ...rounds.flatMap((r) => r.background)];
  assert.deepEqual(all.filter((o) => o.status === 0 || o.status === 502 || o.status === 504).map(show), [], 'no connection error and no 502/504');
  assert.deepEqual(all.filter((o) => o.mismatch || o.cleanShort).map(show), [], 'right bytes, never a clean short body');
  assert.deepEqual(downloads.filter((o) => o.status !== 200).map(show), [], 'every download in flight had started (200)');
  const unrecorded = all.filter((o) => {
    const row = o.id === null ? undefined : rows.get(o.id);
    if (!row) return true;
    if (o.status === 503) return row.status !== 503;
    if (o.complete) return row.outcome !== 'completed' || row.bytes_sent !== (o.method === 'HEAD' ? 0 : o.bytes);
    return row.outcome !== 'aborted' || row.reason !== 'shutdown' || (row.bytes_sent ?? 0) < o.bytes || (row.bytes_sent ?? 0) >= (row.size ?? 0);
  });
  assert.deepEqual(unrecorded.map(show), [], 'every response has its record: completed with its bytes, or aborted / shutdown');
  for (const [i, round] of rounds.entries()) {
    const onVictim = round.downloads.filter((o) => servedBy(o) === round.victim);
    const held = onVictim.filter((o) => o.kind === 'held');
    // Which instance nginx gave each held download to depends on scheduling: assert for those it did.
    assert.deepEqual(held.filter((o) => o.complete).map(show), [], `round ${i + 1}: held downloads on the draining instance are cut at the deadline`);
    assert.ok(
      !onVictim.some((o) => o.kind === 'paced') || onVictim.some((o) => o.kind === 'paced' && o.complete),
      `round ${i + 1}: downloads on the draining instance that finish within DRAIN_MS complete`,
    );
    const elsewhere = round.downloads.filter((o) => servedBy(o) !== round.victim);
    assert.deepEqual(elsewhere.filter((o) => !o.complete).map(show), [], `round ${i + 1}: downloads on the other instance complete`);
  }
  const name = 'fleet rolling restart (SIGTERM)';
  figure(t, name, 'downloads in flight', downloads.length, 'downloads');
  figure(t, name, 'completed', downloads.filter((o) => o.complete).length, 'downloads');
  figure(t, name, 'cut at the deadline (aborted / shutdown)', downloads.filter((o) => !o.complete).length, 'downloads');
  figure(t, name, 'background requests', all.length - downloads.length, 'requests');
  figure(t, name, '503 Shutting down seen by clients', all.filter((o) => o.status === 503).length, 'responses');
}
