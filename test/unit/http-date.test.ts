import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseHttpDate } from '../../lib/http/http-date';

const T = 784111777; // Sun, 06 Nov 1994 08:49:37 GMT

describe('parseHttpDate', () => {
  describe('accepts the three forms of RFC 9110 5.6.7, all as GMT', () => {
    it('IMF-fixdate', () => assert.equal(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT'), T));
    it('RFC 850 with a two-digit year', () => assert.equal(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT'), T));
    it('asctime with a space-padded day', () => assert.equal(parseHttpDate('Sun Nov  6 08:49:37 1994'), T));
    it('surrounding white space', () => assert.equal(parseHttpDate('  Sun, 06 Nov 1994 08:49:37 GMT '), T));
  });

  describe('rejects what is not an HTTP-date', () => {
    for (const bad of [
      '0',
      '3000',
      '2026-03-14T09:26:53Z',
      'Sun, 06 Nov 1994 08:49:37 UTC',
      'Sun, 06 Nov 1994 08:49:37 +0000',
      'Sun, 6 Nov 1994 08:49:37 GMT',
      'Sun, 31 Feb 1994 08:49:37 GMT',
      'Sun, 06 Nov 1994 24:00:00 GMT',
      '',
      'yesterday',
    ]) {
      it(JSON.stringify(bad), () => assert.equal(parseHttpDate(bad), undefined));
    }
    it('undefined', () => assert.equal(parseHttpDate(undefined), undefined));
  });

  it('reads a leap second as the last second of the minute', () => {
    assert.equal(parseHttpDate('Sat, 31 Dec 2016 23:59:60 GMT'), Date.UTC(2016, 11, 31, 23, 59, 59) / 1000);
  });
});
