import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createNewDownloadLimiter, type LimitDecision, type LimitStore } from '../../lib/access/rate-limit';

/** The memory store answers synchronously: no promise per public request. */
function sync(d: LimitDecision | Promise<LimitDecision>): LimitDecision {
  assert.ok(!(d instanceof Promise), 'the memory store answers at once');
  return d;
}

describe('createNewDownloadLimiter', () => {
  it("counts a podcast app's many requests for one episode once", () => {
    const l = createNewDownloadLimiter({ max: 1, windowMs: 60_000 });
    for (let i = 0; i < 50; i++) assert.deepEqual(sync(l.check('1.2.3.4', 'ep1', 1000 + i)), { ok: true });
  });
  it('refuses the next new episode beyond max, with the seconds left in the window', () => {
    const l = createNewDownloadLimiter({ max: 2, windowMs: 60_000 });
    sync(l.check('1.2.3.4', 'a', 0));
    sync(l.check('1.2.3.4', 'b', 0));
    assert.deepEqual(sync(l.check('1.2.3.4', 'c', 10_000)), { ok: false, retryAfterSeconds: 50 });
    assert.deepEqual(sync(l.check('5.6.7.8', 'c', 10_000)), { ok: true }, 'other IPs are not affected');
  });
  it('starts a fresh window when the old one is over', () => {
    const l = createNewDownloadLimiter({ max: 1, windowMs: 1000 });
    sync(l.check('ip', 'a', 0));
    assert.equal(sync(l.check('ip', 'b', 999)).ok, false);
    assert.equal(sync(l.check('ip', 'b', 1000)).ok, true);
  });
  it('keeps memory bounded by maxTracked', () => {
    const l = createNewDownloadLimiter({ max: 1, windowMs: 60_000, maxTracked: 2 });
    sync(l.check('a', 'x', 0));
    sync(l.check('b', 'x', 0));
    sync(l.check('c', 'x', 0)); // evicts a
    assert.equal(sync(l.check('a', 'y', 1)).ok, true, 'a was forgotten, so its window restarted');
  });
  it('validates its options', () => {
    assert.throws(() => createNewDownloadLimiter({ max: 0 }), /max/);
    assert.throws(() => createNewDownloadLimiter({ windowMs: 1.5 }), /windowMs/);
  });
});

describe('createNewDownloadLimiter: client identity', () => {
  it('counts every address of one IPv6 /64 as one client, and IPv4-mapped addresses as their IPv4', () => {
    const l = createNewDownloadLimiter({ max: 2, windowMs: 60_000 });
    sync(l.check('2001:db8:aa:bb::1', 'a', 0));
    sync(l.check('2001:db8:aa:bb:ffff::2', 'b', 0));
    assert.equal(sync(l.check('2001:db8:aa:bb::3', 'c', 0)).ok, false, 'a third address of the same /64 gets no fresh allowance');
    assert.equal(sync(l.check('2001:db8:aa:bc::1', 'c', 0)).ok, true, 'the next /64 is another client');
    sync(l.check('203.0.113.5', 'a', 0));
    sync(l.check('::ffff:203.0.113.5', 'b', 0));
    assert.equal(sync(l.check('203.0.113.5', 'c', 0)).ok, false);
  });
});

describe('createNewDownloadLimiter: a store', () => {
  it('gets the client (IPv6 by /64), the episode, the time and the rule, and its answer is the decision', async () => {
    const calls: unknown[][] = [];
    const store: LimitStore = {
      check: async (...args) => {
        calls.push(args);
        return { ok: false, retryAfterSeconds: 7 };
      },
    };
    const l = createNewDownloadLimiter({ max: 3, windowMs: 5000, store });
    assert.deepEqual(await l.check('2001:db8:aa:bb::1', 'alpha/1/2', 42), { ok: false, retryAfterSeconds: 7 });
    assert.deepEqual(calls, [['2001:db8:aa:bb::/64', 'alpha/1/2', 42, { windowMs: 5000, max: 3 }]]);
  });

  for (const [label, check] of [
    [
      'rejects',
      async (): Promise<LimitDecision> => {
        throw new Error('connection refused');
      },
    ],
    [
      'throws',
      (): LimitDecision => {
        throw new Error('connection refused');
      },
    ],
    ['never answers', (): Promise<LimitDecision> => new Promise(() => {})],
  ] as const) {
    it(`fails open when the store ${label}: the request goes through and the failure is reported`, async () => {
      const failures: Error[] = [];
      const l = createNewDownloadLimiter({ max: 1, store: { check }, storeTimeoutMs: 20 }, (err) => void failures.push(err));
      assert.deepEqual(await l.check('203.0.113.9', 'a'), { ok: true });
      assert.equal(failures.length, 1);
      assert.match(failures[0]?.message ?? '', label === 'never answers' ? /no answer within 20 ms/ : /connection refused/);
    });
  }

  it('refuses a store without check(), and maxTracked beside a store', () => {
    assert.throws(() => createNewDownloadLimiter({ store: {} as LimitStore }), /publicRateLimit\.store must be a store/);
    assert.throws(() => createNewDownloadLimiter({ store: { check: () => ({ ok: true }) }, maxTracked: 5 }), /publicRateLimit\.maxTracked/);
    assert.throws(() => createNewDownloadLimiter({ storeTimeoutMs: 0 }), /storeTimeoutMs/);
  });
});
