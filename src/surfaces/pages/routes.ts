import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { escapeHtml, HTML_HEADERS, htmlPage } from '../../http/html.js';
import type { PageView } from '../../modules/invitations/respond.service.js';
import type { SurfaceContext } from '../context.js';

// GET /invite/:token — the page every invitation email links to. Read-only (mail scanners prefetch
// links): it previews the invitation and says what to do next. Token states (unknown, expired, used)
// are AppErrors rendered as friendly HTML pages by the error handler (src/http/html.ts). The sign-in
// and accept buttons come with the invitation page issue.

const e = escapeHtml;

function invitationHtml(v: PageView, token: string, publicUrl: string): string {
  const inviter = v.inviter.name ?? v.inviter.email ?? 'An administrator';
  const expires = new Date(v.expireAt);
  const acceptUrl = `${publicUrl}/api/v1/invitations/${token}/accept`;
  const declineUrl = `${publicUrl}/api/v1/invitations/${token}/decline`;
  const rows: [string, string][] = [
    ['Organization', v.organization.name],
    ['Invited by', inviter],
    ['Role', v.role.name],
    ...(v.workspace ? ([['Workspace', v.workspace.name]] as [string, string][]) : []),
    ['Invitation for', v.email],
  ];
  return (
    `<h1>${e(inviter)} invited you to join ${e(v.organization.name)}</h1>` +
    `<dl>${rows.map(([k, val]) => `<dt>${e(k)}</dt><dd>${e(val)}</dd>`).join('')}` +
    `<dt>Expires</dt><dd><time datetime="${e(expires.toISOString())}">${e(expires.toUTCString())}</time></dd></dl>` +
    '<h2>What to do next</h2>' +
    `<p>Sign in with <strong>${e(v.email)}</strong> (the address this invitation was sent to) and accept it. ` +
    'Only an account with that verified email address can accept.</p>' +
    '<p>With an access token for that account, accept from a terminal:</p>' +
    `<pre>curl -X POST -H "Authorization: Bearer $ACCESS_TOKEN" ${e(acceptUrl)}</pre>` +
    `<p>or decline it:</p><pre>curl -X POST -H "Authorization: Bearer $ACCESS_TOKEN" ${e(declineUrl)}</pre>` +
    '<p>If you did not expect this invitation, you can ignore it; it expires on its own. ' +
    'Keep this link private: anyone who has it can see this invitation.</p>'
  );
}

export const pageRoutes =
  (ctx: SurfaceContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/invite/:token',
      {
        schema: { hide: true, params: Type.Object({ token: Type.String({ maxLength: 200 }) }) },
        config: ctx.publicRateLimit ? { rateLimit: ctx.publicRateLimit } : {},
      },
      async (req, reply) => {
        const view = await ctx.respond.pageView(req.params.token);
        const title = `Invitation to ${view.organization.name}`;
        return reply
          .headers(HTML_HEADERS)
          .send(htmlPage(title, invitationHtml(view, req.params.token, ctx.publicUrl)));
      },
    );
  };
