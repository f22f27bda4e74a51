import type { RenderedMail } from './render.js';
import { escapeHtml } from './render.js';

// The built-in provider's sign-in code mail (src/oauth/sign-in.ts queues it). Pure, like render.ts.

/** How long a mailed code stays valid; a mail that could not go out within it is not sent. */
export const SIGN_IN_CODE_TTL_MS = 10 * 60_000;

export function renderSignInCodeEmail(f: { code: string; publicUrl: string }): RenderedMail {
  const host = new URL(f.publicUrl).host;
  const subject = `Your Admit sign-in code: ${f.code}`;
  const text = [
    `Your code to sign in to Admit (${host}) is:`,
    '',
    `    ${f.code}`,
    '',
    'It is valid for 10 minutes and works once.',
    '',
    "If you didn't try to sign in, you can ignore this email: nobody can sign in without the code.",
    '',
  ].join('\n');
  const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(subject)}</title></head>
<body style="font-family: system-ui, sans-serif; line-height: 1.5; color: #1a1a1a;">
<p>Your code to sign in to Admit (${escapeHtml(host)}) is:</p>
<p style="font-size: 1.6em; font-weight: bold; letter-spacing: 0.15em;">${escapeHtml(f.code)}</p>
<p>It is valid for 10 minutes and works once.</p>
<p style="color: #666; font-size: 0.9em;">If you didn't try to sign in, you can ignore this email: nobody can sign in without the code.</p>
</body>
</html>
`;
  return { subject, text, html };
}
