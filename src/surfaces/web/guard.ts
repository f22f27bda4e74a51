import type { FastifyRequest } from 'fastify';

// Cross-site request checks for the pages' POST forms, and the return_to rule (no open redirect).

/**
 * Defence in depth before the synchronizer token: a browser that says where a POST comes from must
 * say "this site". Sec-Fetch-Site (every current browser) must be same-origin; it decides alone,
 * because under `Referrer-Policy: no-referrer` Chrome sends `Origin: null` even for a same-origin
 * form. Without it, an Origin that names a site must name Admit's public origin. A client that
 * sends neither (curl, an old browser) still needs the session's form token.
 */
export function sameOrigin(req: FastifyRequest, publicOrigin: string): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin';
  const origin = req.headers.origin;
  return origin === undefined || origin === 'null' || origin === publicOrigin;
}

/**
 * A return_to is a path on Admit itself: starts with one `/`, not `//` or `/\` (which browsers read
 * as another host), no control characters or backslashes, and it must resolve to Admit's origin.
 * Answers the normalized path, or undefined.
 */
export function safeReturnTo(value: unknown, publicUrl: string): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > 300) return undefined;
  if (!value.startsWith('/') || value.startsWith('//')) return undefined;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\\\u0000-\u001f\u007f]/.test(value)) return undefined;
  const base = new URL(publicUrl);
  let resolved: URL;
  try {
    resolved = new URL(value, base.origin);
  } catch {
    return undefined;
  }
  if (resolved.origin !== base.origin) return undefined;
  return resolved.pathname + resolved.search;
}
