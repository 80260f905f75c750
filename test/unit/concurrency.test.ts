import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createConcurrencyLimit } from '../../lib/access/concurrency';
import { isLoopback } from '../../lib/http/client-ip';

describe('createConcurrencyLimit', () => {
  it('refuses past the cap and gives a slot back on release, once per release function', () => {
    const cap = createConcurrencyLimit({ perClient: 2 });
    const a = cap.acquire('203.0.113.1');
    const b = cap.acquire('203.0.113.1');
    assert.ok(a && b);
    assert.equal(cap.acquire('203.0.113.1'), null);
    assert.ok(cap.acquire('203.0.113.2'), 'another client has its own slots');
    a();
    a();
    assert.equal(cap.inFlight('203.0.113.1'), 1, 'a second call of the same release is a no-op');
    assert.ok(cap.acquire('203.0.113.1'));
  });
  it('counts an IPv6 /64 as one client', () => {
    const cap = createConcurrencyLimit({ perClient: 1 });
    assert.ok(cap.acquire('2001:db8:1:2::1'));
    assert.equal(cap.acquire('2001:db8:1:2:aaaa::9'), null);
  });
  it('validates its options once', () => {
    for (const bad of [{ perClient: 0 }, { perClient: 1.5 }, { retryAfterSeconds: -1 }]) {
      assert.throws(() => createConcurrencyLimit(bad), /concurrentDownloads\./);
    }
  });
});

describe('isLoopback', () => {
  it('knows 127/8, ::1 and IPv4-mapped loopback, and nothing else', () => {
    for (const ip of ['127.0.0.1', '127.200.0.1', '::1', '[::1]', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1']) assert.equal(isLoopback(ip), true, ip);
    for (const ip of ['203.0.113.5', '::2', '2001:db8::1', '', 'not an ip', '128.0.0.1']) assert.equal(isLoopback(ip), false, ip);
  });
});
