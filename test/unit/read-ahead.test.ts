import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideRange } from '../../lib/http/range';
import { readAhead } from '../../lib/http/read-ahead';

describe('readAhead', () => {
  it('reads the whole object for a plain GET', () => {
    assert.deepEqual(readAhead('GET', {}), {});
  });

  it('reads the one range a GET names, open-ended or not', () => {
    assert.deepEqual(readAhead('GET', { range: 'bytes=0-1' }), { range: { start: 0, end: 1 } });
    assert.deepEqual(readAhead('GET', { range: 'bytes=1000-' }), { range: { start: 1000 } });
    assert.deepEqual(readAhead('GET', { range: 'BYTES= 5-9 ,' }), { range: { start: 5, end: 9 } });
  });

  it('reads to the end for a last position past any object', () => {
    assert.deepEqual(readAhead('GET', { range: 'bytes=7-99999999999999999999' }), { range: { start: 7 } });
  });

  it('keeps If-Range requests (the plan chooses range or whole object afterwards)', () => {
    assert.deepEqual(readAhead('GET', { range: 'bytes=10-', 'if-range': '"abc"' }), { range: { start: 10 } });
  });

  it('declines HEAD and other methods', () => {
    assert.equal(readAhead('HEAD', {}), null);
    assert.equal(readAhead('POST', {}), null);
    assert.equal(readAhead(undefined, {}), null);
  });

  it('declines conditional requests, which often need no body', () => {
    for (const name of ['if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since']) {
      assert.equal(readAhead('GET', { [name]: 'x' }), null, name);
    }
  });

  it('declines suffix ranges, several ranges, other units and malformed ranges', () => {
    for (const range of ['bytes=-500', 'bytes=0-1,5-9', 'items=0-1', 'bytes=5-2', 'bytes=a-b', 'bytes=', 'bytes=1 - 2', 'bytes=1234567890123456-']) {
      assert.equal(readAhead('GET', { range }), null, range);
    }
  });

  it('never guesses a range that decideRange would not select for a large enough object', () => {
    const headers = ['bytes=0-0', 'bytes=7-', 'bytes=\t3-4\t', 'bytes=,2-3', 'bytes=99-100'];
    for (const range of headers) {
      const guess = readAhead('GET', { range });
      assert.ok(guess?.range, range);
      const decision = decideRange(range, 1000, 1);
      assert.equal(decision.kind, 'satisfiable', range);
      if (decision.kind === 'satisfiable') {
        assert.equal(decision.range.start, guess.range.start, range);
        assert.equal(decision.range.end, guess.range.end ?? 999, range);
      }
    }
  });
});
