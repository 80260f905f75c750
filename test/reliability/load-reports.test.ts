// 200 clients (× RELIABILITY_SCALE) for 60 s through a real nginx with download reports on, mixing
// full downloads, ranges, probes, HEADs and downloads the client leaves mid-body, over local files
// and S3 objects. Exactly one DownloadEvent per request, joined with nginx's own access log by
// request id: every hand-off reported by nginx (none timed out, none overflowed, none forged), with
// the status and bytes nginx logged; completed downloads carry the bytes the client got.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createS3Client, s3Storage } from '../../lib/entry/s3';
import type { DownloadEvent } from '../../lib';
import { startReportStack, type ReportStack, type StackFile } from '../support/report-stack';
import { s3TestConfig } from '../support/s3';
import { createFixtures, figure, KiB, MiB, prng, scaled, type Fixture, type Fixtures } from './support/load-kit';

const NAME = 'load-reports';
const CLIENTS = scaled(200, 8);
const SECONDS = scaled(60, 5);
const sizes = [KiB, 64 * KiB + 1, MiB, scaled(16, 2) * MiB];
const files: Fixture[] = (['local', 's3'] as const).flatMap((storage) =>
  sizes.map((size, i) => ({ storage, key: `file-${i}.bin`, seed: `${NAME}-${storage}-${i}`, size })),
);
const episodes: StackFile[] = files.map((f, i) => ({ episode: String(i + 1), storage: f.storage === 'local' ? 'disk' : 's3', key: f.key }));
/** access.log: nginx's request id, the app's event id, status, body bytes. */
const ACCESS = '$request_id $sent_http_x_request_id $status $body_bytes_sent';
/** Aborting clients leave after this many body bytes of the biggest file. */
const LEAVE_AFTER = Math.min(MiB, Math.floor((sizes[3] ?? 0) / 4));
const cfg = s3TestConfig();
const client = createS3Client({
  endpoint: cfg.endpoint,
  region: cfg.region,
  forcePathStyle: cfg.forcePathStyle,
  credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey },
});
let fixtures: Fixtures;
let stack: ReportStack;

before(async () => {
  fixtures = await createFixtures(NAME, files);
  const s3 = s3Storage({ client, bucket: cfg.bucket, prefix: fixtures.s3Prefix, accel: {} });
  stack = await startReportStack({ localRoot: fixtures.localRoot, s3, files: episodes, timeoutMs: 600_000, accessLogFormat: ACCESS, workers: 2 });
});
after(async () => {
  await stack?.stop();
  client.destroy();
  await fixtures?.remove();
});

type Kind = 'head' | 'probe' | 'range' | 'full' | 'abort';
interface Sent {
  kind: Kind;
  id: string;
  status: number;
  read: number;
  expected: number;
}

/** One request of the mix: HEAD 15 %, probe 15 %, range 35 %, full 25 %, left mid-body 10 %. */
function plan(rng: () => number): { kind: Kind; episode: number; range?: string; expected: number } {
  const i = Math.floor(rng() * files.length);
  const size = files[i]?.size ?? 1;
  const r = rng();
  if (r < 0.15) return { kind: 'head', episode: i + 1, expected: 0 };
  if (r < 0.3) return { kind: 'probe', episode: i + 1, range: 'bytes=0-1', expected: 2 };
  if (r < 0.65) {
    const start = Math.floor(rng() * size);
    const end = Math.min(size - 1, start + Math.floor(rng() * 4 * MiB));
    return { kind: 'range', episode: i + 1, range: `bytes=${start}-${end}`, expected: end - start + 1 };
  }
  if (r < 0.9) return { kind: 'full', episode: i + 1, expected: size };
  return { kind: 'abort', episode: 4 + 4 * Math.floor(rng() * 2), expected: files[3]?.size ?? 0 };
}

