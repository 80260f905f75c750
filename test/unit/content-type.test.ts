import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseContentType, isMediaType } from '../../lib/http/content-type';

describe('chooseContentType', () => {
  describe('order of preference', () => {
    it('uses a valid explicit type first', () => {
      assert.equal(chooseContentType({ explicit: 'audio/ogg', filename: 'x.mp3', stored: 'audio/wav' }), 'audio/ogg');
    });

    it('keeps parameters of an explicit type verbatim', () => {
      assert.equal(chooseContentType({ explicit: 'text/plain; charset=utf-8', filename: 'x.mp3' }), 'text/plain; charset=utf-8');
      assert.equal(chooseContentType({ explicit: 'audio/mpeg;foo="a b"' }), 'audio/mpeg;foo="a b"');
    });

    it('uses the extension when there is no explicit type', () => {
      assert.equal(chooseContentType({ filename: 'show.mp3', stored: 'audio/wav' }), 'audio/mpeg');
      assert.equal(chooseContentType({ filename: 'SHOW.MP3' }), 'audio/mpeg');
      assert.equal(chooseContentType({ filename: 'jingle.ogg' }), 'audio/ogg');
    });

    it('prefers the extension over a wrong type recorded by the storage', () => {
      assert.equal(chooseContentType({ filename: 'show.mp3', stored: 'binary/octet-stream' }), 'audio/mpeg');
      assert.equal(chooseContentType({ filename: 'show.mp3', stored: 'text/html' }), 'audio/mpeg');
    });

    it('falls back to the stored type for an unknown extension', () => {
      assert.equal(chooseContentType({ filename: 'noext', stored: 'audio/wav' }), 'audio/wav');
      assert.equal(chooseContentType({ filename: 'take.unknownext', stored: 'audio/x-custom' }), 'audio/x-custom');
      assert.equal(chooseContentType({ stored: 'audio/wav' }), 'audio/wav');
    });

    it('skips generic stored types, case-insensitively', () => {
      assert.equal(chooseContentType({ filename: 'noext', stored: 'binary/octet-stream' }), 'application/octet-stream');
      assert.equal(chooseContentType({ filename: 'noext', stored: 'Binary/Octet-Stream' }), 'application/octet-stream');
    });

    it('ends with application/octet-stream', () => {
      assert.equal(chooseContentType({}), 'application/octet-stream');
      assert.equal(chooseContentType({ filename: 'noext' }), 'application/octet-stream');
      assert.equal(chooseContentType({ explicit: '', filename: '', stored: '' }), 'application/octet-stream');
    });
  });

  describe('with invalid explicit or stored types', () => {
    it('ignores an explicit value that is not a media type', () => {
      for (const bad of ['audio', 'audio/', '/mpeg', 'audio mpeg', 'audio/mp eg', 'audio/mpeg;', 'audio/mpeg; charset', 'audio/mpeg; a="unterminated']) {
        assert.equal(chooseContentType({ explicit: bad, filename: 'x.mp3' }), 'audio/mpeg', JSON.stringify(bad));
      }
    });

    it('rejects header injection through CR/LF in the explicit type', () => {
      for (const bad of [
        'text/html\r\nSet-Cookie: a=1',
        'text/html\nX-Evil: 1',
        'text/html\r\n\r\n<script>',
        'text/html;\r\nx=1', // CRLF inside the parameter separator's "whitespace"
        'text/html;\n set-cookie=1',
        'text/html\r',
      ]) {
        const chosen = chooseContentType({ explicit: bad, filename: 'x.mp3' });
        assert.doesNotMatch(chosen, /[\r\n]/, JSON.stringify(bad));
        assert.equal(chosen, 'audio/mpeg', JSON.stringify(bad));
      }
    });

    it('rejects non-ASCII and control characters in the explicit type', () => {
      for (const bad of ['audio/mpég', 'audio/mpeg\u0000', 'audio/mpeg; a="\u0007"', 'audio/mpeg; a="é"']) {
        assert.equal(chooseContentType({ explicit: bad, filename: 'x.mp3' }), 'audio/mpeg', JSON.stringify(bad));
      }
    });

    it('rejects a stored type with CR/LF and falls back', () => {
      assert.equal(chooseContentType({ stored: 'text/html\r\nX-Evil: 1' }), 'application/octet-stream');
      assert.equal(chooseContentType({ stored: 'audio/wav;\r\na=b' }), 'application/octet-stream');
    });
  });
});

describe('isMediaType', () => {
  it('accepts type/subtype with token and quoted-string parameters and OWS', () => {
    assert.equal(isMediaType('audio/mpeg'), true);
    assert.equal(isMediaType('application/vnd.api+json'), true);
    assert.equal(isMediaType('text/plain ; charset=utf-8'), true);
    assert.equal(isMediaType('text/plain;\tcharset="utf-8"'), true);
  });

  it('only allows SP and HTAB as OWS (RFC 9110 5.6.3)', () => {
    assert.equal(isMediaType('text/plain;\r\ncharset=utf-8'), false);
    assert.equal(isMediaType('text/plain\n;charset=utf-8'), false);
    assert.equal(isMediaType('text/plain;\vcharset=utf-8'), false);
    assert.equal(isMediaType('text/plain;\u00a0charset=utf-8'), false);
    assert.equal(isMediaType('text/plain;\u2028charset=utf-8'), false);
  });
});
