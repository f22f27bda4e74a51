import type { AppError } from '../errors.js';

// Server-rendered HTML shared by the invitation page and the HTML error pages: one layout, one
// escaping function, one set of headers. Every admin-controlled string goes through escapeHtml.

export const escapeHtml = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** The one stylesheet every HTML page links (served by the pages surface); no inline style anywhere. */
export const STYLESHEET_PATH = '/assets/admit.css';

/**
 * Headers of every HTML page: a token may be in the URL, so no caching and no Referer; no script at
 * all, styles only from Admit itself, images only over https (logos and avatars live elsewhere).
 * `form-action` lists where a form and the redirects after it may go (Chrome applies it to the whole
 * redirect chain): Admit itself, plus the sign-in issuer on pages whose form leads there.
 */
export function htmlHeaders(formAction: readonly string[] = []): Record<string, string> {
  const actions = formAction.length === 0 ? "'none'" : formAction.join(' ');
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'content-security-policy': `default-src 'none'; style-src 'self'; img-src https:; form-action ${actions}; frame-ancestors 'none'; base-uri 'none'`,
  };
}

export const HTML_HEADERS: Record<string, string> = htmlHeaders();

/** A whole page; `title` is escaped here, `bodyHtml` must already be safe. */
export function htmlPage(title: string, bodyHtml: string, opts: { wide?: boolean } = {}): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title>` +
    `<link rel="stylesheet" href="${STYLESHEET_PATH}"></head><body><main${opts.wide ? ' class="wide"' : ''}>${bodyHtml}</main></body></html>`
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
  email_mismatch: {
    title: 'This invitation is for another address',
    text: 'You are signed in with a different email address. Go back to the invitation, sign out and sign in with the address it was sent to.',
  },
  unauthorized: {
    title: 'Sign in first',
    text: 'Your session has ended. Go back to the invitation and sign in again.',
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
