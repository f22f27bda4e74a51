import { parse as parseQuery } from 'node:querystring';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';
import type { AppInstance } from '../app.js';
import { builtinSubject } from '../platform/auth/builtin-issuer.js';
import type { Counters } from '../platform/counters.js';
import { canonicalEmail } from '../platform/email.js';
import { codeStep, emailStep, messagePage, signInPageHeaders } from './pages.js';
import type { SignInStore } from './sign-in.js';

// The sign-in pages at /oauth/interaction/:uid: email → a code mailed through the outbox → code →
// login with accountId = builtinSubject(canonical email). Consent is implicit: every client is
// registered by the operator (no dynamic registration), so each is first-party; what a grant holds
// is still decided by the provider (admit:admin only for SYSTEM_ADMIN_EMAILS). The interaction
// cookie is SameSite=Lax and path-bound, so a cross-site POST arrives without it and is refused.

const WINDOW_MS = 15 * 60_000;
const LIMITS = { codesPerAddress: 5, codesPerIp: 20, triesPerIp: 50 };
const FORM = 'application/x-www-form-urlencoded';

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

export function interactionRoutes(deps: {
  /** the provider of the current key set (plugin.ts builds a new one when it changes) */
  provider: () => Provider;
  signIn: SignInStore;
  counters: Counters;
  publicUrl: string;
}) {
  const { provider, signIn, counters, publicUrl } = deps;

  /** the client's redirect origin: the last redirect of the sign-in goes there */
  function origins(details: Details): string[] {
    const uri = details.params['redirect_uri'];
    return typeof uri === 'string' && URL.canParse(uri) ? [new URL(uri).origin] : [];
  }

  function html(reply: FastifyReply, status: number, body: string, extra: string[] = []) {
    return reply.code(status).headers(signInPageHeaders(publicUrl, extra)).send(body);
  }

  async function detailsOf(req: FastifyRequest, reply: FastifyReply): Promise<Details | undefined> {
    try {
      const details = await provider().interactionDetails(req.raw, reply.raw);
      if (details.uid === (req.params as { uid: string }).uid) return details;
    } catch {
      // no interaction cookie (expired, another browser, or a cross-site post)
    }
    void html(
      reply,
      400,
      messagePage(
        'This sign-in has expired',
        'Go back to the application you came from and start signing in again.',
      ),
    );
    return undefined;
  }

  async function finish(req: FastifyRequest, reply: FastifyReply, result: InteractionResults) {
    const url = await provider().interactionResult(req.raw, reply.raw, result, {
      mergeWithLastSubmission: true,
    });
    return reply.header('cache-control', 'no-store').redirect(url, 303);
  }

  async function clientName(details: Details): Promise<string> {
    const client = await provider().Client.find(String(details.params['client_id']));
    return client?.clientName ?? 'the application';
  }

  /** Consent without a prompt: the grant takes what the provider found missing (already filtered). */
  async function consent(req: FastifyRequest, reply: FastifyReply, details: Details) {
    const accountId = details.session?.accountId;
    if (!accountId) return html(reply, 400, messagePage('Sign-in cannot continue', 'No signed-in account.'));
    const { Grant } = provider();
    const grant = details.grantId
      ? await Grant.find(details.grantId)
      : new Grant({ accountId, clientId: String(details.params['client_id']) });
    if (!grant) return html(reply, 400, messagePage('Sign-in cannot continue', 'The grant has expired.'));
    const missing = details.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(resource, scopes.join(' '));
    }
    return finish(req, reply, { consent: { grantId: await grant.save() } });
  }

  async function limited(key: string, max: number): Promise<number | undefined> {
    const { count, resetInMs } = await counters.hit(`oauth:${key}`, WINDOW_MS);
    return count > max ? Math.ceil(resetInMs / 1000) : undefined;
  }

  function tooMany(reply: FastifyReply, seconds: number) {
    reply.header('retry-after', String(Math.max(1, seconds)));
    return html(reply, 429, messagePage('Too many attempts', 'Wait a few minutes and try again.'));
  }

  return async (app: AppInstance) => {
    app.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) => {
      done(null, parseQuery(String(body)));
    });
    const field = (req: FastifyRequest, name: string): string => {
      const v = (req.body as Record<string, unknown> | undefined)?.[name];
      return typeof v === 'string' ? v : '';
    };
    const schema = { hide: true };

    app.get('/oauth/interaction/:uid', { schema }, async (req, reply) => {
      const details = await detailsOf(req, reply);
      if (!details) return reply;
      if (details.prompt.name === 'consent') return consent(req, reply, details);
      if ((req.query as { restart?: string }).restart) await signIn.forget(details.uid);
      const email = await signIn.pendingEmail(details.uid);
      if (email) return html(reply, 200, codeStep({ uid: details.uid, email }), origins(details));
      return html(
        reply,
        200,
        emailStep({ uid: details.uid, clientName: await clientName(details) }),
        origins(details),
      );
    });

    app.post('/oauth/interaction/:uid/email', { schema }, async (req, reply) => {
      const details = await detailsOf(req, reply);
      if (!details) return reply;
      const raw = field(req, 'email');
      const canonical = canonicalEmail(raw);
      if (!canonical.ok) {
        const page = emailStep({
          uid: details.uid,
          clientName: await clientName(details),
          error: 'Enter a valid email address.',
          email: raw,
        });
        return html(reply, 400, page, origins(details));
      }
      const wait =
        (await limited(`code-ip:${req.ip}`, LIMITS.codesPerIp)) ??
        (await limited(`code-addr:${canonical.email}`, LIMITS.codesPerAddress));
      if (wait !== undefined) return tooMany(reply, wait);
      await signIn.issue(details.uid, canonical.email);
      return reply.redirect(`/oauth/interaction/${details.uid}`, 303);
    });

    app.post('/oauth/interaction/:uid/code', { schema }, async (req, reply) => {
      const details = await detailsOf(req, reply);
      if (!details) return reply;
      const wait = await limited(`try-ip:${req.ip}`, LIMITS.triesPerIp);
      if (wait !== undefined) return tooMany(reply, wait);
      const email = await signIn.pendingEmail(details.uid);
      const result = await signIn.check(details.uid, field(req, 'code'));
      if (result.ok) {
        const accountId = builtinSubject(result.email);
        await signIn.remember(accountId, result.email);
        return finish(req, reply, { login: { accountId, amr: ['otp'] } });
      }
      if (result.reason === 'wrong' && email)
        return html(
          reply,
          400,
          codeStep({
            uid: details.uid,
            email,
            error: 'That code is not right. Check the latest email and try again.',
          }),
          origins(details),
        );
      const why =
        result.reason === 'expired' ? 'The code has expired.' : 'Too many wrong codes, or no code was sent.';
      return html(
        reply,
        400,
        emailStep({
          uid: details.uid,
          clientName: await clientName(details),
          error: `${why} Request a new code.`,
        }),
        origins(details),
      );
    });
  };
}
