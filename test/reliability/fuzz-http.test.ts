// Property-based fuzzing of Range, If-Range, If-Match, If-None-Match, If-Modified-Since and
// If-Unmodified-Since (valid, near-valid and garbage values, alone and combined; GET and HEAD)
// against real servers: fileHandler over localStorage and over s3Storage on the test Ceph. (Local
// files handed to nginx are not fuzzed against the model: README, Behind nginx, names that limit.)
// Every response is checked for the HTTP invariants (test/reliability/support/fuzz-runner.ts) and
// against an independent RFC 9110 model (support/fuzz-model.ts).
//
// Runs to the end even when cases fail, so one frequent failure does not hide the others; then
// each kind of failure is replayed from its seed and path so that fast-check shrinks it.
// FUZZ_SEED=<n> reproduces a run; RELIABILITY_SCALE scales the 100,000 cases (0.05: a quick run).
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { createTestS3Client, deterministicRange, ensureBucket, s3TestConfig } from '../support/s3';
import { allowedOutcomes, describeOutcome, formatDate } from './support/fuzz-model';
import { fuzzCase, type FuzzCase, type FuzzFile } from './support/fuzz-arbitraries';
import { runCase, signatureOf, type FuzzTarget } from './support/fuzz-runner';
import { startServerProcess, type ServerProcess } from './support/fuzz-server';

const SCALE = Number(process.env.RELIABILITY_SCALE ?? '1') > 0 ? Number(process.env.RELIABILITY_SCALE ?? '1') : 1;
const TOTAL = Math.max(400, Math.round(100_000 * SCALE));
const SEED = process.env.FUZZ_SEED !== undefined && process.env.FUZZ_SEED !== '' ? Number(process.env.FUZZ_SEED) | 0 : (Date.now() ^ (process.pid << 16)) | 0;
const IN_FLIGHT = 16;
fc.configureGlobal({ seed: SEED });

// name, size, weight; `old.bin` (mtime in 1985) only on disk: S3 sets its own dates.
const FILES: [string, number, number][] = [
  ['empty.bin', 0, 10],
  ['one.bin', 1, 10],
  ['small.bin', 100, 20],
  ['mid.bin', 65_537, 14],
  ['big.bin', 1024 * 1024, 4],
  ['old.bin', 777, 10],
];
const MTIME = new Date('2024-03-10T12:34:56.789Z'); // the .789 must not leak into Last-Modified or If-Range dates
const OLD_MTIME = new Date('1985-03-10T08:09:10.500Z');
const contentOf = (name: string, size: number): Buffer => (size === 0 ? Buffer.alloc(0) : deterministicRange(`fuzz:${name}`, size, 0, size - 1));

const cfg = s3TestConfig();
const setup = createTestS3Client().client;
const prefix = `fuzz-http-${Date.now().toString(36)}/`;
let root: string;
const servers: ServerProcess[] = [];
const targets: FuzzTarget[] = [];

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'sf-fuzz-'));
  await ensureBucket(setup, cfg.bucket);
  const local: FuzzFile[] = [];
  const remote: FuzzFile[] = [];
  for (const [name, size, weight] of FILES) {
    const file = path.join(root, name);
    await writeFile(file, contentOf(name, size));
    const when = name === 'old.bin' ? OLD_MTIME : MTIME;
    await utimes(file, when, when);
    const st = await stat(file);
    const lastModified = Math.floor(st.mtimeMs / 1000);
    // nginx's static-file ETag, as the README says: "<mtime seconds hex>-<size hex>".
    local.push({ name, size, weight, lastModified, etag: `"${lastModified.toString(16)}-${size.toString(16)}"` });
    if (name === 'old.bin') continue;
    await setup.send(new PutObjectCommand({ Bucket: cfg.bucket, Key: prefix + name, Body: contentOf(name, size), ContentLength: size }));
    const head = await setup.send(new HeadObjectCommand({ Bucket: cfg.bucket, Key: prefix + name }));
    remote.push({ name, size, weight, etag: String(head.ETag), lastModified: Math.floor((head.LastModified as Date).getTime() / 1000) });
  }
  // The apps run in child processes (support/fuzz-server.ts): the client's event loop stays free.
  const [localApp, s3App] = await Promise.all([startServerProcess('local', root), startServerProcess('s3', cfg.bucket, prefix)]);
  servers.push(localApp, s3App);
  const at = (p: ServerProcess): string => `http://127.0.0.1:${p.port}`;
  const agent = (): http.Agent => new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  targets.push(
    { name: 'localStorage', files: local, bytes: local.map((f) => contentOf(f.name, f.size)), agent: agent(), url: (f) => `${at(localApp)}/local/${f.name}` },
    { name: 's3Storage', files: remote, bytes: remote.map((f) => contentOf(f.name, f.size)), agent: agent(), url: (f) => `${at(s3App)}/s3/${f.name}` },
  );
  await sleep(1100); // S3's Last-Modified is a strong validator (RFC 9110 8.8.2.2) once a second has passed
});

after(async () => {
  for (const t of targets) t.agent.destroy();
  await Promise.all(servers.map((p) => p.stop()));
  setup.destroy();
  await rm(root, { recursive: true, force: true });
});

/** JSON with every non-ASCII character escaped (a NBSP must not pass for a space). */
const printable = (x: unknown): string => JSON.stringify(x).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

interface Failure {
  violation: string;
  worker: number;
  index: number;
  input: FuzzCase;
}

