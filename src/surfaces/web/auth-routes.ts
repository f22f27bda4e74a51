import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { SurfaceContext } from '../context.js';
import { type CookieNames, readCookie, setCookie } from './cookies.js';
import { safeReturnTo, sameOrigin } from './guard.js';
import type { WebDeps } from './routes.js';
import { webErrors } from './web.errors.js';

// Sign-in for the invitation page: GET /auth/sign-in starts an authorization code + PKCE request at
// the issuer, GET /auth/callback finishes it and starts a server-side session, POST /auth/sign-out
// ends it (and revokes its refresh token at the issuer). return_to is always a path on Admit.

const PENDING_PATH = '/auth/callback';
const NO_STORE = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' };

export const authRoutes =
  (ctx: SurfaceContext, deps: WebDeps, names: CookieNames): FastifyPluginAsyncTypebox =>
  async (app) => {
    const publicOrigin = new URL(ctx.publicUrl).origin;

    app.get(
      '/auth/sign-in',
      {
        schema: { hide: true, querystring: Type.Object({ return_to: Type.Optional(Type.String()) }) },
        config: ctx.publicRateLimit ? { rateLimit: ctx.publicRateLimit } : {},
      },
      async (req, reply) => {
        const oidc = deps.oidc;
        if (!oidc) throw webErrors.signInNotConfigured();
        const returnTo = safeReturnTo(req.query.return_to, ctx.publicUrl);
        if (!returnTo) throw webErrors.invalidReturnTo();
        let started: Awaited<ReturnType<typeof oidc.start>>;
        try {
          started = await oidc.start();
        } catch (err) {
          throw webErrors.providerUnavailable(err);
        }
        const { url, ...checks } = started;
        setCookie(reply, names, names.pending, deps.sessions.sealPending({ ...checks, returnTo }), {
          maxAge: 600,
          path: PENDING_PATH,
        });
        return reply.code(303).headers(NO_STORE).header('location', url).send();
      },
    );

    app.get(
      '/auth/callback',
      { schema: { hide: true, querystring: Type.Record(Type.String(), Type.String()) } },
      async (req, reply) => {
        const oidc = deps.oidc;
        if (!oidc) throw webErrors.signInNotConfigured();
        const pending = deps.sessions.openPending(readCookie(req, names.pending));
        setCookie(reply, names, names.pending, '', { maxAge: 0, path: PENDING_PATH });
        reply.headers(NO_STORE);
        if (!pending) throw webErrors.signInFailed();
        // cancelled at the provider (access_denied, login_required, …): back to the invitation, still pending
        if (req.query.error) return reply.code(303).header('location', pending.returnTo).send();
        let result: Awaited<ReturnType<typeof oidc.finish>>;
        try {
          result = await oidc.finish(new URL(req.url, ctx.publicUrl), pending);
        } catch (err) {
          req.log.warn(
            { err: { name: (err as Error).name, message: (err as Error).message } },
            'sign-in failed',
          );
          throw webErrors.signInFailed();
        }
        const identity = deps.sessions.identityFromClaims(deps.issuer, result.claims);
        if (!identity) throw webErrors.signInFailed();
        // provisions the user exactly as an API call with this identity would
        const principal = await deps.users.principalFor(identity);
        // a new cookie value at every sign-in (no session fixation); the previous session ends
        await deps.sessions.end(readCookie(req, names.session));
        const started = await deps.sessions.start({
          userId: principal.userId,
          identity,
          refreshToken: result.refreshToken,
        });
        setCookie(reply, names, names.session, started.cookie, { maxAge: started.maxAgeSeconds, path: '/' });
        return reply.code(303).header('location', pending.returnTo).send();
      },
    );

    app.post(
      '/auth/sign-out',
      { schema: { hide: true }, config: ctx.publicRateLimit ? { rateLimit: ctx.publicRateLimit } : {} },
      async (req, reply) => {
        if (!sameOrigin(req, publicOrigin)) throw webErrors.csrf();
        const body = (req.body ?? {}) as Record<string, unknown>;
        const cookie = readCookie(req, names.session);
        const session = await deps.sessions.find(cookie);
        if (session && !deps.sessions.csrfMatches(session, body.csrf)) throw webErrors.csrf();
        const returnTo = body.return_to === undefined ? '/' : safeReturnTo(body.return_to, ctx.publicUrl);
        if (!returnTo) throw webErrors.invalidReturnTo();
        const { refreshToken } = await deps.sessions.end(cookie);
        if (refreshToken && deps.oidc) {
          await deps.oidc.revoke(refreshToken).catch((err: unknown) => {
            // the session is over either way; an unrevoked refresh token still expires at the issuer
            req.log.warn({ err: { message: (err as Error).message } }, 'refresh token revocation failed');
          });
        }
        setCookie(reply, names, names.session, '', { maxAge: 0, path: '/' });
        const location =
          body.switch === '1' && deps.oidc
            ? `/auth/sign-in?return_to=${encodeURIComponent(returnTo)}`
            : returnTo;
        return reply.code(303).headers(NO_STORE).header('location', location).send();
      },
    );
  };
