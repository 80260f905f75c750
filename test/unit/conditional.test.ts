import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { evaluatePreconditions, ifRangeAllows, parseEtagList, type Validators } from '../../lib/http/conditional';

// Last-Modified with a sub-second part: HTTP dates only carry seconds.
const MTIME = new Date('2026-03-14T09:26:53.589Z');
const V: Validators = { etag: '"5f-3e8"', lastModified: MTIME };
const AT = 'Sat, 14 Mar 2026 09:26:53 GMT'; // MTIME at second precision
const BEFORE = 'Sat, 14 Mar 2026 09:26:52 GMT';
const AFTER = 'Sat, 14 Mar 2026 09:26:54 GMT';

type Headers = Record<string, string | string[] | undefined>;
const evaluate = (headers: Headers): string => evaluatePreconditions(headers, V);

describe('evaluatePreconditions', () => {
  it('proceeds without conditional headers', () => {
    assert.equal(evaluate({}), 'proceed');
  });

  describe('with If-Match (strong comparison)', () => {
    it('proceeds on an identical strong tag', () => {
      assert.equal(evaluate({ 'if-match': '"5f-3e8"' }), 'proceed');
    });

    it('fails on a different tag', () => {
      assert.equal(evaluate({ 'if-match': '"5f-3e9"' }), 'precondition-failed');
    });

    it('fails on a weak tag with the same opaque value', () => {
      assert.equal(evaluate({ 'if-match': 'W/"5f-3e8"' }), 'precondition-failed');
    });

    it('proceeds on * for an existing representation', () => {
      assert.equal(evaluate({ 'if-match': '*' }), 'proceed');
    });

    it('finds the tag anywhere in a list, with OWS and empty elements', () => {
      assert.equal(evaluate({ 'if-match': '"a", "b" ,"5f-3e8"' }), 'proceed');
      assert.equal(evaluate({ 'if-match': ', ,"a",\t"5f-3e8" ,' }), 'proceed');
      assert.equal(evaluate({ 'if-match': '"a", "b"' }), 'precondition-failed');
    });

    it('keeps commas inside quotes as part of one tag', () => {
      assert.deepEqual(parseEtagList('"a,b", "c"'), ['"a,b"', '"c"']);
      assert.equal(evaluatePreconditions({ 'if-match': '"x", "a,b"' }, { ...V, etag: '"a,b"' }), 'proceed');
      // `"a` and `b"` are not tags on their own.
      assert.equal(evaluatePreconditions({ 'if-match': '"a,b"' }, { ...V, etag: '"a"' }), 'precondition-failed');
    });

    it('drops a malformed member but keeps the valid ones after it (as documented)', () => {
      assert.deepEqual(parseEtagList('"a", bogus, "b"'), ['"a"', '"b"']);
      assert.equal(evaluate({ 'if-match': 'bogus, "5f-3e8"' }), 'proceed');
    });

    it('does not match an unquoted tag', () => {
      assert.equal(evaluate({ 'if-match': '5f-3e8' }), 'precondition-failed');
    });

    it('joins a repeated header as one list', () => {
      assert.equal(evaluate({ 'if-match': ['"a"', '"5f-3e8"'] }), 'proceed');
      assert.equal(evaluate({ 'if-match': ['"a"', '"b"'] }), 'precondition-failed');
    });

    it('ignores If-Unmodified-Since when If-Match is present', () => {
      assert.equal(evaluate({ 'if-match': '"5f-3e8"', 'if-unmodified-since': BEFORE }), 'proceed');
    });
  });

  describe('with If-Unmodified-Since', () => {
    it('proceeds when the file is not newer (second precision)', () => {
      assert.equal(evaluate({ 'if-unmodified-since': AT }), 'proceed');
      assert.equal(evaluate({ 'if-unmodified-since': AFTER }), 'proceed');
    });

    it('fails when the file changed after the date', () => {
      assert.equal(evaluate({ 'if-unmodified-since': BEFORE }), 'precondition-failed');
    });

    it('ignores an invalid date', () => {
      assert.equal(evaluate({ 'if-unmodified-since': 'yesterday' }), 'proceed');
      assert.equal(evaluate({ 'if-unmodified-since': '' }), 'proceed');
    });

    it('ignores values that are not HTTP-dates even if Date.parse accepts them (RFC 9110 13.1.4)', () => {
      assert.equal(evaluate({ 'if-unmodified-since': '0' }), 'proceed');
      assert.equal(evaluate({ 'if-unmodified-since': '2020-01-01' }), 'proceed');
    });
  });

  describe('with If-None-Match (weak comparison)', () => {
    it('is not-modified on the same strong tag', () => {
      assert.equal(evaluate({ 'if-none-match': '"5f-3e8"' }), 'not-modified');
    });

    it('is not-modified on a weak tag with the same opaque value', () => {
      assert.equal(evaluate({ 'if-none-match': 'W/"5f-3e8"' }), 'not-modified');
    });

    it('is not-modified on *', () => {
      assert.equal(evaluate({ 'if-none-match': '*' }), 'not-modified');
    });

    it('proceeds on other tags', () => {
      assert.equal(evaluate({ 'if-none-match': '"old", W/"older"' }), 'proceed');
    });

    it('finds the tag in a list', () => {
      assert.equal(evaluate({ 'if-none-match': '"old" , W/"5f-3e8"' }), 'not-modified');
    });

    it('ignores If-Modified-Since when If-None-Match is present', () => {
      // A non-matching If-None-Match must yield 200 even if the date alone would give 304...
      assert.equal(evaluate({ 'if-none-match': '"old"', 'if-modified-since': AFTER }), 'proceed');
      // ...and a matching one gives 304 even if the date alone would give 200.
      assert.equal(evaluate({ 'if-none-match': '"5f-3e8"', 'if-modified-since': BEFORE }), 'not-modified');
    });
  });

  describe('with If-Modified-Since', () => {
    it('is not-modified at the exact second despite sub-second mtime', () => {
      assert.equal(evaluate({ 'if-modified-since': AT }), 'not-modified');
      assert.equal(evaluate({ 'if-modified-since': AFTER }), 'not-modified');
    });

    it('proceeds when the file is one second newer', () => {
      assert.equal(evaluate({ 'if-modified-since': BEFORE }), 'proceed');
    });

    it('accepts the obsolete RFC 850 format', () => {
      assert.equal(evaluate({ 'if-modified-since': 'Saturday, 14-Mar-26 09:26:53 GMT' }), 'not-modified');
    });

    it('ignores an invalid date', () => {
      assert.equal(evaluate({ 'if-modified-since': 'not a date' }), 'proceed');
    });

    it('ignores values that are not HTTP-dates even if Date.parse accepts them (RFC 9110 13.1.3)', () => {
      assert.equal(evaluate({ 'if-modified-since': '3000' }), 'proceed');
    });
  });

  describe('with an asctime date in a non-UTC time zone', () => {
    let savedTz: string | undefined;
    beforeEach(() => {
      savedTz = process.env.TZ;
      process.env.TZ = 'America/New_York';
    });
    afterEach(() => {
      if (savedTz === undefined) delete process.env.TZ;
      else process.env.TZ = savedTz;
    });

    it('reads asctime-date as GMT (RFC 9110 5.6.7)', () => {
      assert.equal(evaluate({ 'if-modified-since': 'Sat Mar 14 09:26:53 2026' }), 'not-modified');
      assert.equal(evaluate({ 'if-modified-since': 'Sat Mar 14 09:26:52 2026' }), 'proceed');
    });
  });

  describe('ordering (RFC 9110 13.2.2)', () => {
    it('If-Match failure wins over a matching If-None-Match', () => {
      assert.equal(evaluate({ 'if-match': '"other"', 'if-none-match': '"5f-3e8"' }), 'precondition-failed');
    });

    it('If-Unmodified-Since failure wins over If-Modified-Since', () => {
      assert.equal(evaluate({ 'if-unmodified-since': BEFORE, 'if-modified-since': AT }), 'precondition-failed');
    });

    it('a passing If-Match still lets If-None-Match answer 304', () => {
      assert.equal(evaluate({ 'if-match': '*', 'if-none-match': '*' }), 'not-modified');
    });
  });
});