/** Runs `cases` cases with IN_FLIGHT concurrent fast-check runners, recording (not throwing) violations. */
async function fuzz(t: TestContext, target: FuzzTarget, cases: number): Promise<void> {
  const arb = fuzzCase(target.files);
  const perWorker = Math.ceil(cases / IN_FLIGHT);
  const failures: Failure[] = [];
  const statuses = new Map<number, number>();
  let done = 0;
  let requests = 0;
  const started = Date.now();
  const seedOf = (w: number): number => (SEED + w * 1_000_003) | 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async (_x, worker) => {
      let index = 0;
      const out = await fc.check(
        fc.asyncProperty(arb, async (input) => {
          const at = index++;
          const r = await runCase(target, input);
          done++;
          requests += r.requests;
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          for (const violation of r.violations) failures.push({ violation, worker, index: at, input });
        }),
        { seed: seedOf(worker), numRuns: perWorker },
      );
      if (out.failed) throw new Error(fc.defaultReportMessage(out) ?? 'fast-check run failed');
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  t.diagnostic(
    `${target.name}: ${done} cases, ${requests} requests in ${seconds.toFixed(1)} s (${Math.round(requests / seconds)} req/s), ` +
      `${IN_FLIGHT} in flight; seed ${SEED} (FUZZ_SEED=${SEED} to reproduce)`,
  );
  t.diagnostic(
    `${target.name}: statuses ${[...statuses]
      .sort((a, b) => a[0] - b[0])
      .map(([s, n]) => `${s}×${n}`)
      .join(', ')}`,
  );
  if (failures.length === 0) return;

  // One replay per kind of failure, from its worker's seed and run index: fast-check shrinks it.
  const kinds = new Map<string, Failure[]>();
  for (const f of failures) {
    const kind = signatureOf(f.violation);
    kinds.set(kind, kinds.get(kind) ?? []);
    kinds.get(kind)?.push(f);
  }
  const report: string[] = [];
  for (const [kind, list] of kinds) {
    const first = list[0] as Failure;
    let message = `${kind}: ${list.length} case(s); first: ${first.violation}\n  request: ${printable(first.input)}`;
    if (report.length < 6) {
      const replay = await fc.check(
        fc.asyncProperty(arb, async (input) => {
          const r = await runCase(target, input);
          const same = r.violations.filter((x) => signatureOf(x) === kind);
          if (same.length > 0) throw new Error(same.join('\n'));
        }),
        { seed: seedOf(first.worker), path: String(first.index), numRuns: perWorker },
      );
      message += replay.failed
        ? `\n  shrunk: ${printable(replay.counterexample?.[0])}\n  fast-check: ${fc.defaultReportMessage(replay) ?? ''}`
        : '\n  (did not fail again on replay)';
    }
    report.push(message);
    t.diagnostic(message);
  }
  assert.fail(`${target.name}: ${failures.length} violation(s) of ${kinds.size} kind(s) in ${done} cases (seed ${SEED}):\n${report.join('\n\n')}`);
}

// The servers are fuzzed at the same time: S3 cases wait on radosgw, local ones on the CPU.
describe('HTTP header fuzzing against real servers', { concurrency: true }, () => {
  test('the reference model agrees with the RFC examples it was written from', () => {
    const f = { size: 1000, etag: '"abc"', lastModified: 784111777 };
    const one = (req: Partial<FuzzCase>): string =>
      allowedOutcomes({ method: 'GET', ...req }, f, Date.parse('2026-11-29T00:00:00Z'))
        .map(describeOutcome)
        .sort()
        .join('|');
    assert.equal(one({ range: 'bytes=0-499' }), '206 0-499');
    assert.equal(one({ range: 'bytes=-500' }), '206 500-999');
    assert.equal(one({ range: 'bytes=9500-' }), '416');
    assert.equal(one({ range: 'bytes=5-2' }), '200');
    assert.equal(one({ range: 'BYTES=0-0, ' }), '206 0-0');
    assert.equal(one({ range: 'bytes=0-1', ifRange: 'W/"abc"' }), '200');
    assert.equal(one({ range: 'bytes=0-1', ifRange: 'Sun, 06 Nov 1994 08:49:37 GMT' }), '206 0-1');
    assert.equal(one({ ifNoneMatch: 'W/"abc"' }), '304');
    assert.equal(one({ ifMatch: 'W/"abc"' }), '412');
    assert.equal(one({ ifModifiedSince: 'Sunday, 06-Nov-94 08:49:37 GMT' }), '304');
    assert.equal(one({ ifModifiedSince: 'Sun Nov  6 08:49:36 1994' }), '200');
    assert.equal(one({ ifModifiedSince: 'Sun, 06 Nov 1994 08:49:37 gmt' }), '200');
    assert.equal(one({ ifUnmodifiedSince: formatDate(784111776, 'imf') }), '412');
    assert.equal(one({ ifUnmodifiedSince: 'Sat, 06 Nov 0094 08:49:37 GMT' }), '412', 'year 94 is not 1994');
    assert.equal(one({ ifNoneMatch: 'garbage', ifModifiedSince: 'Sun, 06 Nov 1994 08:49:37 GMT' }), '200|304', 'an invalid field: either reading');
  });

  // The nginx + localStorage target is not fuzzed against the model: nginx evaluates Range and
  // the preconditions of malformed requests by its own rules (README, Behind nginx: a documented
  // limit; the suite checks the well-formed cases through nginx in hostile-input and integration).
  for (const [name, share] of [
    ['localStorage', 0.6],
    ['s3Storage', 0.4],
  ] as const) {
    test(`${name}: ${Math.round(TOTAL * share)} random requests keep every invariant and match the model`, async (t) => {
      const target = targets.find((x) => x.name === name) as FuzzTarget;
      await fuzz(t, target, Math.round(TOTAL * share));
    });
  }
});
