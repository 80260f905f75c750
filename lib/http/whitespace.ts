/** HTTP optional white space (RFC 9110 5.6.3): SP and HTAB only. */

/**
 * Strips HTTP optional white space: SP and HTAB only, never NBSP or other Unicode spaces (a
 * header padded with those is malformed, not trimmed into a valid one).
 *
 * @example
 * trimOws(' \t"abc" '); // '"abc"'
 */
export function trimOws(s: string): string {
  return s.replace(/^[ \t]+|[ \t]+$/g, '');
}
