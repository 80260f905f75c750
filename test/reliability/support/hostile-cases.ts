// The hostile inputs of test/reliability/hostile-input.test.ts, as data.
import { createUrlSigner } from '../../../lib/entry/signing';
import { SIGNING_KEYS } from '../../support/panel-app';

/** Path segments put where an id goes, sent byte for byte (no URL library normalizes them). */
export const SEGMENTS: string[] = [
  '..',
  '.',
  '...',
  '%2e%2e',
  '%2E%2E',
  '.%2e',
  '%2e.',
  '%252e%252e',
  '%25252e%25252e',
  '..%2f',
  '..%2F..%2Fetc%2Fpasswd',
  '%2e%2e%2f',
  '%2e%2e%5c',
  '..%5c',
  '..\\',
  '..\\..\\recordings',
  '%5c',
  '%c0%ae%c0%ae',
  '%c0%af',
  '%e0%80%ae%e0%80%ae',
  '%ef%bc%8e%ef%bc%8e',
  '\uff0e\uff0e',
  '\uff0e\uff0e\uff0f',
  '%u002e%u002e',
  '..;',
  '%2e%2e;',
  '%00',
  'm11%00',
  '%00m11',
  'b101%00.mp3',
  'e1%00',
  'x'.repeat(10_000),
  'a b',
  'a%20b',
  '%20m11',
  'm11%20',
  '"quoted"',
  '%22',
  "'",
  '%27',
  'a%0d%0aSet-Cookie:%20x=1',
  '%0a',
  '%0d',
  '%09',
  'e%CC%81',
  '%C3%A9',
  '\u00e9',
  'e\u0301',
  '\u212b',
  'A%CC%8A',
  'm11;x=1',
  'm11%3b',
  'm11%3f',
  'm11%23',
  'm11%2f..',
  'm11%2f%2e%2e',
  'M11',
  'm11.',
  '-',
  '_',
  '%2d',
  'A'.repeat(65),
  '%',
  '%zz',
  '%E2%80%AE',
  '\u202e',
  '%F0%9F%8E%99',
  '<script>',
  '%3cscript%3e',
  '$(id)',
  '`id`',
  '*',
  '%2a',
  'm11,m12',
];

/** Whole request targets that play with the path around a real file (`/api/station/alpha/file/m11/play`). */
export const PATHS: string[] = [
  '/api/station/alpha/file/m11/play/..',
  '/api/station/alpha/file/m11/play/../../../../recordings/alpha',
  '/api/station/alpha/file/m11/play%2f..%2f..',
  '/api//station/alpha/file/m11/play',
  '/api/station/alpha/./file/m11/play',
  '/api/station/bravo/../alpha/file/m11/play',
  '/api/station/alpha/file/m11/play;jsessionid=1',
  '/api/station/alpha/file/m11/play?x=../../etc',
  '/api/station/alpha/file/m11/play#frag',
  '/api/station/alpha/file/m11/play/',
  '/api/station/alpha/file/m11/play%00',
  '/api/station/alpha/file/m11/play%2e%2e',
  '/api/%2e%2e/api/station/alpha/file/m11/play',
  '/api/station/alpha/file/m11/%2e%2e/m11/play',
  '/api/station/alpha/file/m11/play\\..\\..',
  '/API/station/alpha/file/m11/play',
  '//api/station/alpha/file/m11/play',
  'http://127.0.0.1/api/station/alpha/file/m11/play',
  '*',
  '/api/station/alpha/file/m11/play?sig=&expires=&kid=',
];

/** Catalog keys that would leave their storage root or S3 prefix, or are no valid key at all. */
export const ESCAPING_KEYS: string[] = [
  '../other-prefix/secret.bin',
  '/other-prefix/secret.bin',
  '/../other-prefix/secret.bin',
  'x/../../other-prefix/secret.bin',
  '../secret.bin',
  '../../secret.bin',
  '..%2fother-prefix%2fsecret.bin',
  '%2e%2e/other-prefix/secret.bin',
  '.%2e/other-prefix/secret.bin',
  '..\\other-prefix\\secret.bin',
  './ok.bin',
  'ok.bin/',
  '//ok.bin',
  'ok.bin\u0000',
  'ok.bin\u0000.txt',
  'ok.bin\r\n',
  '',
  '.',
  '..',
  `${'a/'.repeat(600)}ok.bin`,
  '\uff0e\uff0e/other-prefix/secret.bin',
  '/etc/passwd',
  '../outside.bin',
  '../../../../../../../../etc/passwd',
];

