import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { accelHeaders, normalizeAccelOptions } from '../../lib/delivery/accel';
import { planResponse } from '../../lib/http/plan';
import { resolveDelivery } from '../../lib/storage/delivery-preference';

const plan = planResponse(
  { method: 'GET', headers: {} },
  { size: 1000, mtime: new Date('2026-11-29T10:00:00Z'), etag: '"x-3e8"' },
  { filename: 'Über show.mp3', disposition: 'inline', cacheControl: 'private, no-cache', maxRanges: 1 },
);

describe('accelHeaders', () => {
  it('sends X-Accel-Redirect, the headers nginx keeps, and the security headers the locations restore', () => {
    const h = accelHeaders(plan, { uri: '/_station_files/local/%C3%9Cber%20show.mp3' }, {});
    assert.deepEqual(Object.keys(h).sort(), [
      'Accept-Ranges',
      'Cache-Control',
      'Content-Disposition',
      'Content-Security-Policy',
      'Content-Type',
      'X-Accel-Redirect',
      'X-Content-Type-Options',
    ]);
    assert.equal(h['Content-Security-Policy'], "sandbox; default-src 'none'");
    assert.equal(h['X-Accel-Redirect'], '/_station_files/local/%C3%9Cber%20show.mp3');
    assert.equal(h['Content-Type'], 'audio/mpeg');
    assert.match(h['Content-Disposition'] ?? '', /^inline; filename="Uber show.mp3"; filename\*=UTF-8''%C3%9Cber%20show.mp3$/);
  });

  it('adds X-Accel-Buffering, -Limit-Rate and -Expires when configured', () => {
    const h = accelHeaders(plan, { uri: '/x' }, { buffering: false, limitRate: 262144, expires: 'off' });
    assert.equal(h['X-Accel-Buffering'], 'no');
    assert.equal(h['X-Accel-Limit-Rate'], '262144');
    assert.equal(h['X-Accel-Expires'], 'off');
  });

  it("passes the target's own headers for the internal location", () => {
    const h = accelHeaders(plan, { uri: '/_station_files/s3', headers: { 'X-Station-Files-Range': 'bytes=0-1' } }, {});
    assert.equal(h['X-Station-Files-Range'], 'bytes=0-1');
  });
});

describe('normalizeAccelOptions', () => {
  it('rejects values nginx would misread', () => {
    assert.throws(() => normalizeAccelOptions({ limitRate: -1 }), TypeError);
    assert.throws(() => normalizeAccelOptions({ limitRate: 1.5 }), TypeError);
    assert.throws(() => normalizeAccelOptions({ expires: -3 }), TypeError);
    assert.throws(() => normalizeAccelOptions({ buffering: 'no' as unknown as boolean }), TypeError);
  });
  it('accepts the documented forms', () => {
    assert.deepEqual(normalizeAccelOptions({ buffering: true, limitRate: 0, expires: 60 }), {
      buffering: true,
      limitRate: 0,
      expires: 60,
      proxyHeader: 'x-station-files-accel',
    });
    assert.equal(normalizeAccelOptions({ proxyHeader: false }).proxyHeader, false);
    assert.throws(() => normalizeAccelOptions({ proxyHeader: 'bad header' }), TypeError);
  });
});

describe('resolveDelivery', () => {
  const both = { accel: true, presign: true };
  const none = { accel: false, presign: false };
  it('auto picks accel only when the storage has nginx settings', () => {
    assert.equal(resolveDelivery('f', 'auto', both), 'accel');
    assert.equal(resolveDelivery('f', undefined, none), 'stream');
  });
  it('refuses modes the storage cannot do, naming the factory', () => {
    assert.throws(() => resolveDelivery('localStorage', 'accel', none), /localStorage: delivery 'accel'/);
    assert.throws(() => resolveDelivery('localStorage', 'redirect', none), /presign/);
    assert.throws(() => resolveDelivery('f', 'ftp' as 'stream', both), TypeError);
  });
});
