import type { FastifyRequest } from 'fastify';

// Loopback-only endpoints (the dev mailbox; GET /metrics without a token): a request counts as local only when the
// socket's peer is a loopback address, the Host header names a loopback host, and no proxy header is
// present. The peer alone is not enough: a reverse proxy on the same machine connects from loopback on
// behalf of anyone (it adds X-Forwarded-* or Forwarded), and a web page that rebinds its own DNS name
// to 127.0.0.1 reaches the socket from the user's browser with its own name in Host.

const LOOPBACK_V4 = /^127(\.\d{1,3}){3}$/;

/** 127.0.0.0/8, ::1, and IPv4 loopback as an IPv4-mapped IPv6 address. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.toLowerCase();
  return a === '::1' || LOOPBACK_V4.test(a) || (a.startsWith('::ffff:') && LOOPBACK_V4.test(a.slice(7)));
}

/** A Host header (name or address, optional port) that names this machine's loopback. */
export function isLoopbackHostHeader(host: string | undefined): boolean {
  if (!host) return false;
  const h = host.trim().toLowerCase();
  // [::1] or [::1]:port; otherwise name:port or address:port
  const name = h.startsWith('[') ? h.slice(1, h.indexOf(']')) : h.replace(/:\d*$/, '');
  // *.localhost resolves to loopback in browsers without asking DNS (RFC 6761), so it cannot be rebound
  return name === 'localhost' || name.endsWith('.localhost') || isLoopbackAddress(name);
}

/** A listen address (HOST) or host name on this machine's loopback. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  return h === 'localhost' || isLoopbackAddress(h);
}

function proxied(req: FastifyRequest): boolean {
  for (const name of Object.keys(req.headers)) {
    if (name === 'forwarded' || name.startsWith('x-forwarded-')) return true;
  }
  return false;
}

/** The request comes straight from this machine: loopback peer, loopback Host, no proxy headers. */
export function isLocalRequest(req: FastifyRequest): boolean {
  return (
    isLoopbackAddress(req.raw.socket.remoteAddress) && isLoopbackHostHeader(req.headers.host) && !proxied(req)
  );
}