/** Requests with oversized headers; `rangeIgnored` ones may also be answered 200 with the whole file (README). */
export interface Oversized {
  name: string;
  headers: [string, string][];
  path?: string;
  rangeIgnored?: boolean;
}
export const OVERSIZED: Oversized[] = [
  { name: '100 KB Range header', headers: [['Range', `bytes=${'0-0,'.repeat(25_000)}0-0`]] },
  { name: 'Range with a 100,000-digit number', headers: [['Range', `bytes=0-${'9'.repeat(100_000)}`]] },
  {
    name: '1,500 disjoint ranges (under the header limit)',
    headers: [['Range', `bytes=${Array.from({ length: 1500 }, (_x, i) => `${i * 3}-${i * 3}`).join(',')}`]],
    rangeIgnored: true,
  },
  { name: '1,000 overlapping ranges', headers: [['Range', `bytes=${'0-10,'.repeat(999)}0-10`]], rangeIgnored: true },
  { name: '500 Range header lines', headers: Array.from({ length: 500 }, (): [string, string] => ['Range', 'bytes=0-1']), rangeIgnored: true },
  { name: '100 KB If-None-Match', headers: [['If-None-Match', Array.from({ length: 6000 }, (_x, i) => `"tag-${i}"`).join(', ')]] },
  { name: '100 KB cookie', headers: [['Cookie', `panel.sid=${'a'.repeat(100_000)}`]] },
  { name: '3,000 header lines', headers: Array.from({ length: 3000 }, (_x, i): [string, string] => [`X-Pad-${i}`, 'padding padding']) },
  { name: '100 KB URL', headers: [], path: `?q=${'a'.repeat(100_000)}` },
];

export const BRAVO_RECORDING = '/station/bravo/streamer/s9/broadcast/b201/download';
const M11_PATH = '/station/alpha/file/m11/play';
/** [name, path below /api, query, method, allowed statuses, body of a refusal] */
export type SignedCase = [string, string, string, string, number[], string?];

