// The invitation email, HTML and plain text. Pure: the dispatcher gathers the facts and the token.
// Organization, workspace, role and inviter names are admin-controlled: every one is escaped in HTML
// and flattened to a single line everywhere, and the subject cannot carry a line break (no header
// injection even before nodemailer's own encoding).

export interface InvitationMailFacts {
  organizationName: string;
  workspaceName: string | null;
  roleName: string;
  inviterName: string | null;
  inviterEmail: string | null;
  /** epoch ms */
  expireAt: number;
  /** PUBLIC_URL/invite/<token> */
  url: string;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const MAX_NAME = 200;

/** One line: control characters (CR, LF, TAB, NUL, U+2028…) and runs of spaces become one space. */
export function oneLine(text: string, max = MAX_NAME): string {
  const flat = text
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

// built once: constructing a DateTimeFormat per message was 4 % of the server's CPU while creating
const EXPIRY_FORMAT = new Intl.DateTimeFormat('en-US', {
  dateStyle: 'long',
  timeStyle: 'short',
  timeZone: 'UTC',
  hourCycle: 'h23',
});

export function formatExpiry(ms: number): string {
  return `${EXPIRY_FORMAT.format(new Date(ms))} UTC`;
}

export function renderInvitationEmail(f: InvitationMailFacts): RenderedMail {
  const org = oneLine(f.organizationName) || 'an organization';
  const inviter = oneLine(f.inviterName ?? '') || oneLine(f.inviterEmail ?? '') || 'Someone';
  const role = oneLine(f.roleName);
  const workspace = f.workspaceName ? oneLine(f.workspaceName) : '';
  const expires = formatExpiry(f.expireAt);
  const subject = oneLine(`You're invited to join ${org}`, 250);

  const where = workspace ? `${org} (workspace ${workspace})` : org;
  const text = [
    `${inviter} invited you to join ${where} as ${role}.`,
    '',
    'Open this link to accept or decline:',
    f.url,
    '',
    `The invitation expires on ${expires}.`,
    '',
    "If you weren't expecting this invitation, you can ignore this email.",
    '',
  ].join('\n');

  const h = escapeHtml;
  const whereHtml = workspace
    ? `<strong>${h(org)}</strong> (workspace <strong>${h(workspace)}</strong>)`
    : `<strong>${h(org)}</strong>`;
  const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${h(subject)}</title></head>
<body style="font-family: system-ui, sans-serif; line-height: 1.5; color: #1a1a1a;">
<p>${h(inviter)} invited you to join ${whereHtml} as <strong>${h(role)}</strong>.</p>
<p><a href="${h(f.url)}" style="display: inline-block; padding: 10px 18px; background: #2b59c3; color: #fff; text-decoration: none; border-radius: 6px;">View invitation</a></p>
<p>Or paste this link into your browser:<br><a href="${h(f.url)}">${h(f.url)}</a></p>
<p>The invitation expires on ${h(expires)}.</p>
<p style="color: #666; font-size: 0.9em;">If you weren't expecting this invitation, you can ignore this email.</p>
</body>
</html>
`;
  return { subject, text, html };
}
