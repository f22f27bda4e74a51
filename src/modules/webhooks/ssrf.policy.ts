import { BlockList, isIP } from 'node:net';

// Where a webhook may point (SPEC §10), as pure functions, so a table of cases tests them.
//
// At creation the URL alone decides: https only, no credentials, never a literal loopback, private,
// link-local, unspecified (or other non-public) address, never `localhost` or `*.localhost`. At
// delivery the resolved addresses decide as well (a public name may resolve to a private address,
// or start to: DNS rebinding), and the connection goes to the address that was checked. Hosts in
// WEBHOOK_ALLOWED_HOSTS (`host[:port]`) skip the address checks and may use plain http: tests and
// private deployments call a local receiver that way.

const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata lives here)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  BLOCKED.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
  ['2001:db8::', 32], // documentation
  ['100::', 64], // discard
] as const) {
  BLOCKED.addSubnet(net, prefix, 'ipv6');
}

/** The IPv4 address an IPv6 one carries (::ffff:a.b.c.d mapped, 64:ff9b::/96 NAT64, ::a.b.c.d compatible). */
function embeddedIpv4(ip: string): string | undefined {
  const groups = expandIpv6(ip);
  if (!groups) return undefined;
  const zeros = (n: number) => groups.slice(0, n).every((g) => g === 0);
  const mapped = zeros(5) && groups[5] === 0xffff;
  const nat64 = groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((g) => g === 0);
  const compatible = zeros(6) && (groups[6] !== 0 || (groups[7] ?? 0) > 1);
  if (!mapped && !nat64 && !compatible) return undefined;
  const hi = groups[6] ?? 0;
  const lo = groups[7] ?? 0;
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
}

/** Eight 16-bit groups, or undefined when not an IPv6 address. */
function expandIpv6(ip: string): number[] | undefined {
  let text = ip.toLowerCase().replace(/%.*$/, '');
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const p = dotted[1].split('.').map(Number);
    text = `${text.slice(0, -dotted[1].length)}${(((p[0] ?? 0) << 8) | (p[1] ?? 0)).toString(16)}:${(((p[2] ?? 0) << 8) | (p[3] ?? 0)).toString(16)}`;
  }
  const [head, tail, ...rest] = text.split('::');
  if (rest.length > 0) return undefined;
  const part = (s: string | undefined) => (s ? s.split(':').map((g) => Number.parseInt(g, 16)) : []);
  const a = part(head);
  const b = part(tail);
  const fill = tail === undefined ? 0 : 8 - a.length - b.length;
  const groups = [...a, ...Array<number>(Math.max(0, fill)).fill(0), ...b];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff)
    ? groups
    : undefined;
}

/** Is this IP address one a webhook must never reach (loopback, private, link-local, unspecified, …)? */
export function isForbiddenAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return BLOCKED.check(ip, 'ipv4');
  if (family !== 6) return true;
  const v4 = embeddedIpv4(ip);
  if (v4 !== undefined) return BLOCKED.check(v4, 'ipv4');
  return BLOCKED.check(ip, 'ipv6');
}

/** A name that is loopback by definition (RFC 6761): never resolved, never called. */
export const isLoopbackName = (host: string): boolean => {
  const h = host.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost');
};

const defaultPort = (url: URL) => url.port || (url.protocol === 'https:' ? '443' : '80');

/** Does WEBHOOK_ALLOWED_HOSTS name this URL's host (and, when the entry has one, its port)? */
export function isAllowedHost(url: URL, allowed: readonly string[]): boolean {
  const host = url.hostname.toLowerCase();
  const port = defaultPort(url);
  return allowed.some((entry) => {
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry);
    return m !== null && m[1] === host && (m[2] === undefined || m[2] === port);
  });
}

export type UrlVerdict = { ok: true; url: URL; allowedHost: boolean } | { ok: false; reason: string };

/** The creation-time check (and the first half of the delivery-time one): the URL on its own. */
export function checkWebhookUrl(text: string, allowed: readonly string[]): UrlVerdict {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: 'not a URL' };
  }
  if (url.username || url.password) return { ok: false, reason: 'credentials in the URL' };
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: 'not https' };
  if (isAllowedHost(url, allowed)) return { ok: true, url, allowedHost: true };
  if (url.protocol !== 'https:') return { ok: false, reason: 'not https' };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isLoopbackName(host)) return { ok: false, reason: 'a loopback name' };
  if (isIP(host) !== 0 && isForbiddenAddress(host)) return { ok: false, reason: 'a non-public address' };
  return { ok: true, url, allowedHost: false };
}

/**
 * The delivery-time check on what the name resolved to: an allowed host may go anywhere; any other
 * is refused when one of its addresses is not public (the connection then goes to the first one).
 */
export function pickAddress(
  verdict: { allowedHost: boolean },
  addresses: readonly { address: string; family: number }[],
): { address: string; family: number } | undefined {
  if (addresses.length === 0) return undefined;
  if (!verdict.allowedHost && addresses.some((a) => isForbiddenAddress(a.address))) return undefined;
  return addresses[0];
}
