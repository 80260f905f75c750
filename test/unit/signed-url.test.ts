import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  createUrlSigner,
  deriveKeyId,
  readSignedQuery,
  signedQuery,
  type UrlSigner,
  type UrlSignerOptions,
  type VerifyInput,
} from '../../lib/access/signed-url';

const SECRET_A = 'a'.repeat(20) + '-secret-number-one-0123456789';
const SECRET_B = 'b'.repeat(20) + '-secret-number-two-0123456789';
const T0 = Date.UTC(2026, 10, 29, 10, 0, 0); // ms

/** A signer on a clock the test moves. */
function clocked(options: Omit<UrlSignerOptions, 'now'>): { signer: UrlSigner; clock: { ms: number } } {
  const clock = { ms: T0 };
  return { signer: createUrlSigner({ ...options, now: () => clock.ms }), clock };
}

function link(signer: UrlSigner, station = 'radio-1', file = 'ep-42', expiresIn?: number): VerifyInput {
  const s = signer.sign({ station, file, expiresIn });
  return { station, file, expires: String(s.expires), keyId: s.keyId, signature: s.signature };
}

function reason(signer: UrlSigner, input: VerifyInput): string {
  const result = signer.verify(input);
  return result.ok ? 'ok' : result.reason;
}

/** Changes one character of a base64url string to another valid one, keeping the canonical last char. */
function flipChar(sig: string, index: number): string {
  const c = sig[index] === 'A' ? 'B' : 'A';
  return sig.slice(0, index) + c + sig.slice(index + 1);
}

