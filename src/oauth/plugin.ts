import type { FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import type { AppInstance } from '../app.js';
import type { Config } from '../config.js';
import type { Db } from '../db/create-db.js';
import type { BuiltinIssuer, KeySet } from '../platform/auth/builtin-issuer.js';
import type { Clock } from '../platform/clock.js';
import type { Counters } from '../platform/counters.js';
import type { Sealer } from '../platform/crypto.js';
import { canonicalEmail } from '../platform/email.js';
import { resolveSecret } from '../platform/secret.js';
import { kyselyAdapterFactory } from './adapter.js';
import { createClientsStore } from './clients.js';
import { interactionRoutes } from './interaction.js';
import { PROVIDER_HEADERS } from './pages.js';
import { createProvider } from './provider.js';
import { createSignInStore } from './sign-in.js';

// Mounts the built-in provider (built-in mode only): oidc-provider is a Node (req, res) handler, so
// its paths are routes whose onRequest hook hands the raw request over before Fastify reads a body.
// The sign-in pages (/oauth/interaction/:uid) are Fastify routes of their own (more specific, so they
// win over the wildcard). /.well-known/jwks.json stays Admit's route, serving the same keys.
// oidc-provider takes its keys once, when built: when the issuer's key set changes (a rotated key is
// published, starts signing, or an old one retires) the next request builds a new provider, and every
// route reads the current one. Its state is in the database, so nothing is lost but its caches.

const RESUME = /^(\/oauth\/authorize\/[^/?]+)\?/;

export interface OAuthDeps {
  config: Config;
  db: Db;
  clock: Clock;
  sealer: Sealer;
  issuer: BuiltinIssuer;
  counters: Counters;
}

export async function registerOAuthProvider(app: AppInstance, deps: OAuthDeps): Promise<void> {
  const { config, db, clock } = deps;
  const publicUrl = config.publicUrl;
  const signIn = createSignInStore({ db, clock, sealer: deps.sealer, publicUrl });
  const admins = new Set(config.systemAdminEmails);
  const clients = createClientsStore(db);
  const build = (keys: KeySet) =>
    createProvider({
      db,
      publicUrl,
      secret: resolveSecret(config),
      keys,
      clients,
      accountEmail: (sub) => signIn.accountEmail(sub),
      isSystemAdminEmail: (email) => {
        const c = canonicalEmail(email);
        return c.ok && admins.has(c.email);
      },
      adapter: (override) => kyselyAdapterFactory({ db: db.kysely, now: () => clock.now(), override }),
    });
  const current = providerHolder(() => deps.issuer.current(), build);
  current(); // built now, so a configuration the provider refuses stops the start
  const url = new URL(publicUrl);

  const handOver = (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    // the provider builds every URL from PUBLIC_URL, never from what the client sent
    req.raw.headers['x-forwarded-proto'] = url.protocol.slice(0, -1);
    req.raw.headers['x-forwarded-host'] = url.host;
    req.raw.headers['x-forwarded-for'] = req.ip;
    // A resume (GET /oauth/authorize/:uid, where the sign-in pages send the browser back) takes its
    // parameters from the stored interaction, never from the URL. oidc-provider 9.13.3 answered 500
    // to a failed resume whose query named a registered client (its error handler reads parameters
    // a resume never parsed): the query is dropped before the provider sees it.
    const resume = RESUME.exec(req.raw.url ?? '');
    if (resume?.[1]) req.raw.url = resume[1];
    for (const [name, value] of Object.entries(PROVIDER_HEADERS)) reply.raw.setHeader(name, value);
    reply.hijack();
    void current().callback(req.raw, reply.raw);
    done();
  };
  const methods: ('GET' | 'POST' | 'OPTIONS')[] = ['GET', 'POST', 'OPTIONS'];
  for (const path of ['/oauth/*', '/.well-known/openid-configuration']) {
    app.route({
      method: methods,
      url: path,
      schema: { hide: true },
      onRequest: handOver,
      handler: async () => undefined,
    });
  }
  await app.register(async (scope) => {
    // the interaction pages read their own cookies through the provider, which wants the same view
    scope.addHook('onRequest', async (req) => {
      req.raw.headers['x-forwarded-proto'] = url.protocol.slice(0, -1);
      req.raw.headers['x-forwarded-host'] = url.host;
    });
    await interactionRoutes({
      provider: () => current().provider,
      signIn,
      counters: deps.counters,
      publicUrl,
    })(scope as AppInstance);
  });
}

/** The provider for the issuer's current key set, built again when the key set has changed. */
function providerHolder(
  keys: () => KeySet,
  build: (keys: KeySet) => Provider,
): () => { provider: Provider; callback: ReturnType<Provider['callback']> } {
  let built: { version: string; provider: Provider; callback: ReturnType<Provider['callback']> } | undefined;
  return () => {
    const set = keys();
    if (built?.version !== set.version) {
      const provider = build(set);
      built = { version: set.version, provider, callback: provider.callback() };
    }
    return built;
  };
}
