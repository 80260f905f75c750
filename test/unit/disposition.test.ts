import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'content-disposition';
import { asciiFallback, contentDisposition, safeFilename, type DispositionType } from '../../lib/http/disposition';

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;
// RFC 8187 value-chars after UTF-8'': attr-char or pct-encoded.
const EXT_VALUE = /^(?:%[0-9A-F]{2}|[A-Za-z0-9!#$&+.^_`|~-])+$/;

interface Parsed {
  header: string;
  /** Decoded `filename*`, if present. */
  star?: string;
  /** Unquoted `filename`, if present. */
  plain?: string;
}

/** Formats `name`, checks the header is valid and parses back to safeFilename(name); returns the pieces. */
function format(name: string, type: DispositionType = 'attachment'): Parsed {
  const header = contentDisposition(name, type);
  assert.match(header, PRINTABLE_ASCII, `not printable ASCII: ${JSON.stringify(header)}`);
  assert.ok(header.startsWith(`${type};`), header);
  const parsed = parse(header);
  assert.equal(parsed.type, type);
  assert.equal(parsed.parameters.filename, safeFilename(name), 'parse() must give back the safe name');

  const result: Parsed = { header };
  const star = /; filename\*=UTF-8''([^;]*)(?:;|$)/.exec(header);
  if (star) {
    const value = star[1] ?? '';
    assert.match(value, EXT_VALUE, `filename* is not RFC 8187: ${value}`);
    result.star = decodeURIComponent(value);
  }
  const plain = /; filename="((?:[^"\\]|\\.)*)"/.exec(header);
  if (plain) result.plain = (plain[1] ?? '').replace(/\\(.)/g, '$1');
  return result;
}

