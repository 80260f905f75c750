import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { httpDate, planResponse, type PlanOptions, type PlanRequest, type ResponsePlan } from '../../lib/http/plan';
import type { ObjectMeta } from '../../lib/storage/types';

const META: ObjectMeta = { size: 1000, mtime: new Date('2026-03-14T09:26:53.589Z'), etag: '"69b52a1d-3e8"' };
const LAST_MODIFIED = 'Sat, 14 Mar 2026 09:26:53 GMT';
const OPTIONS: PlanOptions = { filename: 'show.mp3', disposition: 'inline', cacheControl: 'private, no-cache', maxRanges: 1 };

const REPRESENTATION = {
  ETag: '"69b52a1d-3e8"',
  'Last-Modified': LAST_MODIFIED,
  'Cache-Control': 'private, no-cache',
  'Accept-Ranges': 'bytes',
  'Content-Type': 'audio/mpeg',
  'Content-Disposition': 'inline; filename="show.mp3"',
  'Content-Security-Policy': "sandbox; default-src 'none'",
  'X-Content-Type-Options': 'nosniff',
};
const ERROR = {
  'Cache-Control': 'no-store',
  'Content-Type': 'text/plain; charset=utf-8',
  'Content-Security-Policy': "sandbox; default-src 'none'",
  'X-Content-Type-Options': 'nosniff',
};

function plan(headers: PlanRequest['headers'], options: Partial<PlanOptions> = {}, meta: ObjectMeta = META, method = 'GET'): ResponsePlan {
  return planResponse({ method, headers }, meta, { ...OPTIONS, ...options });
}

function assertFull(p: ResponsePlan, meta: ObjectMeta = META): void {
  assert.equal(p.kind, 'full');
  assert.equal(p.status, 200);
  assert.equal(p.range, null);
  assert.equal(p.length, meta.size);
  assert.equal(p.headers['Content-Length'], String(meta.size));
  assert.equal(p.headers['Content-Range'], undefined);
}

