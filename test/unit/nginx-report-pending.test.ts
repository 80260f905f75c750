// The hand-offs waiting for nginx's report, with a fake clock: each finished exactly once, by the
// report, the timeout, overflow or close; reports before the app's own end are kept; memory bounded.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ReportLine } from '../../lib/log/nginx-report-line';
import { PendingReports, type ReportMark } from '../../lib/log/nginx-report-pending';

const report = (id: string, bytesSent = 10): ReportLine => ({
  id,
  status: 200,
  bytesSent,
  completed: true,
  requestId: 'r',
  requestTimeMs: 1,
  upstreamStatus: null,
  upstreamTimeMs: null,
});

function setup(maxPending = 10, timeoutMs = 1000) {
  let now = 0;
  const done: [string, ReportLine | ReportMark][] = [];
  const p = new PendingReports<string>({ maxPending, timeoutMs, now: () => now });
  const finish = (e: string, r: ReportLine | ReportMark): void => void done.push([e, r]);
  return {
    p,
    done,
    finish,
    tick: (ms: number) => {
      now += ms;
    },
  };
}

describe('PendingReports', () => {
  it('a report after the app is done finishes the event with it', () => {
    const { p, done, finish } = setup();
    assert.equal(p.expect('a'), true);
    p.settle('a', 'event-a', finish);
    assert.equal(done.length, 0);
    p.receive(report('a', 42));
    assert.deepEqual(done, [['event-a', report('a', 42)]]);
    assert.deepEqual([p.stats().pending, p.stats().reported], [0, 1]);
  });

  it('a report before the app is done is kept, and used at settle', () => {
    const { p, done, finish } = setup();
    p.expect('a');
    p.receive(report('a'));
    assert.equal(done.length, 0);
    p.settle('a', 'event-a', finish);
    assert.deepEqual(done, [['event-a', report('a')]]);
    assert.equal(p.stats().early, 1);
  });

  it('times out in order, and a late report is counted as unknown, not finished twice', () => {
    const { p, done, finish, tick } = setup(10, 1000);
    p.expect('a');
    p.settle('a', 'A', finish);
    tick(500);
    p.expect('b');
    p.settle('b', 'B', finish);
    tick(499);
    assert.equal(p.sweep(), 0);
    tick(1);
    assert.equal(p.sweep(), 1);
    assert.deepEqual(done, [['A', 'timeout']]);
    p.receive(report('a'));
    tick(500);
    p.sweep();
    assert.deepEqual(done, [
      ['A', 'timeout'],
      ['B', 'timeout'],
    ]);
    assert.deepEqual([p.stats().timedOut, p.stats().unknown, p.stats().pending], [2, 1, 0]);
  });

  it('overflow: past maxPending a hand-off is not registered and finishes at once, marked', () => {
    const { p, done, finish } = setup(2);
    assert.equal(p.expect('a'), true);
    assert.equal(p.expect('b'), true);
    assert.equal(p.expect('c'), false);
    p.settle('c', 'C', finish);
    assert.deepEqual(done, [['C', 'overflow']]);
    assert.deepEqual([p.stats().overflowed, p.stats().pending], [1, 2]);
  });

  it('cancel forgets a request that was not handed off after all', () => {
    const { p } = setup(1);
    p.expect('a');
    p.cancel('a');
    assert.equal(p.stats().pending, 0);
    assert.equal(p.expect('b'), true);
  });

  it('close finishes every waiting event, marked; unsettled and later ones finish closed at settle', () => {
    const { p, done, finish } = setup();
    p.expect('a');
    p.settle('a', 'A', finish);
    p.expect('b');
    p.close();
    assert.deepEqual(done, [['A', 'closed']]);
    p.settle('b', 'B', finish);
    assert.equal(p.expect('c'), false);
    p.settle('c', 'C', finish);
    assert.deepEqual(done, [
      ['A', 'closed'],
      ['B', 'closed'],
      ['C', 'closed'],
    ]);
    assert.deepEqual([p.stats().closed, p.stats().pending], [3, 0]);
  });

  it('holds at most maxPending entries whatever arrives (reports for unknown ids keep nothing)', () => {
    const { p } = setup(100);
    for (let i = 0; i < 10_000; i++) p.receive(report(`x${i}`));
    for (let i = 0; i < 1000; i++) p.expect(`e${i}`);
    assert.equal(p.stats().pending, 100);
    assert.equal(p.stats().unknown, 10_000);
  });
});
