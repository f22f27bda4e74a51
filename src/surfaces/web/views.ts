import { escapeHtml as e } from '../../http/html.js';
import type { WebView } from '../../modules/invitations/respond.service.js';

// The invitation page's HTML: plain forms and links, no script. Headings in order, every control a
// real <button> or <a> with visible text, so keyboard focus follows reading order.

/** Who is looking at the page. */
export type Viewer =
  | { kind: 'unconfigured' }
  | { kind: 'anonymous' }
  | { kind: 'signed-in'; email: string | null; emailVerified: boolean; csrf: string };

const MONTHS = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ');
const pad = (n: number) => String(n).padStart(2, '0');

function utc(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}, ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

/** Only https images may load (the CSP says so too); anything else is simply not shown. */
function httpsImage(url: string | null, alt: string): string {
  if (!url || !/^https:\/\/[^\s"'<>]+$/.test(url)) return '';
  return `<img src="${e(url)}" alt="${e(alt)}" width="48" height="48">`;
}

export const inviterName = (v: WebView): string => v.inviter.name ?? v.inviter.email ?? 'An administrator';

function facts(v: WebView): string {
  const members = v.memberCount === 1 ? '1 member' : `${v.memberCount} members`;
  const rows: [string, string][] = [
    ['Organization', `${e(v.organization.name)} <span class="muted">(${members})</span>`],
    ['Invited by', `<span class="inviter">${httpsImage(v.inviter.avatarUrl, '')}${e(inviterName(v))}</span>`],
    ['Role', e(v.role.name)],
    ...(v.workspace ? ([['Workspace', e(v.workspace.name)]] as [string, string][]) : []),
    ['Invitation for', e(v.email)],
    ['Expires', `<time datetime="${new Date(v.expireAt).toISOString()}">${utc(v.expireAt)}</time>`],
  ];
  return `<dl>${rows.map(([k, val]) => `<dt>${k}</dt><dd>${val}</dd>`).join('')}</dl>`;
}

const hidden = (name: string, value: string) => `<input type="hidden" name="${name}" value="${e(value)}">`;

function signOutForm(csrf: string, returnTo: string, label: string, switchAccount: boolean): string {
  return (
    `<form method="post" action="/auth/sign-out">${hidden('csrf', csrf)}${hidden('return_to', returnTo)}` +
    `${switchAccount ? hidden('switch', '1') : ''}` +
    `<button type="submit" class="${switchAccount ? 'primary' : 'link'}">${label}</button></form>`
  );
}

function actions(v: WebView, token: string, viewer: Viewer): string {
  const here = `/invite/${token}`;
  if (viewer.kind === 'unconfigured') {
    return (
      '<h2>Sign-in is not configured</h2>' +
      '<p class="notice">This server has no sign-in set up yet, so the invitation cannot be accepted here. ' +
      'Tell the person who invited you; the invitation stays valid until it expires.</p>'
    );
  }
  if (viewer.kind === 'anonymous') {
    return (
      '<h2>Sign in to accept</h2>' +
      `<p>Sign in with <strong>${e(v.email)}</strong>, the address this invitation was sent to. ` +
      'You can accept or decline after signing in.</p>' +
      `<p class="actions"><a class="button primary" href="/auth/sign-in?return_to=${encodeURIComponent(here)}">Sign in to accept</a></p>`
    );
  }
  const you = viewer.email ?? 'an account without an email address';
  if (!viewer.emailVerified || viewer.email !== v.email) {
    return (
      '<h2>This invitation is for another address</h2>' +
      `<p class="notice">This invitation was sent to <strong>${e(v.email)}</strong>, but you are signed in as ` +
      `<strong>${e(you)}</strong>${viewer.email === v.email ? ' (not verified by your sign-in provider)' : ''}. ` +
      'Sign out and sign in with the invited address to accept it. The invitation stays open.</p>' +
      `<div class="actions">${signOutForm(viewer.csrf, here, 'Sign out and switch account', true)}</div>`
    );
  }
  const form = (what: 'accept' | 'decline', label: string, cls: string) =>
    `<form method="post" action="${here}/${what}">${hidden('csrf', viewer.csrf)}` +
    `<button type="submit" class="${cls}">${label}</button></form>`;
  return (
    `<h2>Join ${e(v.organization.name)}?</h2>` +
    `<div class="actions">${form('accept', 'Accept invitation', 'primary')}${form('decline', 'Decline', 'secondary')}</div>` +
    `<div class="session"><span class="muted">Signed in as ${e(you)}.</span>${signOutForm(viewer.csrf, here, 'Sign out', false)}</div>`
  );
}

export function invitationBody(v: WebView, token: string, viewer: Viewer): string {
  const logo = httpsImage(v.organization.logoUrl, `${v.organization.name} logo`);
  return (
    `<div class="org">${logo}<span>${e(v.organization.name)}</span></div>` +
    `<h1>${e(inviterName(v))} invited you to join ${e(v.organization.name)}</h1>` +
    facts(v) +
    actions(v, token, viewer) +
    '<p class="muted">Did not expect this? Ignore it; it expires on its own. ' +
    'Keep this link private: anyone who has it can see this invitation.</p>'
  );
}

export function joinedBody(organizationName: string, appUrl: string): string {
  return (
    `<h1>You joined ${e(organizationName)}</h1>` +
    `<p class="success">Your membership is active. Welcome aboard.</p>` +
    `<p class="actions"><a class="button primary" href="${e(appUrl)}">Continue to ${e(organizationName)}</a></p>`
  );
}

export function declinedBody(organizationName: string): string {
  return (
    `<h1>You declined the invitation to ${e(organizationName)}</h1>` +
    '<p>Nothing else happens: you did not join, and the link no longer works. ' +
    'If this was a mistake, ask the person who invited you to send a new invitation.</p>'
  );
}