describe('contentDisposition', () => {
  describe('with a plain ASCII name', () => {
    it('sends only a quoted filename', () => {
      assert.equal(contentDisposition('show.mp3', 'attachment'), 'attachment; filename="show.mp3"');
      assert.equal(contentDisposition('Morning Show 2026.mp3', 'inline'), 'inline; filename="Morning Show 2026.mp3"');
    });

    it('keeps ; ? # as they are in the quoted filename', () => {
      const r = format('a;b?c#d.mp3');
      assert.equal(r.plain, 'a;b?c#d.mp3');
    });
  });

  describe('with a Unicode name', () => {
    it('adds filename* in UTF-8 percent-encoding that decodes back to the name', () => {
      const name = 'Émission spéciale – Ünïcödé.mp3';
      const r = format(name);
      assert.equal(r.star, name);
      assert.match(r.header, /filename\*=UTF-8''%C3%89mission%20sp%C3%A9ciale%20%E2%80%93%20/);
    });

    it('gives an ASCII fallback with accents folded', () => {
      const r = format('Émission spéciale.mp3');
      assert.equal(r.plain, 'Emission speciale.mp3');
    });

    it('encodes emoji as 4-byte UTF-8', () => {
      const r = format('🎙️ Morning.mp3', 'inline');
      assert.equal(r.star, '🎙️ Morning.mp3');
      assert.ok(r.header.includes("filename*=UTF-8''%F0%9F%8E%99%EF%B8%8F%20Morning.mp3"), r.header);
      assert.match(r.plain ?? '', /^[\x20-\x7e]+ Morning\.mp3$/);
    });

    it("percent-encodes ' ( ) * which RFC 8187 attr-char excludes", () => {
      const r = format("it's (live)* é.mp3");
      assert.equal(r.star, "it's (live)* é.mp3");
    });

    it('normalizes to NFC', () => {
      const r = format('Cafe\u0301.mp3');
      assert.equal(r.star, 'Caf\u00e9.mp3');
    });
  });

  describe('with characters that could break the header', () => {
    it('escapes quotes and backslashes safely', () => {
      const r = format('say "hi" \\ bye.mp3');
      assert.equal(safeFilename('say "hi" \\ bye.mp3'), 'say "hi" _ bye.mp3');
      assert.equal(r.star, 'say "hi" _ bye.mp3');
      assert.ok(!(r.plain ?? '').includes('"'));
    });

    it('never lets CR or LF into the header', () => {
      const r = format('evil\r\nSet-Cookie: a=1\r\n.mp3');
      assert.doesNotMatch(r.header, /[\r\n]/);
      assert.equal(safeFilename('evil\r\nSet-Cookie: a=1\r\n.mp3'), 'evilSet-Cookie: a=1.mp3');
    });

    it('removes other C0/C1 controls and DEL', () => {
      assert.equal(safeFilename('a\u0000b\u0007c\u007fd\u0085e.mp3'), 'abcde.mp3');
      format('a\u0000b\u0007c\u007fd\u0085e.mp3');
    });

    it('encodes % so that %20 is not decoded by the client', () => {
      const r = format('100% live%20now.mp3');
      assert.equal(r.star, '100% live%20now.mp3');
      assert.ok(!(r.plain ?? '').includes('%'));
    });

    it('removes the right-to-left override that disguises an extension', () => {
      const name = 'invoice\u202Egpj.exe';
      assert.equal(safeFilename(name), 'invoicegpj.exe');
      const r = format(name);
      assert.equal(r.plain, 'invoicegpj.exe');
      assert.ok(!r.header.includes('%E2%80%AE'));
    });

    it('removes the other bidi marks too', () => {
      assert.equal(safeFilename('a\u200Eb\u200Fc\u202Ad\u2066e\u2069f\u061Cg.mp3'), 'abcdefg.mp3');
    });

    it('replaces path separators instead of dropping directories', () => {
      assert.equal(safeFilename('shows/2026\\morning.mp3'), 'shows_2026_morning.mp3');
      assert.equal(safeFilename('../../etc/passwd'), '.._.._etc_passwd');
      const r = format('shows/2026\\morning.mp3');
      assert.equal(r.plain, 'shows_2026_morning.mp3');
    });

    it('never throws on a lone surrogate (e.g. a name from a broken database row)', () => {
      // Documented as "never throws"; a 500 for one bad character would be worse than a replacement.
      let header = '';
      assert.doesNotThrow(() => {
        header = contentDisposition('bad\uD800name.mp3', 'attachment');
      });
      assert.match(header, PRINTABLE_ASCII);
      const filename = parse(header).parameters.filename ?? '';
      assert.ok(filename.startsWith('bad') && filename.endsWith('name.mp3'), filename);
      assert.doesNotMatch(filename, /\p{Cs}/u, 'the parsed name must be well-formed Unicode');
    });
  });

  describe('with degenerate names', () => {
    for (const name of ['', '   ', '.', '..', '\u202E', '\r\n']) {
      it(`turns ${JSON.stringify(name)} into "download"`, () => {
        assert.equal(safeFilename(name), 'download');
        assert.equal(contentDisposition(name, 'attachment'), 'attachment; filename="download"');
      });
    }
  });

  describe('with very long names', () => {
    it('truncates a 1000-character name to 200, keeping the extension', () => {
      const safe = safeFilename('a'.repeat(996) + '.mp3');
      assert.equal(safe.length, 200);
      assert.equal(safe, 'a'.repeat(196) + '.mp3');
      format('a'.repeat(996) + '.mp3');
    });

    it('counts code points and never splits a surrogate pair', () => {
      const safe = safeFilename('🎵'.repeat(600) + '.flac');
      assert.equal(Array.from(safe).length, 200);
      assert.ok(safe.endsWith('🎵.flac'));
      assert.equal(safe, '🎵'.repeat(195) + '.flac');
      const r = format('🎵'.repeat(600) + '.flac');
      assert.equal(r.star, safe);
    });

    it('does not keep an over-long "extension"', () => {
      const safe = safeFilename('b'.repeat(300) + '.' + 'x'.repeat(40));
      assert.equal(safe.length, 200);
      assert.equal(safe, 'b'.repeat(200));
    });

    it('leaves names of exactly 200 code points alone', () => {
      const name = 'c'.repeat(196) + '.mp3';
      assert.equal(safeFilename(name), name);
    });
  });
});

describe('asciiFallback', () => {
  it('folds accents and replaces other non-ASCII with _', () => {
    assert.equal(asciiFallback('Émission spéciale.mp3'), 'Emission speciale.mp3');
    assert.equal(asciiFallback('日本.mp3'), '__.mp3');
  });

  it('replaces one astral character with one _', () => {
    assert.equal(asciiFallback('🎵.mp3'), '_.mp3');
  });

  it('replaces " \\ and %', () => {
    assert.equal(asciiFallback('a"b\\c%d.mp3'), 'a_b_c_d.mp3');
  });

  it('always returns printable ASCII', () => {
    for (const name of ['Ωμέγα №5 ½.ogg', 'ﬁle\u00a0name.wav', 'x\u2028y.mp3']) {
      assert.match(asciiFallback(name), PRINTABLE_ASCII, name);
    }
  });
});
