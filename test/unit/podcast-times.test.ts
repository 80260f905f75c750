import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TimeParser } from '../../lib/log/podcast/times';

describe('TimeParser (the podcast counter’s Date.parse with a per-minute shortcut)', () => {
  it('gives what Date.parse gives, for canonical times and for every near miss', () => {
    const p = new TimeParser();
    const near = (s: string): string[] => [
      s,
      `${s.slice(0, 17)}59.999Z`,
      `${s.slice(0, 17)}60.000Z`,
      `${s.slice(0, 11)}24:00:00.000Z`,
      `${s.slice(0, 11)}24:00:01.000Z`,
      s.replace('T', ' '),
      s.replace('Z', '+01:00'),
      `${s.slice(0, 19)}Z`,
      `${s.slice(0, 20)}a${s.slice(21)}`,
      'not a time',
      '',
    ];
    let x = 0x1234567;
    for (let i = 0; i < 20_000; i += 1) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const base = new Date(Date.UTC(2024, 0, 1) + ((x >>> 0) % (400 * 86_400_000))).toISOString();
      for (const at of near(base)) for (let k = 0; k < 2; k += 1) assert.equal(p.parse(at), Date.parse(at), at);
    }
  });
});