/** Links for the panel's m11 (signed with its keys, or crafted), replayed, moved, truncated, re-encoded, duplicated. */
export function signedLinkCases(): SignedCase[] {
  const sign = (opts: { station?: string; file?: string; nowMs?: number; expiresIn?: number; keys?: typeof SIGNING_KEYS; max?: number }): URLSearchParams => {
    const signer = createUrlSigner({ keys: opts.keys ?? SIGNING_KEYS, now: () => opts.nowMs ?? Date.now(), ...(opts.max ? { maxExpiresIn: opts.max } : {}) });
    const s = signer.sign({ station: opts.station ?? 'alpha', file: opts.file ?? M11_PATH, expiresIn: opts.expiresIn ?? 600 });
    return new URLSearchParams({ expires: String(s.expires), kid: s.keyId, sig: s.signature });
  };
  const good = sign({});
  const [e, k, s] = [good.get('expires') as string, good.get('kid') as string, good.get('sig') as string];
  const b64 = Buffer.from(s, 'base64url').toString('base64');
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const nonCanonical = s.slice(0, 42) + alphabet[alphabet.indexOf(s[42] as string) ^ 1];
  const pct = (v: string): string => [...v].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`).join('');
  const q = (sig: string, rest = `expires=${e}&kid=${k}`): string => `${rest}&sig=${sig}`;
  return [
    ['valid', M11_PATH, good.toString(), 'GET', [200]],
    ['valid, HEAD', M11_PATH, good.toString(), 'HEAD', [200]],
    ['valid, an extra parameter', M11_PATH, `${good}&x=1`, 'GET', [200]],
    ['valid, every signature character percent-encoded (the same value)', M11_PATH, q(pct(s)), 'GET', [200]],
    ['expired two hours ago (replay)', M11_PATH, sign({ nowMs: Date.now() - 7200_000, expiresIn: 60 }).toString(), 'GET', [403], 'Link expired'],
    ['expired a second ago', M11_PATH, sign({ nowMs: Date.now() - 61_000, expiresIn: 60 }).toString(), 'GET', [403], 'Link expired'],
    ['expiring this very second', M11_PATH, sign({ nowMs: Date.now() - 60_000, expiresIn: 60 }).toString(), 'GET', [403], 'Link expired'],
    ['another station', '/station/bravo/file/m11/play', good.toString(), 'GET', [403], 'Invalid link signature'],
    ['another file', '/station/alpha/file/m12/play', good.toString(), 'GET', [403], 'Invalid link signature'],
    ['another kind with the same ids', '/station/alpha/podcast/m11/episode/m11/media', good.toString(), 'GET', [403], 'Invalid link signature'],
    [
      "bravo's link on alpha's recording",
      '/station/alpha/streamer/s1/broadcast/b101/download',
      sign({ station: 'bravo', file: BRAVO_RECORDING }).toString(),
      'GET',
      [403],
    ],
    ["bravo's link on bravo's recording (control)", BRAVO_RECORDING, sign({ station: 'bravo', file: BRAVO_RECORDING }).toString(), 'GET', [200]],
    ['station and file swapped in the signed input', M11_PATH, sign({ station: M11_PATH, file: 'alpha' }).toString(), 'GET', [403]],
    ['the path re-encoded (m%31%31)', '/station/alpha/file/m%31%31/play', good.toString(), 'GET', [200, 403]],
    ['signature truncated to 42', M11_PATH, q(s.slice(0, 42)), 'GET', [403]],
    ['signature truncated to 20', M11_PATH, q(s.slice(0, 20)), 'GET', [403]],
    ['empty signature', M11_PATH, q(''), 'GET', [403]],
    ['signature plus a character', M11_PATH, q(`${s}A`), 'GET', [403]],
    ['non-canonical last character (same bytes)', M11_PATH, q(nonCanonical), 'GET', [403]],
    ['standard base64 with + / =, percent-encoded', M11_PATH, q(encodeURIComponent(b64)), 'GET', [403]],
    ['standard base64 with + / =, raw', M11_PATH, q(b64), 'GET', [403]],
    ['signature with its case swapped', M11_PATH, q(s.replace(/[a-z]/gi, (c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()))), 'GET', [403]],
    ['sig twice, same value', M11_PATH, `${good}&sig=${s}`, 'GET', [403]],
    ['kid twice', M11_PATH, `${good}&kid=${k}`, 'GET', [403]],
    ['expires twice', M11_PATH, `${good}&expires=${e}`, 'GET', [403]],
    ['an empty sig, then the good one', M11_PATH, `sig=&${good}`, 'GET', [403]],
    ['expires moved one second later', M11_PATH, q(s, `expires=${Number(e) + 1}&kid=${k}`), 'GET', [403]],
    ['expires with a leading zero', M11_PATH, q(s, `expires=0${e}&kid=${k}`), 'GET', [403]],
    ['expires beyond the 7-day maximum (signed by a lenient signer)', M11_PATH, sign({ expiresIn: 30 * 86400, max: 40 * 86400 }).toString(), 'GET', [403]],
    ['an unknown kid', M11_PATH, q(s, `expires=${e}&kid=rotated-out`), 'GET', [403]],
    ['the right kid, another secret', M11_PATH, sign({ keys: [{ id: k, secret: 'x'.repeat(40) }] }).toString(), 'GET', [403]],
    ['SIG in capitals is no signed link: anonymous', M11_PATH, `expires=${e}&kid=${k}&SIG=${s}`, 'GET', [401]],
    ['a valid link with POST', M11_PATH, good.toString(), 'POST', [405]],
  ];
}
