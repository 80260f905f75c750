import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contentRange, decideRange, type RangeDecision } from '../../lib/http/range';

const SIZE = 10_000;

/** Asserts a satisfiable decision for exactly [start, end]. */
function assertRange(decision: RangeDecision, start: number, end: number): void {
  assert.deepEqual(decision, { kind: 'satisfiable', range: { start, end } });
}

function assertIgnored(decision: RangeDecision): void {
  assert.equal(decision.kind, 'ignored', `expected ignored, got ${JSON.stringify(decision)}`);
}

describe('decideRange', () => {
  describe('without a Range header', () => {
    it('returns none', () => {
      assert.deepEqual(decideRange(undefined, SIZE, 1), { kind: 'none' });
    });
  });

  describe('with one int-range', () => {
    it('selects first-pos through last-pos inclusive', () => {
      assertRange(decideRange('bytes=100-199', SIZE, 1), 100, 199);
    });

    it('selects a single byte when first-pos equals last-pos', () => {
      assertRange(decideRange('bytes=0-0', SIZE, 1), 0, 0);
      assertRange(decideRange('bytes=9999-9999', SIZE, 1), 9999, 9999);
    });

    it('answers the podcast probe bytes=0-1 with the first two bytes', () => {
      assertRange(decideRange('bytes=0-1', SIZE, 1), 0, 1);
    });

    it('treats an open-ended range as "to the end"', () => {
      assertRange(decideRange('bytes=500-', SIZE, 1), 500, SIZE - 1);
      assertRange(decideRange('bytes=0-', SIZE, 1), 0, SIZE - 1);
    });

    it('clamps a last-pos beyond the end to the last byte', () => {
      assertRange(decideRange('bytes=9000-20000', SIZE, 1), 9000, SIZE - 1);
      assertRange(decideRange(`bytes=0-${SIZE}`, SIZE, 1), 0, SIZE - 1);
    });

    it('is unsatisfiable when first-pos equals or exceeds the size', () => {
      assert.deepEqual(decideRange(`bytes=${SIZE}-`, SIZE, 1), { kind: 'unsatisfiable' });
      assert.deepEqual(decideRange(`bytes=${SIZE}-${SIZE + 10}`, SIZE, 1), { kind: 'unsatisfiable' });
      assert.deepEqual(decideRange('bytes=20000-30000', SIZE, 1), { kind: 'unsatisfiable' });
    });

    it('accepts leading zeros as decimal', () => {
      assertRange(decideRange('bytes=007-010', SIZE, 1), 7, 10);
    });
  });

  describe('with a suffix-range', () => {
    it('selects the last N bytes', () => {
      assertRange(decideRange('bytes=-500', SIZE, 1), SIZE - 500, SIZE - 1);
      assertRange(decideRange('bytes=-1', SIZE, 1), SIZE - 1, SIZE - 1);
    });

    it('selects the whole representation when the suffix is longer than it (RFC 9110 14.1.2)', () => {
      assertRange(decideRange('bytes=-500', 100, 1), 0, 99);
      assertRange(decideRange(`bytes=-${SIZE}`, SIZE, 1), 0, SIZE - 1);
    });

    it('is unsatisfiable for a zero suffix-length', () => {
      assert.deepEqual(decideRange('bytes=-0', SIZE, 1), { kind: 'unsatisfiable' });
    });
  });

  describe('with an invalid or malformed header', () => {
    it('ignores last-pos < first-pos (invalid, not unsatisfiable)', () => {
      assertIgnored(decideRange('bytes=5-2', SIZE, 1));
      assertIgnored(decideRange('bytes=20000-2', SIZE, 1));
    });

    for (const header of [
      'bytes=abc',
      'bytes=',
      'bytes 0-1',
      'items=0-1',
      'bytes=--1',
      'bytes=1-2-3',
      'bytes=-',
      'bytes=0x10-20',
      'bytes=1.5-2',
      'bytes=+1-2',
      'bytes=,',
      '=0-1',
      '',
      'bytes=٠-١',
    ]) {
      it(`ignores ${JSON.stringify(header)}`, () => {
        assertIgnored(decideRange(header, SIZE, 1));
      });
    }

    it('ignores the whole header when one of several specs is invalid', () => {
      assertIgnored(decideRange('bytes=0-1,5-2', SIZE, 3));
      assertIgnored(decideRange('bytes=0-1,abc', SIZE, 3));
    });
  });

  describe('syntax leniency', () => {
    it('matches the unit case-insensitively', () => {
      assertRange(decideRange('Bytes=0-1', SIZE, 1), 0, 1);
      assertRange(decideRange('BYTES=0-1', SIZE, 1), 0, 1);
    });

    it('skips OWS and empty list elements', () => {
      assertRange(decideRange('bytes= 0-1 ,', SIZE, 1), 0, 1);
      assertRange(decideRange('bytes=,,0-1,,', SIZE, 1), 0, 1);
      assertRange(decideRange('bytes=\t-5\t', SIZE, 1), SIZE - 5, SIZE - 1);
    });
  });

  describe('with several ranges', () => {
    it('ignores two ranges when maxRanges is 1, even if they would coalesce', () => {
      assertIgnored(decideRange('bytes=0-1,2-3', SIZE, 1));
    });

    it('coalesces overlapping ranges into one when allowed', () => {
      assertRange(decideRange('bytes=0-99,50-199', SIZE, 3), 0, 199);
      assertRange(decideRange('bytes=100-199,0-150', SIZE, 3), 0, 199);
      assertRange(decideRange('bytes=0-499,100-200', SIZE, 3), 0, 499);
    });

    it('coalesces adjacent ranges into one', () => {
      assertRange(decideRange('bytes=0-99,100-199,200-299', SIZE, 3), 0, 299);
    });

    it('coalesces a suffix range with an overlapping int-range', () => {
      assertRange(decideRange('bytes=9000-,-500', SIZE, 3), 9000, SIZE - 1);
    });

    it('ignores disjoint ranges (no multipart)', () => {
      const d = decideRange('bytes=0-99,200-299', SIZE, 3);
      assertIgnored(d);
    });

    it('ignores more ranges than maxRanges even when they coalesce', () => {
      assertIgnored(decideRange('bytes=0-1,2-3,4-5,6-7', SIZE, 3));
    });

    it('serves the satisfiable part of a mix of satisfiable and unsatisfiable ranges', () => {
      assertRange(decideRange('bytes=0-99,20000-30000', SIZE, 3), 0, 99);
      assertRange(decideRange('bytes=-0,5-9', SIZE, 3), 5, 9);
    });

    it('is unsatisfiable when no range overlaps', () => {
      assert.deepEqual(decideRange('bytes=20000-,-0', SIZE, 3), { kind: 'unsatisfiable' });
    });
  });

  describe('with a zero-size representation', () => {
    it('never returns a satisfiable range for an int-range', () => {
      assert.deepEqual(decideRange('bytes=0-', 0, 1), { kind: 'unsatisfiable' });
      assert.deepEqual(decideRange('bytes=0-1', 0, 1), { kind: 'unsatisfiable' });
    });

    it('does not answer 416 to a non-zero suffix-range (RFC 9110 14.1.2: it is satisfiable)', () => {
      // The only satisfiable form against zero length is a suffix-range with a non-zero
      // suffix-length; as no Content-Range can describe "nothing", the header must be ignored (200).
      const d = decideRange('bytes=-500', 0, 1);
      assert.notEqual(d.kind, 'unsatisfiable');
      assert.notEqual(d.kind, 'satisfiable');
    });
  });

  describe('with huge numbers', () => {
    it('treats a 20-digit first-pos as unsatisfiable', () => {
      assert.deepEqual(decideRange('bytes=99999999999999999999-', SIZE, 1), { kind: 'unsatisfiable' });
    });

    it('clamps a 20-digit last-pos', () => {
      assertRange(decideRange('bytes=0-99999999999999999999', SIZE, 1), 0, SIZE - 1);
    });

    it('treats a 20-digit suffix as the whole representation', () => {
      assertRange(decideRange('bytes=-99999999999999999999', SIZE, 1), 0, SIZE - 1);
    });

    it('handles sizes above 4 GiB exactly', () => {
      const big = 5 * 1024 ** 3 + 7;
      assertRange(decideRange('bytes=4294967296-', big, 1), 4294967296, big - 1);
      assertRange(decideRange('bytes=-7', big, 1), big - 7, big - 1);
    });
  });
});

describe('contentRange', () => {
  it('formats a 206 range', () => {
    assert.equal(contentRange({ start: 0, end: 1 }, 1000), 'bytes 0-1/1000');
    assert.equal(contentRange({ start: 500, end: 999 }, 1000), 'bytes 500-999/1000');
  });

  it('formats a 416 complete-length', () => {
    assert.equal(contentRange(null, 1000), 'bytes */1000');
    assert.equal(contentRange(null, 0), 'bytes */0');
  });

  it('round-trips a decision into the header a client expects', () => {
    const d = decideRange('bytes=-500', 1000, 1);
    assert.equal(d.kind, 'satisfiable');
    if (d.kind === 'satisfiable') assert.equal(contentRange(d.range, 1000), 'bytes 500-999/1000');
  });
});
