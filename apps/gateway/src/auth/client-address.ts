// Which "client" a source address is for rate limiting. Every loopback address is one client: Linux routes all of
// 127.0.0.0/8 (16 million addresses) to the machine, so counting them apart would let one local process multiply
// its allowance. An IPv6 client is its /64, the smallest block a host is given. IPv4-mapped IPv6 is its IPv4.
import { isIPv4, isIPv6 } from 'node:net';

export const LOOPBACK_CLIENT = 'loopback';

export function rateLimitClient(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address)?.[1];
  const ip = mapped ?? address;
  if (isIPv4(ip)) return ip.startsWith('127.') ? LOOPBACK_CLIENT : ip;
  if (!isIPv6(ip)) return ip;
  const groups = expandIPv6(ip);
  if (groups.slice(0, 7).every((group) => group === 0) && groups[7] === 1) return LOOPBACK_CLIENT;
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address (zone id dropped; an embedded IPv4 tail as two groups). */
function expandIPv6(address: string): number[] {
  let text = address.split('%')[0]!.toLowerCase();
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(missing).fill('0'), ...right].map((group) => parseInt(group, 16));
}
