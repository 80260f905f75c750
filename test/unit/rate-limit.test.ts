import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createNewDownloadLimiter } from '../../lib/access/rate-limit';

describe('createNewDownloadLimiter', () => {
  it("counts a podcast app's many requests for one episode once", () => {
    const l = createNewDownloadLimiter({ max: 1, windowMs: 60_000 });
    for (let i = 0; i < 50; i++) assert.deepEqual(l.check('1.2.3.4', 'ep1', 1000 + i), { ok: true });
  });
  it('refuses the next new episode beyond max, with the seconds left in the window', () => {
    const l = createNewDownloadLimiter({ max: 2, windowMs: 60_000 });
    l.check('1.2.3.4', 'a', 0);
    l.check('1.2.3.4', 'b', 0);
    assert.deepEqual(l.check('1.2.3.4', 'c', 10_000), { ok: false, retryAfterSeconds: 50 });
    assert.deepEqual(l.check('5.6.7.8', 'c', 10_000), { ok: true }, 'other IPs are not affected');
  });
  it('starts a fresh window when the old one is over', () => {
    const l = createNewDownloadLimiter({ max: 1, windowMs: 1000 });
    l.check('ip', 'a', 0);
    assert.equal(l.check('ip', 'b', 999).ok, false);
    assert.equal(l.check('ip', 'b', 1000).ok, true);
  });
  it('keeps memory bounded by maxTracked', () => {
    const l = createNewDownloadLimiter({ max: 1, windowMs: 60_000, maxTracked: 2 });
    l.check('a', 'x', 0);
    l.check('b', 'x', 0);
    l.check('c', 'x', 0); // evicts a
    assert.equal(l.check('a', 'y', 1).ok, true, 'a was forgotten, so its window restarted');
  });
  it('validates its options', () => {
    assert.throws(() => createNewDownloadLimiter({ max: 0 }), /max/);
    assert.throws(() => createNewDownloadLimiter({ windowMs: 1.5 }), /windowMs/);
  });
});

describe('createNewDownloadLimiter: client identity', () => {
  it('counts every address of one IPv6 /64 as one client, and IPv4-mapped addresses as their IPv4', () => {
    const l = createNewDownloadLimiter({ max: 2, windowMs: 60_000 });
    l.check('2001:db8:aa:bb::1', 'a', 0);
    l.check('2001:db8:aa:bb:ffff::2', 'b', 0);
    assert.equal(l.check('2001:db8:aa:bb::3', 'c', 0).ok, false, 'a third address of the same /64 gets no fresh allowance');
    assert.equal(l.check('2001:db8:aa:bc::1', 'c', 0).ok, true, 'the next /64 is another client');
    l.check('203.0.113.5', 'a', 0);
    l.check('::ffff:203.0.113.5', 'b', 0);
    assert.equal(l.check('203.0.113.5', 'c', 0).ok, false);
  });
});
