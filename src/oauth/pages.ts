import type { KoaContextWithOIDC } from 'oidc-provider';
import { escapeHtml, htmlHeaders, htmlPage } from '../http/html.js';

// The provider's HTML: the sign-in steps (email, then the mailed code), its error page and the
// sign-out confirmation. Server-rendered forms, no script at all; the page shell is the invitation
// page's (src/http/html.ts). Forms post to Admit itself; after the last step the browser is
// redirected on to the client, so form-action also names the client's redirect origin.

const h = escapeHtml;

/** HTML_HEADERS with form-action opened to Admit and the given origins. */
export function signInPageHeaders(publicUrl: string, extraOrigins: string[] = []): Record<string, string> {
  return htmlHeaders(["'self'", ...new Set([new URL(publicUrl).origin, ...extraOrigins])]);
}

/**
 * Set on every response the provider itself writes, before it runs: the pages it renders from its own
 * templates (the self-submitting form of a sign-out or a `form_post` response, a redirect's body) get
 * the security headers of Admit's pages. oidc-provider appends the hash of its one inline script to
 * `script-src` (its sanctioned way), which lists nothing else: 'report-sample' allows no script by
 * itself. No form-action: a `form_post` response posts to the client's redirect URI, whatever its
 * origin. Admit's own pages (below) replace these with their own.
 */
export const PROVIDER_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'report-sample'; style-src 'self'; img-src https:; frame-ancestors 'none'; base-uri 'none'",
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

// the form fields are styled by the one stylesheet (/assets/admit.css): the CSP allows no inline style

function errorLine(error: string | undefined): string {
  return error ? `<p class="error" role="alert">${h(error)}</p>` : '';
}

export function emailStep(opts: { uid: string; clientName: string; error?: string; email?: string }): string {
  return htmlPage(
    'Sign in',
    `<h1>Sign in</h1><p>to continue to ${h(opts.clientName)}. We will email you a one-time code.</p>` +
      errorLine(opts.error) +
      `<form method="post" action="/oauth/interaction/${h(opts.uid)}/email">` +
      `<label for="email">Email address</label>` +
      `<input id="email" name="email" type="email" autocomplete="email" required autofocus value="${h(opts.email ?? '')}">` +
      `<button type="submit" class="primary">Email me a code</button></form>`,
  );
}

export function codeStep(opts: { uid: string; email: string; error?: string }): string {
  return htmlPage(
    'Enter your code',
    `<h1>Check your email</h1><p>We sent a sign-in code to <strong>${h(opts.email)}</strong>. ` +
      'It is valid for 10 minutes.</p>' +
      errorLine(opts.error) +
      `<form method="post" action="/oauth/interaction/${h(opts.uid)}/code">` +
      `<label for="code">Sign-in code</label>` +
      `<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" required autofocus>` +
      `<button type="submit" class="primary">Sign in</button></form>` +
      `<p class="muted"><a href="/oauth/interaction/${h(opts.uid)}?restart=1">Use a different address or send a new code</a></p>`,
  );
}

export function messagePage(title: string, text: string): string {
  return htmlPage(title, `<h1>${h(title)}</h1><p>${h(text)}</p>`);
}

function send(ctx: KoaContextWithOIDC, status: number, body: string, origins: string[] = []): void {
  ctx.status = status;
  for (const [k, v] of Object.entries(signInPageHeaders(ctx.oidc.issuer, origins))) ctx.set(k, v);
  ctx.body = body;
}

/** oidc-provider's error page (only errors it cannot send back to the client's redirect URI). */
export async function renderProviderError(
  ctx: KoaContextWithOIDC,
  out: { error: string; error_description?: string | undefined },
): Promise<void> {
  send(
    ctx,
    ctx.status >= 400 ? ctx.status : 400,
    messagePage('Sign-in cannot continue', out.error_description ?? out.error),
  );
}

/** Sign-out confirmation: the provider's form (hidden xsrf field) submitted by a plain button. */
export async function renderLogout(ctx: KoaContextWithOIDC, form: string): Promise<void> {
  const target = ctx.oidc.params?.['post_logout_redirect_uri'];
  const origins = typeof target === 'string' && URL.canParse(target) ? [new URL(target).origin] : [];
  send(
    ctx,
    200,
    htmlPage(
      'Sign out',
      `<h1>Sign out?</h1><p>You will be signed out of Admit.</p>${form}` +
        '<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>',
    ),
    origins,
  );
}

export async function renderLogoutDone(ctx: KoaContextWithOIDC): Promise<void> {
  send(ctx, 200, messagePage('Signed out', 'You are signed out of Admit.'));
}
