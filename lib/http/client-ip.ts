/**
 * Client identity by address: the key under which per-client limits and listener counts are
 * kept. IPv6 clients are keyed by their /64, since one subscriber gets a whole /64 and could
 * otherwise take a fresh identity per address.
 */
import { BlockList, isIP } from 'node:net';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * Truncates a client IP for listener identity (§5.5.4 "Working with IPv6 Addresses", §6.2): IPv4 as is,
 * IPv4-mapped IPv6 (`::ffff:a.b.c.d`, or in hex) to IPv4, other IPv6 to its /64: the first four hextets
 * (`::` expanded, lowercase, no leading zeros) and `::/64`. Drops brackets and `%zone`; a non-IP is trimmed.
 * @example
 * truncateIp('2001:DB8::8a2e:370:7334'); // '2001:db8:0:0::/64'
 * truncateIp('::ffff:203.0.113.5');      // '203.0.113.5'
 */
export function truncateIp(ip: string): string {
  const bare = ip
    .trim()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/%.*$/, '')
    .toLowerCase();
  const version = isIP(bare);
  if (version !== 6) return version === 4 ? bare : ip.trim();
  let text = bare;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text); // a trailing dotted quad is two hextets
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [left = [], right = []] = text.split('::').map((half) => (half === '' ? [] : half.split(':')));
  const g = [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right].map((h) => parseInt(h, 16));
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    const [hi = 0, lo = 0] = g.slice(6);
    return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
  }
  return `${g
    .slice(0, 4)
    .map((x) => x.toString(16))
    .join(':')}::/64`;
}

/**
 * True for loopback addresses (127.0.0.0/8, `::1`, IPv4-mapped 127.x): the same machine, either
 * a local tool or a reverse proxy whose `trust proxy` setting is missing.
 *
 * @example
 * isLoopback('::ffff:127.0.0.1'); // true
 * isLoopback('203.0.113.5');      // false
 */
export function isLoopback(ip: string): boolean {
  if (isIP(ip) === 4) return ip.startsWith('127.'); // the common case, without building a SocketAddress
  const bare = ip
    .trim()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/%.*$/, '');
  const v4 = truncateIp(bare); // IPv4-mapped IPv6 becomes dotted IPv4
  if (isIP(v4) === 4) return LOOPBACK.check(v4, 'ipv4');
  return isIP(bare) === 6 && LOOPBACK.check(bare, 'ipv6');
}
