import type { AppError } from '../errors.js';

// Server-rendered HTML shared by the invitation page and the HTML error pages: one layout, one
// escaping function, one set of headers. Every admin-controlled string goes through escapeHtml.

export const escapeHtml = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

const STYLE =
  'body{font-family:system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1f2328}' +
  'main{max-width:34rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px #0002}' +
  'h1{font-size:1.4rem;margin-top:0}dl{display:grid;grid-template-columns:max-content 1fr;gap:.4rem 1rem}' +
  'dt{color:#57606a}dd{margin:0}pre{background:#f0f2f4;padding:.75rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all}';

/**
 * Headers of every HTML page: a token may be in the URL, so no caching and no Referer; nothing but
 * the inline stylesheet may load or run.
 */
export const HTML_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
};

/** A whole page; `title` is escaped here, `bodyHtml` must already be safe. */
export function htmlPage(title: string, bodyHtml: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title>` +
    `<style>${STYLE}</style></head><body><main>${bodyHtml}</main></body></html>`
  );
}

const ASK = 'Ask the person who invited you to send a new invitation.';

/** Friendly pages for the token states; the unknown-link page is the same for malformed and unknown tokens. */
const FRIENDLY: Record<string, { title: string; text: string }> = {
  invitation_not_found: {
    title: 'This invitation link is not valid',
    text: `The link may be incomplete or mistyped, or the invitation was replaced by a newer one. ${ASK}`,
  },
  invitation_expired: {
    title: 'This invitation has expired',
    text: `Invitations are valid for a limited time. ${ASK}`,
  },
  invitation_accepted: {
    title: 'This invitation has already been used',
    text: 'It was accepted, so the link no longer works. If you accepted it, you are already a member.',
  },
  invitation_declined: {
    title: 'This invitation has already been used',
    text: `It was declined, so the link no longer works. ${ASK}`,
  },
  invitation_revoked: {
    title: 'This invitation was withdrawn',
    text: `An administrator of the organization revoked it, so the link no longer works. ${ASK}`,
  },
};

export function errorPage(e: AppError, statusTitle: string): string {
  const friendly = FRIENDLY[e.code] ?? {
    title: statusTitle,
    text: e.status === 429 ? 'Too many requests from your network. Wait a moment and try again.' : e.message,
  };
  return htmlPage(
    friendly.title,
    `<h1>${escapeHtml(friendly.title)}</h1><p>${escapeHtml(friendly.text)}</p>`,
  );
}
