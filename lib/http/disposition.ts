/**
 * Content-Disposition (RFC 6266 with RFC 8187 `filename*`), safe for any filename a radio
 * panel may hold: Unicode, quotes, control characters, bidi tricks, very long names.
 */
import formatDisposition from 'content-disposition';

/** How the browser should treat the file. */
export type DispositionType = 'attachment' | 'inline';

// C0/C1 controls (incl. CR/LF), and bidi embedding/override/isolate marks that can disguise an extension.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// Half of a UTF-16 pair on its own (a bad database row): not encodable as UTF-8 (RFC 8187).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const MAX_NAME = 200;

/**
 * Cleans a display filename: no controls, no bidi overrides, no path separators, at most
 * 200 characters (the extension kept), never empty.
 *
 * @example
 * safeFilename('../evil\r\nname.mp3') // '.._evilname.mp3'
 */
export function safeFilename(name: string): string {
  let clean = name.replace(LONE_SURROGATE, '\uFFFD').normalize('NFC').replace(UNSAFE, '').replace(/[/\\]/g, '_').trim();
  const chars = Array.from(clean);
  if (chars.length > MAX_NAME) {
    const dot = clean.lastIndexOf('.');
    const ext = dot > 0 && clean.length - dot <= 16 ? clean.slice(dot) : '';
    clean = chars.slice(0, MAX_NAME - Array.from(ext).length).join('') + ext;
  }
  return clean === '' || clean === '.' || clean === '..' ? 'download' : clean;
}

/**
 * A printable-ASCII stand-in for clients that ignore `filename*`: accents folded, everything
 * else outside ASCII (and `"`, `\`, `%`) replaced by `_`.
 *
 * @example
 * asciiFallback('Émission spéciale – été.mp3') // 'Emission speciale _ ete.mp3'
 */
export function asciiFallback(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]|["\\%]/gu, '_');
}

// Types a browser renders without running script: sound, video, raster images, plain text.
// Everything else (HTML, SVG, XML, JavaScript, PDF, unknown types) could script or embed
// active content in the panel's origin, so it is only ever offered as a download.
const INLINE_SAFE = /^(?:audio\/[\w.+-]+|video\/[\w.+-]+|image\/(?:png|jpeg|gif|webp|avif|apng|bmp|x-icon|vnd\.microsoft\.icon)|text\/plain)\s*(?:;|$)/i;

/**
 * True when a file of this Content-Type may be shown `inline`: audio, video, raster images and
 * plain text. HTML, SVG, XML, JavaScript, PDF and anything unknown are not: an uploaded
 * `evil.svg` or `evil.html` played inline would run its script with the viewer's session.
 *
 * @example
 * inlineAllowed('audio/mpeg')    // true
 * inlineAllowed('image/svg+xml') // false
 */
export function inlineAllowed(contentType: string): boolean {
  return INLINE_SAFE.test(contentType) && !/\+xml\b/i.test(contentType);
}

/**
 * Formats a `Content-Disposition` header: an ASCII `filename` plus `filename*=UTF-8''…` when
 * the name is not plain ASCII. Never throws, never lets CR/LF or quotes break the header.
 *
 * @example
 * contentDisposition('Morning Show – 2026-11-29.mp3', 'attachment')
 * // attachment; filename="Morning Show _ 2026-11-29.mp3"; filename*=UTF-8''Morning%20Show%20%E2%80%93%202026-11-29.mp3
 */
export function contentDisposition(filename: string, type: DispositionType): string {
  const name = safeFilename(filename);
  return formatDisposition(name, { type, fallback: asciiFallback(name) });
}
