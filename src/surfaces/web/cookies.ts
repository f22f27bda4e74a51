import type { FastifyReply, FastifyRequest } from 'fastify';

// Two cookies: the session (names a server-side row) and the sign-in in progress (sealed, short-lived,
// only sent to the callback). httpOnly, SameSite=Lax (the provider's redirect back is a top-level GET,
// which Lax lets through; a cross-site POST carries neither), Secure behind https, where the
// `__Host-` prefix also pins the session cookie to this host and path `/`.

export interface CookieNames {
  session: string;
  pending: string;
  secure: boolean;
}

export function cookieNames(publicUrl: string): CookieNames {
  const secure = new URL(publicUrl).protocol === 'https:';
  return {
    secure,
    session: secure ? '__Host-admit_session' : 'admit_session',
    pending: secure ? '__Secure-admit_signin' : 'admit_signin',
  };
}

export function readCookie(req: FastifyRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** Appends one Set-Cookie; `maxAge` 0 deletes it. Values are base64url/sealed text: no escaping needed. */
export function setCookie(
  reply: FastifyReply,
  names: CookieNames,
  name: string,
  value: string,
  opts: { maxAge: number; path: string },
): void {
  const attrs = [
    `${name}=${value}`,
    `Path=${opts.path}`,
    `Max-Age=${opts.maxAge}`,
    'HttpOnly',
    'SameSite=Lax',
    ...(names.secure ? ['Secure'] : []),
  ];
  const prior = reply.getHeader('set-cookie');
  const list = Array.isArray(prior) ? prior : prior === undefined ? [] : [String(prior)];
  reply.header('set-cookie', [...list, attrs.join('; ')]);
}
