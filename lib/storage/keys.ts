/** Storage keys: relative, slash-separated paths that cannot climb out of a root or prefix. */

const MAX_KEY_LENGTH = 1024;

/**
 * Returns the key's segments when it is a safe relative path, or `null`. Rejected: empty keys,
 * absolute paths, `.` and `..` segments, empty segments (`a//b`), backslashes, NUL and other
 * control characters, and keys over 1,024 characters. Keys are taken literally: `%2e%2e` is a
 * file named `%2e%2e`, never a parent directory.
 *
 * @example
 * keySegments('shows/2026/morning.mp3') // ['shows', '2026', 'morning.mp3']
 * keySegments('../etc/passwd')          // null
 */
export function keySegments(key: string): string[] | null {
  if (typeof key !== 'string' || key === '' || key.length > MAX_KEY_LENGTH) return null;
  if (/[\u0000-\u001f\u007f\\]/.test(key)) return null;
  const segments = key.split('/');
  for (const s of segments) if (s === '' || s === '.' || s === '..') return null;
  return segments;
}

/**
 * Percent-encodes every path segment so that spaces, `%`, `?`, `#`, `;`, quotes and non-ASCII
 * survive a URI (nginx decodes an X-Accel-Redirect value once; S3 decodes a request path once).
 *
 * @example
 * encodePath(['my show', '100% live?.mp3']) // 'my%20show/100%25%20live%3F.mp3'
 */
export function encodePath(segments: readonly string[]): string {
  return segments.map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())).join('/');
}
