import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { commonErrors } from '../../errors.js';
import { htmlHeaders, htmlPage } from '../../http/html.js';
import type { SessionsService, WebSession } from '../../modules/sessions/sessions.service.js';
import type { UsersService } from '../../modules/users/users.service.js';
import type { OidcClient } from '../../platform/auth/oidc-client.js';
import type { SurfaceContext } from '../context.js';
import { assetRoutes } from './assets.js';
import { authRoutes } from './auth-routes.js';
import { cookieNames, readCookie } from './cookies.js';
import { sameOrigin } from './guard.js';
import { declinedBody, invitationBody, joinedBody, type Viewer } from './views.js';
import { webErrors } from './web.errors.js';

// The invitation page (issue 14). GET /invite/:token is read-only (mail scanners prefetch links):
// it previews the invitation and offers sign-in, or — signed in with the invited address — accept
// and decline forms. The forms POST with a synchronizer token bound to the server-side session,
// after a same-origin check; accept and decline go through the users service (session identity →
// Principal) and the same respond service as the API. Token states (unknown 404; expired, revoked,
// declined, accepted 410) are AppErrors rendered as their own pages by the error handler.

export interface WebDeps {
  users: UsersService;
  sessions: SessionsService;
  /** undefined when sign-in is not configured (external mode without AUTH_CLIENT_ID) */
  oidc: OidcClient | undefined;
  /** the issuer users are keyed by: PUBLIC_URL (built-in) or AUTH_ISSUER (external) */
  issuer: string;
}

const TokenParams = Type.Object({ token: Type.String({ maxLength: 200 }) });
const FORM_LIMIT = 4 * 1024;

export const webRoutes =
  (ctx: SurfaceContext, deps: WebDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const names = cookieNames(ctx.publicUrl);
    const publicOrigin = new URL(ctx.publicUrl).origin;
    // forms post to Admit; the switch-account form's redirects end at the issuer (CSP form-action)
    const headers = htmlHeaders(["'self'", ...(deps.oidc ? [deps.oidc.issuerOrigin] : [])]);
    const rateLimit = (): { rateLimit?: { max: number; timeWindow: number } } =>
      ctx.publicRateLimit ? { rateLimit: ctx.publicRateLimit } : {};

    // HTML forms only in this plugin's scope; the JSON APIs keep refusing other content types
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: FORM_LIMIT },
      (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );

    const session = (req: FastifyRequest): Promise<WebSession | undefined> =>
      deps.sessions.find(readCookie(req, names.session));

    /** Origin, then a live session, then its form token: anything else is refused before any change. */
    async function formSession(req: FastifyRequest): Promise<WebSession> {
      if (!sameOrigin(req, publicOrigin)) throw webErrors.csrf();
      const s = await session(req);
      if (!s) throw commonErrors.unauthorized('Your session has ended; sign in again.');
      if (!deps.sessions.csrfMatches(s, (req.body as Record<string, unknown> | undefined)?.csrf))
        throw webErrors.csrf();
      return s;
    }

    const send = (reply: FastifyReply, title: string, body: string) =>
      reply.headers(headers).send(htmlPage(title, body));

    app.get(
      '/invite/:token',
      { schema: { hide: true, params: TokenParams }, config: rateLimit() },
      async (req, reply) => {
        const view = await ctx.respond.webView(req.params.token);
        let viewer: Viewer = { kind: 'unconfigured' };
        if (deps.oidc) {
          const s = await session(req);
          viewer = s
            ? {
                kind: 'signed-in',
                email: s.identity.email,
                emailVerified: s.identity.emailVerified,
                csrf: s.csrfToken,
              }
            : { kind: 'anonymous' };
        }
        return send(
          reply,
          `Invitation to ${view.organization.name}`,
          invitationBody(view, req.params.token, viewer),
        );
      },
    );

    for (const what of ['accept', 'decline'] as const) {
      app.post(
        `/invite/:token/${what}`,
        { schema: { hide: true, params: TokenParams }, config: rateLimit() },
        async (req, reply) => {
          const s = await formSession(req);
          const who = () => deps.users.principalFor(s.identity);
          // read first for the organization's name (and the 404/410 pages); the write re-checks everything
          const view = await ctx.respond.webView(req.params.token);
          if (what === 'accept') {
            await ctx.respond.acceptByToken(req.params.token, who);
            return send(
              reply,
              `You joined ${view.organization.name}`,
              joinedBody(view.organization.name, ctx.appUrl),
            );
          }
          await ctx.respond.declineByToken(req.params.token, who);
          return send(reply, 'Invitation declined', declinedBody(view.organization.name));
        },
      );
    }

    await app.register(assetRoutes);
    await app.register(authRoutes(ctx, deps, names));
  };