describe('ifRangeAllows', () => {
  it('allows a strongly matching entity tag', () => {
    assert.equal(ifRangeAllows('"5f-3e8"', V), true);
    assert.equal(ifRangeAllows('  "5f-3e8" ', V), true);
  });

  it('refuses a different entity tag', () => {
    assert.equal(ifRangeAllows('"5f-3e9"', V), false);
  });

  it('never allows a weak entity tag', () => {
    assert.equal(ifRangeAllows('W/"5f-3e8"', V), false);
  });

  it('allows a date equal to Last-Modified at second precision', () => {
    assert.equal(ifRangeAllows(AT, V), true);
  });

  it('refuses a date one second off either way', () => {
    assert.equal(ifRangeAllows(BEFORE, V), false);
    assert.equal(ifRangeAllows(AFTER, V), false);
  });

  it('refuses a non-HTTP-date that Date.parse happens to accept (RFC 9110 13.1.5)', () => {
    assert.equal(ifRangeAllows('2026-03-14T09:26:53Z', V), false);
  });

  it('refuses garbage', () => {
    for (const value of ['', 'garbage', '*', '"', 'W/', '"5f-3e8', '5f-3e8']) {
      assert.equal(ifRangeAllows(value, V), false, JSON.stringify(value));
    }
  });
});
