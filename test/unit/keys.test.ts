import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodePath, keySegments } from '../../lib/storage/keys';

describe('keySegments', () => {
  describe('rejects keys that could leave the root', () => {
    const rejected: Record<string, string> = {
      empty: '',
      'parent segment': '..',
      'leading parent': '../etc/passwd',
      'inner parent': 'a/../b',
      'trailing parent': 'a/b/..',
      'current segment': './a',
      'inner current segment': 'a/./b',
      'lone dot': '.',
      absolute: '/abs',
      'absolute parent': '/../etc/passwd',
      'empty segment': 'a//b',
      'trailing slash': 'a/',
      NUL: 'a\u0000b',
      'NUL before extension': 'song.mp3\u0000.txt',
      backslash: 'a\\b',
      'backslash parent': '..\\..\\etc\\passwd',
      'line feed': 'a\nb',
      'carriage return': 'a\rb',
      tab: 'a\tb',
      'escape character': 'a\u001bb',
      DEL: 'a\u007fb',
      'over 1024 characters': 'a'.repeat(1025),
      'over 1024 characters in segments': `${'d/'.repeat(512)}x`,
    };
    for (const [label, key] of Object.entries(rejected)) {
      it(`rejects ${label}`, () => {
        assert.equal(keySegments(key), null, JSON.stringify(key));
      });
    }
  });

  describe('accepts normal keys', () => {
    it('splits on /', () => {
      assert.deepEqual(keySegments('shows/2026/morning.mp3'), ['shows', '2026', 'morning.mp3']);
      assert.deepEqual(keySegments('song.mp3'), ['song.mp3']);
    });

    it('keeps spaces and Unicode', () => {
      assert.deepEqual(keySegments('my show/Émission spéciale 🎙.mp3'), ['my show', 'Émission spéciale 🎙.mp3']);
    });

    it('takes percent sequences literally', () => {
      assert.deepEqual(keySegments('%2e%2e/%2e%2e/etc'), ['%2e%2e', '%2e%2e', 'etc']);
      assert.deepEqual(keySegments('a%2fb'), ['a%2fb']);
    });

    it('accepts dots that are not whole segments', () => {
      assert.deepEqual(keySegments('...'), ['...']);
      assert.deepEqual(keySegments('.hidden/..a/b..'), ['.hidden', '..a', 'b..']);
    });

    it('accepts exactly 1024 characters', () => {
      const key = 'a'.repeat(1024);
      assert.deepEqual(keySegments(key), [key]);
    });
  });
});

describe('encodePath', () => {
  it('joins segments with unencoded slashes', () => {
    assert.equal(encodePath(['a', 'b', 'c.mp3']), 'a/b/c.mp3');
  });

  it('matches the documented example', () => {
    assert.equal(encodePath(['my show', '100% live?.mp3']), 'my%20show/100%25%20live%3F.mp3');
  });

  it('encodes space, %, ?, #, ; and quotes', () => {
    assert.equal(encodePath([' ']), '%20');
    assert.equal(encodePath(['%']), '%25');
    assert.equal(encodePath(['?']), '%3F');
    assert.equal(encodePath(['#']), '%23');
    assert.equal(encodePath([';']), '%3B');
    assert.equal(encodePath(['"']), '%22');
    assert.equal(encodePath(["'"]), '%27');
  });

  it("encodes the sub-delims encodeURIComponent leaves alone: ! ' ( ) *", () => {
    assert.equal(encodePath(["!'()*"]), '%21%27%28%29%2A');
  });

  it('encodes a slash inside a segment', () => {
    assert.equal(encodePath(['a/b']), 'a%2Fb');
  });

  it('encodes non-ASCII as UTF-8', () => {
    assert.equal(encodePath(['é']), '%C3%A9');
    assert.equal(encodePath(['🎙']), '%F0%9F%8E%99');
  });

  it('encodes an already-encoded sequence again (no double decoding downstream)', () => {
    assert.equal(encodePath(['%2e%2e']), '%252e%252e');
  });

  it('leaves unreserved characters alone', () => {
    assert.equal(encodePath(['AZaz09-._~']), 'AZaz09-._~');
  });

  it('round-trips through decodeURIComponent per segment', () => {
    const segments = ['my show', "it's (live)*!", '100% #1; "best"?', 'Émission 🎙.mp3'];
    const encoded = encodePath(segments);
    assert.match(encoded, /^[A-Za-z0-9\-._~%/]+$/);
    assert.deepEqual(encoded.split('/').map(decodeURIComponent), segments);
  });
});