describe('createUrlSigner: sign and verify', () => {
  it('round-trips a link and signs with the first key', () => {
    const { signer } = clocked({
      keys: [
        { id: 'new', secret: SECRET_A },
        { id: 'old', secret: SECRET_B },
      ],
    });
    const s = signer.sign({ station: 'radio-1', file: 'ep-42' });
    assert.equal(s.keyId, 'new');
    assert.equal(s.expires, T0 / 1000 + 3600);
    assert.match(s.signature, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(signer.verify({ station: 'radio-1', file: 'ep-42', expires: String(s.expires), keyId: s.keyId, signature: s.signature }), { ok: true });
  });

  it('signs the documented canonical string: JSON [version, station, file, expires]', () => {
    const { signer } = clocked({ keys: [{ id: 'k', secret: SECRET_A }] });
    const s = signer.sign({ station: 'st', file: 'f', expiresIn: 60 });
    const expected = createHmac('sha256', SECRET_A)
      .update(JSON.stringify(['station-files/signed-url/v1', 'st', 'f', s.expires]))
      .digest('base64url');
    assert.equal(s.signature, expected);
  });

  it('uses expiresIn and defaultExpiresIn, and refuses lifetimes over maxExpiresIn', () => {
    const { signer } = clocked({ keys: [SECRET_A], defaultExpiresIn: 120, maxExpiresIn: 600 });
    assert.equal(signer.sign({ station: 's', file: 'f' }).expires, T0 / 1000 + 120);
    assert.equal(signer.sign({ station: 's', file: 'f', expiresIn: 600 }).expires, T0 / 1000 + 600);
    assert.throws(() => signer.sign({ station: 's', file: 'f', expiresIn: 601 }), TypeError);
    assert.throws(() => signer.sign({ station: 's', file: 'f', expiresIn: 0 }), TypeError);
    assert.throws(() => signer.sign({ station: 's', file: 'f', expiresIn: 1.5 }), TypeError);
    assert.throws(() => signer.sign({ station: '', file: 'f' }), TypeError);
    assert.throws(() => signer.sign({ station: 's', file: 42 as unknown as string }), TypeError);
  });

  it('handles non-ASCII ids', () => {
    const { signer } = clocked({ keys: [SECRET_A] });
    const input = link(signer, 'Radio Über', 'émission 100% "live"\n/..');
    assert.equal(reason(signer, input), 'ok');
    assert.equal(reason(signer, { ...input, file: 'émission 100% "live"\n/.' }), 'bad-signature');
  });
});

describe('createUrlSigner: tampering', () => {
  const { signer } = clocked({ keys: [{ id: 'k1', secret: SECRET_A }] });

  it('refuses a signature with one character changed', () => {
    const input = link(signer);
    for (const index of [0, 21, 41]) {
      assert.equal(reason(signer, { ...input, signature: flipChar(input.signature ?? '', index) }), 'bad-signature');
    }
  });

  it('refuses a non-canonical last character (same bytes, different text) as malformed', () => {
    const input = link(signer);
    const sig = input.signature ?? '';
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(sig[42] ?? '');
    const sibling = alphabet[last ^ 1] ?? ''; // differs only in the low (padding) bits
    assert.equal(reason(signer, { ...input, signature: sig.slice(0, 42) + sibling }), 'malformed');
  });

  it('refuses truncated, extended and empty-ish signatures', () => {
    const input = link(signer);
    const sig = input.signature ?? '';
    assert.equal(reason(signer, { ...input, signature: sig.slice(0, 42) }), 'malformed');
    assert.equal(reason(signer, { ...input, signature: sig.slice(0, 40) }), 'malformed');
    assert.equal(reason(signer, { ...input, signature: sig + 'A' }), 'malformed');
    assert.equal(reason(signer, { ...input, signature: sig + '=' }), 'malformed');
    assert.equal(reason(signer, { ...input, signature: ' ' + sig.slice(1) }), 'malformed');
  });

  it('refuses the signature re-encoded as standard base64 (+ / =)', () => {
    // Find a link whose signature has - or _, so its standard encoding differs in the alphabet too.
    let input = link(signer);
    for (let i = 0; !/[-_]/.test(input.signature ?? ''); i++) input = link(signer, 'radio-1', `ep-${i}`);
    const standard = Buffer.from(input.signature ?? '', 'base64url').toString('base64');
    assert.match(standard, /[+/]/);
    assert.match(standard, /=$/);
    assert.equal(reason(signer, { ...input, signature: standard }), 'malformed');
    assert.equal(reason(signer, { ...input, signature: standard.replace(/=+$/, '') }), 'malformed');
  });

  it('refuses swapped station and file, and characters moved between them', () => {
    const input = link(signer, 'ab', 'cd');
    assert.equal(reason(signer, input), 'ok');
    assert.equal(reason(signer, { ...input, station: 'cd', file: 'ab' }), 'bad-signature');
    assert.equal(reason(signer, { ...input, station: 'abc', file: 'd' }), 'bad-signature');
    assert.equal(reason(signer, { ...input, station: 'a', file: 'bcd' }), 'bad-signature');
    const tricky = link(signer, 'a","b', 'c');
    assert.equal(reason(signer, { ...tricky, station: 'a', file: 'b","c' }), 'bad-signature');
  });

  it('refuses a different file or station', () => {
    const input = link(signer);
    assert.equal(reason(signer, { ...input, file: 'ep-43' }), 'bad-signature');
    assert.equal(reason(signer, { ...input, station: 'radio-2' }), 'bad-signature');
  });

  it('refuses a changed expiry (extending a link)', () => {
    const input = link(signer);
    assert.equal(reason(signer, { ...input, expires: String(Number(input.expires) + 1) }), 'bad-signature');
  });

  it('refuses a signature made with another secret under a listed id', () => {
    const forger = createUrlSigner({ keys: [{ id: 'k1', secret: SECRET_B }], now: () => T0 });
    assert.equal(reason(signer, link(forger)), 'bad-signature');
  });
});

describe('createUrlSigner: expiry', () => {
  it('accepts a link until its expiry second, then says expired (also on replay)', () => {
    const { signer, clock } = clocked({ keys: [SECRET_A] });
    const input = link(signer, 'radio-1', 'ep-42', 60);
    clock.ms = T0 + 59_999;
    assert.equal(reason(signer, input), 'ok');
    clock.ms = T0 + 60_000;
    assert.equal(reason(signer, input), 'expired');
    clock.ms = T0 + 86_400_000;
    assert.equal(reason(signer, input), 'expired');
    assert.equal(reason(signer, input), 'expired'); // replaying the same link changes nothing
  });

  it('reports a forged expired link as bad-signature, not expired', () => {
    const { signer, clock } = clocked({ keys: [SECRET_A] });
    const input = link(signer, 'radio-1', 'ep-42', 60);
    clock.ms = T0 + 120_000;
    assert.equal(reason(signer, { ...input, signature: flipChar(input.signature ?? '', 3) }), 'bad-signature');
  });

  it('treats expiries beyond now + maxExpiresIn as malformed, even if validly signed', () => {
    const { signer: longLived } = clocked({ keys: [{ id: 'k', secret: SECRET_A }], maxExpiresIn: 7200 });
    const { signer } = clocked({ keys: [{ id: 'k', secret: SECRET_A }], maxExpiresIn: 3600 });
    assert.equal(reason(signer, link(longLived, 's', 'f', 3600)), 'ok');
    assert.equal(reason(signer, link(longLived, 's', 'f', 3601)), 'malformed');
  });

  it('treats huge expiries as malformed', () => {
    const { signer } = clocked({ keys: [SECRET_A] });
    const input = link(signer);
    for (const expires of ['99999999999', '9007199254740993', '1'.padEnd(400, '0'), '1e308']) {
      assert.equal(reason(signer, { ...input, expires }), 'malformed', expires);
    }
  });

  it('accepts only plain decimal digits for expires', () => {
    const { signer } = clocked({ keys: [SECRET_A] });
    const input = link(signer);
    const e = input.expires ?? '';
    for (const expires of [`+${e}`, `-${e}`, ` ${e}`, `${e} `, `${e}.0`, `0${e}`, `0x${Number(e).toString(16)}`, `${e}\n`, '١٢٣', 'abc']) {
      assert.equal(reason(signer, { ...input, expires }), 'malformed', JSON.stringify(expires));
    }
  });
});

describe('createUrlSigner: keys and rotation', () => {
  it('keeps verifying old links while the old key is listed, and refuses them once it is removed', () => {
    const before = createUrlSigner({ keys: [{ id: 'old', secret: SECRET_A }], now: () => T0 });
    const oldLink = link(before);
    const rotated = createUrlSigner({
      keys: [
        { id: 'new', secret: SECRET_B },
        { id: 'old', secret: SECRET_A },
      ],
      now: () => T0,
    });
    assert.equal(reason(rotated, oldLink), 'ok');
    assert.equal(rotated.sign({ station: 's', file: 'f' }).keyId, 'new');
    assert.equal(reason(rotated, link(rotated)), 'ok');
    const removed = createUrlSigner({ keys: [{ id: 'new', secret: SECRET_B }], now: () => T0 });
    assert.equal(reason(removed, oldLink), 'unknown-key');
    assert.equal(reason(removed, link(rotated)), 'ok');
  });

  it('derives string-key ids from the secret, so they survive reordering', () => {
    const a = createUrlSigner({ keys: [SECRET_A], now: () => T0 });
    const s = a.sign({ station: 's', file: 'f' });
    assert.equal(s.keyId, deriveKeyId(SECRET_A));
    assert.match(s.keyId, /^[0-9a-f]{8}$/);
    assert.notEqual(deriveKeyId(SECRET_A), deriveKeyId(SECRET_B));
    const rotated = createUrlSigner({ keys: [SECRET_B, SECRET_A], now: () => T0 });
    assert.equal(reason(rotated, { station: 's', file: 'f', expires: String(s.expires), keyId: s.keyId, signature: s.signature }), 'ok');
  });

  it('answers unknown-key for a well-formed kid nobody listed, malformed for an ill-formed one', () => {
    const { signer } = clocked({ keys: [{ id: 'k1', secret: SECRET_A }] });
    const input = link(signer);
    assert.equal(reason(signer, { ...input, keyId: 'k2' }), 'unknown-key');
    assert.equal(reason(signer, { ...input, keyId: '__proto__' }), 'unknown-key');
    assert.equal(reason(signer, { ...input, keyId: 'constructor' }), 'unknown-key');
    assert.equal(reason(signer, { ...input, keyId: 'k1 ' }), 'malformed');
    assert.equal(reason(signer, { ...input, keyId: 'x'.repeat(65) }), 'malformed');
    assert.equal(reason(signer, { ...input, keyId: 'k/1' }), 'malformed');
  });

  it('rejects weak secrets, bad ids and bad options at construction', () => {
    assert.throws(() => createUrlSigner({ keys: ['x'.repeat(31)] }), /at least 32/);
    assert.throws(() => createUrlSigner({ keys: [{ id: 'k', secret: 'é'.repeat(15) }] }), TypeError); // 30 bytes
    assert.doesNotThrow(() => createUrlSigner({ keys: [{ id: 'k', secret: 'é'.repeat(16) }] })); // 32 bytes
    assert.doesNotThrow(() => createUrlSigner({ keys: [{ id: 'k', secret: new Uint8Array(32) }] }));
    assert.throws(() => createUrlSigner({ keys: [{ id: 'k', secret: new Uint8Array(16) }] }), TypeError);
    assert.throws(() => createUrlSigner({ keys: [] }), TypeError);
    assert.throws(() => createUrlSigner({ keys: undefined as unknown as string[] }), TypeError);
    assert.throws(() => createUrlSigner({ keys: [42 as unknown as string] }), TypeError);
    assert.throws(() => createUrlSigner({ keys: [{ id: 'has space', secret: SECRET_A }] }), TypeError);
    assert.throws(() => createUrlSigner({ keys: [{ id: '', secret: SECRET_A }] }), TypeError);
    assert.throws(
      () =>
        createUrlSigner({
          keys: [
            { id: 'k', secret: SECRET_A },
            { id: 'k', secret: SECRET_B },
          ],
        }),
      /repeats key id/,
    );
    assert.throws(() => createUrlSigner({ keys: [SECRET_A, SECRET_A] }), /repeats key id/);
    assert.throws(() => createUrlSigner({ keys: [SECRET_A], defaultExpiresIn: 0 }), TypeError);
    assert.throws(() => createUrlSigner({ keys: [SECRET_A], maxExpiresIn: 1.5 }), TypeError);
    assert.throws(() => createUrlSigner({ keys: [SECRET_A], defaultExpiresIn: 100, maxExpiresIn: 50 }), TypeError);
    assert.throws(() => createUrlSigner({ keys: [SECRET_A], now: 5 as unknown as () => number }), TypeError);
  });
});

describe('createUrlSigner: missing and odd input', () => {
  const { signer } = clocked({ keys: [SECRET_A] });
  const input = link(signer);

  it('answers missing when a parameter is absent or empty', () => {
    assert.equal(reason(signer, { ...input, expires: undefined }), 'missing');
    assert.equal(reason(signer, { ...input, keyId: undefined }), 'missing');
    assert.equal(reason(signer, { ...input, signature: undefined }), 'missing');
    assert.equal(reason(signer, { ...input, signature: '' }), 'missing');
    assert.equal(reason(signer, { station: 's', file: 'f', expires: undefined, keyId: undefined, signature: undefined }), 'missing');
  });

  it('never throws on values of the wrong type', () => {
    const odd = [null, 42, ['a'], { a: 1 }, Symbol('x')];
    for (const value of odd) {
      for (const field of ['station', 'file', 'expires', 'keyId', 'signature'] as const) {
        const result = signer.verify({ ...input, [field]: value as unknown as string });
        assert.equal(result.ok, false);
      }
    }
    assert.equal(signer.verify(undefined as unknown as VerifyInput).ok, false);
  });
});

describe('signedQuery and readSignedQuery', () => {
  const { signer } = clocked({ keys: [{ id: 'k1', secret: SECRET_A }] });

  it('round-trips through a URL query string', () => {
    const q = signedQuery(signer, { station: 'radio-1', file: 'ep-42' });
    assert.deepEqual(Object.keys(q).sort(), ['expires', 'kid', 'sig']);
    const url = new URL(`https://panel.example/stations/radio-1/episodes/ep-42?${new URLSearchParams(q)}`);
    assert.deepEqual(signer.verify({ station: 'radio-1', file: 'ep-42', ...readSignedQuery(url.searchParams) }), { ok: true });
    const asObject = Object.fromEntries(url.searchParams);
    assert.deepEqual(signer.verify({ station: 'radio-1', file: 'ep-42', ...readSignedQuery(asObject) }), { ok: true });
  });

  it('reads absent parameters as missing and repeated or nested ones as malformed', () => {
    const q = signedQuery(signer, { station: 's', file: 'f' });
    const check = (query: Parameters<typeof readSignedQuery>[0]): string => reason(signer, { station: 's', file: 'f', ...readSignedQuery(query) });
    assert.equal(check({}), 'missing');
    assert.equal(check(null), 'missing');
    assert.equal(check(new URLSearchParams({ expires: q.expires, kid: q.kid })), 'missing');
    assert.equal(check(new URLSearchParams(`expires=${q.expires}&kid=${q.kid}&sig=${q.sig}&sig=${q.sig}`)), 'malformed');
    assert.equal(check({ ...q, sig: [q.sig] }), 'malformed');
    assert.equal(check({ ...q, kid: [q.kid, 'x'] }), 'malformed');
    assert.equal(check({ ...q, expires: { a: q.expires } }), 'malformed');
    assert.equal(check(Object.assign(Object.create({ sig: q.sig }) as object, { expires: q.expires, kid: q.kid })), 'missing');
  });
});