describe('planResponse', () => {
  describe('active content', () => {
    for (const filename of ['evil.html', 'evil.htm', 'evil.svg', 'evil.xml', 'evil.js', 'evil.xhtml', 'evil.pdf', 'evil.bin', 'noextension']) {
      it(`offers ${filename} only as an attachment, sandboxed, even when inline was asked for`, () => {
        const p = plan({}, { filename });
        assert.match(p.headers['Content-Disposition'] ?? '', /^attachment;/);
        assert.equal(p.headers['Content-Security-Policy'], "sandbox; default-src 'none'");
        assert.equal(p.headers['X-Content-Type-Options'], 'nosniff');
      });
    }
    it('an explicit scriptable type wins over a harmless extension: still an attachment', () => {
      const p = plan({}, { filename: 'show.mp3', contentType: 'text/html' });
      assert.match(p.headers['Content-Disposition'] ?? '', /^attachment;/);
    });
    for (const [filename, type] of [
      ['a.mp3', 'audio/mpeg'],
      ['a.ogg', 'audio/ogg'],
      ['a.mp4', 'video/mp4'],
      ['a.png', 'image/png'],
      ['a.jpg', 'image/jpeg'],
      ['a.txt', 'text/plain'],
    ] as const) {
      it(`plays ${filename} (${type}) inline`, () => {
        const p = plan({}, { filename });
        assert.match(p.headers['Content-Disposition'] ?? '', /^inline;/);
        assert.equal(p.headers['Content-Type'], type);
      });
    }
  });

  describe('200 full', () => {
    it('carries exactly the representation headers and Content-Length', () => {
      const p = plan({});
      assertFull(p);
      assert.deepEqual(p.headers, { ...REPRESENTATION, 'Content-Length': '1000' });
    });

    it('uses the explicit type, the disposition type and the Cache-Control option', () => {
      const p = plan({}, { contentType: 'audio/ogg', disposition: 'attachment', cacheControl: 'private, max-age=60', filename: 'Émission.mp3' });
      assert.equal(p.headers['Content-Type'], 'audio/ogg');
      assert.equal(p.headers['Cache-Control'], 'private, max-age=60');
      assert.equal(p.headers['Content-Disposition'], `attachment; filename="Emission.mp3"; filename*=UTF-8''%C3%89mission.mp3`);
    });

    it("falls back to the storage's content type", () => {
      assert.equal(plan({}, { filename: 'noext' }, { ...META, contentType: 'audio/wav' }).headers['Content-Type'], 'audio/wav');
    });

    it('sends 200 for an ignored Range header', () => {
      assertFull(plan({ range: 'bytes=5-2' }));
      assertFull(plan({ range: 'items=0-1' }));
      assertFull(plan({ range: 'bytes=0-1,5-6' }, { maxRanges: 3 }));
    });

    it('sends Content-Length 0 for an empty file', () => {
      const meta = { ...META, size: 0, etag: '"69b52a1d-0"' };
      const p = plan({}, {}, meta);
      assertFull(p, meta);
      assert.equal(p.headers['Content-Length'], '0');
    });
  });

  describe('206 partial', () => {
    it('carries Content-Range and the exact Content-Length', () => {
      const p = plan({ range: 'bytes=0-1' });
      assert.equal(p.kind, 'partial');
      assert.equal(p.status, 206);
      assert.deepEqual(p.range, { start: 0, end: 1 });
      assert.equal(p.length, 2);
      assert.deepEqual(p.headers, { ...REPRESENTATION, 'Content-Range': 'bytes 0-1/1000', 'Content-Length': '2' });
    });

    it('computes suffix and open ranges', () => {
      const suffix = plan({ range: 'bytes=-100' });
      assert.equal(suffix.headers['Content-Range'], 'bytes 900-999/1000');
      assert.equal(suffix.headers['Content-Length'], '100');
      const open = plan({ range: 'bytes=998-' });
      assert.equal(open.headers['Content-Range'], 'bytes 998-999/1000');
      assert.equal(open.length, 2);
    });

    it('serves coalesced ranges as one', () => {
      const p = plan({ range: 'bytes=0-9,5-19' }, { maxRanges: 2 });
      assert.equal(p.headers['Content-Range'], 'bytes 0-19/1000');
      assert.equal(p.headers['Content-Length'], '20');
    });
  });

  describe('304 not modified', () => {
    it('carries ETag, Last-Modified, Cache-Control and no content headers', () => {
      const p = plan({ 'if-none-match': '"69b52a1d-3e8"' });
      assert.equal(p.kind, 'not-modified');
      assert.equal(p.status, 304);
      assert.equal(p.length, 0);
      assert.deepEqual(p.headers, { ETag: '"69b52a1d-3e8"', 'Last-Modified': LAST_MODIFIED, 'Cache-Control': 'private, no-cache' });
      assert.equal(Object.hasOwn(p.headers, 'Content-Length'), false);
      assert.equal(Object.hasOwn(p.headers, 'Content-Type'), false);
    });

    it('wins over a Range header', () => {
      assert.equal(plan({ 'if-none-match': '*', range: 'bytes=0-1' }).status, 304);
      assert.equal(plan({ 'if-modified-since': LAST_MODIFIED, range: 'bytes=5000-' }).status, 304);
    });
  });

  describe('412 precondition failed', () => {
    it('carries only the error headers', () => {
      const p = plan({ 'if-match': '"other"' });
      assert.equal(p.kind, 'precondition-failed');
      assert.equal(p.status, 412);
      assert.equal(p.length, 0);
      assert.deepEqual(p.headers, ERROR);
    });

    it('wins over Range and If-None-Match', () => {
      assert.equal(plan({ 'if-match': '"other"', 'if-none-match': '"69b52a1d-3e8"', range: 'bytes=0-1' }).status, 412);
      assert.equal(plan({ 'if-unmodified-since': 'Sat, 14 Mar 2026 09:26:52 GMT', range: 'bytes=0-1' }).status, 412);
    });
  });

  describe('416 range not satisfiable', () => {
    it('carries Content-Range: bytes */size', () => {
      const p = plan({ range: 'bytes=1000-' });
      assert.equal(p.kind, 'range-not-satisfiable');
      assert.equal(p.status, 416);
      assert.equal(p.length, 0);
      assert.deepEqual(p.headers, { ...ERROR, 'Accept-Ranges': 'bytes', 'Content-Range': 'bytes */1000' });
    });

    it('says */0 for an empty file', () => {
      const p = plan({ range: 'bytes=0-' }, {}, { ...META, size: 0 });
      assert.equal(p.status, 416);
      assert.equal(p.headers['Content-Range'], 'bytes */0');
    });
  });

  describe('with If-Range', () => {
    it('applies the Range when the strong ETag matches', () => {
      assert.equal(plan({ range: 'bytes=0-1', 'if-range': '"69b52a1d-3e8"' }).status, 206);
    });

    it('applies the Range when the date equals Last-Modified', () => {
      assert.equal(plan({ range: 'bytes=0-1', 'if-range': LAST_MODIFIED }).status, 206);
    });

    it('sends the full 200 when the ETag differs', () => {
      const p = plan({ range: 'bytes=0-1', 'if-range': '"old"' });
      assertFull(p);
      assert.deepEqual(p.headers, { ...REPRESENTATION, 'Content-Length': '1000' });
    });

    it('sends the full 200 for a weak ETag or a different date', () => {
      assertFull(plan({ range: 'bytes=0-1', 'if-range': 'W/"69b52a1d-3e8"' }));
      assertFull(plan({ range: 'bytes=0-1', 'if-range': 'Sat, 14 Mar 2026 09:26:52 GMT' }));
    });

    it('sends the full 200 instead of 416 when the validator does not match', () => {
      assertFull(plan({ range: 'bytes=5000-', 'if-range': '"old"' }));
    });

    it('still answers 416 when the validator matches', () => {
      assert.equal(plan({ range: 'bytes=5000-', 'if-range': '"69b52a1d-3e8"' }).status, 416);
    });

    it('is ignored without a Range header', () => {
      assertFull(plan({ 'if-range': '"old"' }));
    });
  });

  describe('HEAD', () => {
    it('gets the same plan as GET', () => {
      const cases: PlanRequest['headers'][] = [
        {},
        { range: 'bytes=0-1' },
        { range: 'bytes=5000-' },
        { 'if-none-match': '"69b52a1d-3e8"' },
        { 'if-match': '"x"' },
        { range: 'bytes=0-1', 'if-range': '"old"' },
      ];
      for (const headers of cases) {
        assert.deepEqual(plan(headers, {}, META, 'HEAD'), plan(headers, {}, META, 'GET'), JSON.stringify(headers));
      }
    });
  });

  describe('with repeated header values (string[])', () => {
    it('treats repeated If-None-Match as one list', () => {
      assert.equal(plan({ 'if-none-match': ['"a"', '"69b52a1d-3e8"'] }).status, 304);
      assert.equal(plan({ 'if-none-match': ['"a"', '"b"'] }).status, 200);
    });

    it('treats repeated If-Match as one list', () => {
      assert.equal(plan({ 'if-match': ['"a"', '"69b52a1d-3e8"'] }).status, 200);
      assert.equal(plan({ 'if-match': ['"a"', '"b"'] }).status, 412);
    });

    it('applies a single-element Range array', () => {
      assert.equal(plan({ range: ['bytes=0-1'] }).status, 206);
    });

    it('ignores two Range fields', () => {
      assertFull(plan({ range: ['bytes=0-1', 'bytes=2-3'] }, { maxRanges: 5 }));
    });
  });
});

describe('httpDate', () => {
  it('formats an IMF-fixdate, dropping milliseconds', () => {
    assert.equal(httpDate(META.mtime), LAST_MODIFIED);
    assert.equal(httpDate(new Date('2026-03-14T09:26:53.999Z')), LAST_MODIFIED);
  });
});