function send(p: ReturnType<typeof plan>, agent: http.Agent): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const headers = p.range ? { Range: p.range } : undefined;
    const req = http.request(stack.url(String(p.episode)), { method: p.kind === 'head' ? 'HEAD' : 'GET', agent, headers }, (res) => {
      let read = 0;
      const done = (): void => resolve({ kind: p.kind, id: String(res.headers['x-request-id']), status: res.statusCode ?? 0, read, expected: p.expected });
      res.on('data', (c: Buffer) => {
        read += c.length;
        if (p.kind === 'abort' && read >= LEAVE_AFTER) {
          res.destroy();
          done();
        }
      });
      res.on('end', done);
      res.on('error', () => undefined);
    });
    req.on('error', reject);
    req.end();
  });
}

async function clientLoop(seed: number, until: number, out: Sent[]): Promise<void> {
  const rng = prng(seed);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    while (Date.now() < until) out.push(await send(plan(rng), agent));
  } finally {
    agent.destroy();
  }
}

async function allEvents(n: number): Promise<DownloadEvent[]> {
  const deadline = Date.now() + 60_000;
  while (stack.events.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return stack.events;
}

test(`${CLIENTS} clients for ${SECONDS} s: one event per request, each hand-off with nginx's own figures`, async (t) => {
  const sent: Sent[] = [];
  const until = Date.now() + SECONDS * 1000;
  await Promise.all(Array.from({ length: CLIENTS }, (_, i) => clientLoop(1000 + i, until, sent)));
  const events = await allEvents(sent.length);
  assert.equal(events.length, sent.length, 'exactly one event per request');
  const byId = new Map(events.map((e) => [e.id, e]));
  assert.equal(byId.size, events.length, 'no id twice');

  const lines = stack.nginx
    .accessLog()
    .trim()
    .split('\n')
    .map((l) => l.split(' '));
  assert.equal(lines.length, sent.length, "nginx's access log has one line per request");
  let handOffs = 0;
  const kindOf = new Map(sent.map((s) => [s.id, s]));
  const unreported = events
    .filter((e) => e.delivery === 'accel' && e.report !== 'nginx')
    .map((e) => ({ ...kindOf.get(e.id), report: e.report, status: e.status, range: e.range, line: lines.find((l) => l[1] === e.id)?.join(' ') }));
  assert.deepEqual(unreported, [], `stats ${JSON.stringify(stack.reports.stats())}`);
  for (const [requestId, id, status, bytes] of lines) {
    const e = byId.get(id ?? '');
    assert.ok(e, `no event for nginx's line ${requestId} ${id}`);
    assert.equal(e.correlationId, requestId);
    assert.equal(e.status, Number(status), `status of ${id}`);
    if (e.delivery !== 'accel') continue;
    handOffs++;
    assert.equal(e.report, 'nginx', `hand-off ${id} not reported: ${e.report}`);
    assert.equal(e.bytesSent, Number(bytes), `bytes of ${id}`);
  }
  let slack = 0;
  for (const s of sent) {
    const e = byId.get(s.id);
    assert.ok(e, `no event for the client's ${s.kind} ${s.id}`);
    if (s.kind === 'abort') {
      assert.ok((e.bytesSent ?? -1) >= s.read, `${s.id}: nginx sent ${e.bytesSent}, the client read ${s.read}`);
      slack = Math.max(slack, (e.bytesSent ?? 0) - s.read);
    } else {
      assert.equal(s.read, s.expected, `${s.kind} ${s.id} incomplete`);
      assert.equal(e.bytesSent, s.read, `${s.kind} ${s.id}: event bytes vs client bytes`);
      assert.equal(e.outcome, 'completed');
    }
  }
  const st = stack.reports.stats();
  assert.deepEqual([st.timedOut, st.overflowed, st.forged, st.garbled, st.unknown, st.pending], [0, 0, 0, 0, 0, 0]);
  assert.equal(st.reported, handOffs);
  figure(t, NAME, 'requests', sent.length, 'count');
  figure(t, NAME, 'hand-offs reported by nginx', st.reported, 'count');
  figure(t, NAME, 'aborted downloads', sent.filter((s) => s.kind === 'abort').length, 'count');
  figure(t, NAME, 'max nginx bytes − client bytes (aborts)', slack, 'bytes');
  figure(
    t,
    NAME,
    'body bytes reported',
    events.reduce((n, e) => n + (e.bytesSent ?? 0), 0),
    'bytes',
  );
  figure(t, NAME, 'receive buffer', st.recvBufferSize, 'bytes');
});
