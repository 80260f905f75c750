/**
 * The public enclosure route's headers: podcast apps and web players on other origins may read
 * the file (CORS, CORP), and no cookie is ever set on it.
 */
import type { ServerResponse } from 'node:http';

/**
 * Sets the cross-origin headers and refuses every `Set-Cookie`, including those a host session
 * middleware mounted before the router adds when the headers are written.
 *
 * @example
 * publicHeaders(res); // Access-Control-Allow-Origin: *, Cross-Origin-Resource-Policy: cross-origin, no Set-Cookie
 */
export function publicHeaders(res: ServerResponse): void {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Expose-Headers', 'Content-Length, Content-Range, Accept-Ranges, ETag, Last-Modified, X-Request-Id');
  res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
  // Drop any cookie already set, and refuse the ones added later (a session middleware's
  // on-headers hook runs after ours, so removing them in a hook of our own would be too early).
  res.removeHeader('Set-Cookie');
  const setHeader = res.setHeader.bind(res);
  res.setHeader = (name, value) => (String(name).toLowerCase() === 'set-cookie' ? res : setHeader(name, value));
  const appendHeader = res.appendHeader.bind(res);
  res.appendHeader = (name, value) => (String(name).toLowerCase() === 'set-cookie' ? res : appendHeader(name, value));
}

/**
 * Answers a CORS preflight for the public route: `204` with the methods and request headers a
 * player may use.
 *
 * @example
 * if (req.method === 'OPTIONS') return sendPreflight(res);
 */
export function sendPreflight(res: ServerResponse): void {
  res.writeHead(204, {
    'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
    'Access-Control-Allow-Headers': 'Range, If-Range, If-None-Match, If-Modified-Since',
    'Access-Control-Max-Age': '86400',
  });
  res.end();
}
