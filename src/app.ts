import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import { commonErrors } from './errors.js';
import { type ClientPrincipals, createAuthenticator } from './http/auth.js';
import { frameworkError, installErrorHandling, sendError } from './http/error-handler.js';
import { installRequestMetrics } from './http/request-metrics.js';
import { validatorCompiler } from './http/validation.js';
import { DOCS_CLIENT_ID } from './oauth/clients.js';
import { declareSecurity, oauthSecurityScheme } from './oauth/openapi.js';
import { webSignIn } from './platform/auth/oidc-client.js';
import type { Runtime } from './runtime.js';
import type { Services } from './services.js';
import { adminRoutes } from './surfaces/admin/routes.js';
import { apiV1Routes } from './surfaces/api-v1/routes.js';
import type { SurfaceContext } from './surfaces/context.js';
import { inviteeRoutes } from './surfaces/invitee/routes.js';
import { metricsRoutes } from './surfaces/system/metrics.js';
import { systemRoutes } from './surfaces/system/routes.js';
import { webRoutes } from './surfaces/web/routes.js';

/** What the HTTP app takes from its process besides services: configuration, logs, auth, shared store. */
export type AppRuntime = Pick<Runtime, 'config' | 'logger' | 'verifier' | 'issuer' | 'redis' | 'metrics'> & {
  /** built-in mode: resolves client-credentials tokens to their registered client (src/oauth/) */
  clientPrincipals?: ClientPrincipals | undefined;
};

/** A surface registered beside the built-in ones (the dev mailbox; later ones take the same context). */
export type Surface = (app: AppInstance, ctx: SurfaceContext) => Promise<void>;

export type AppInstance = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export const BODY_LIMIT = 64 * 1024;

/**
 * Builds the HTTP application: infrastructure → auth → surfaces, each surface handed the services.
 * Never listens; src/compose.ts is the one caller outside tests of this module.
 */
export async function buildApp(services: Services, rt: AppRuntime, surfaces: readonly Surface[] = []) {
  const { config } = rt;
  const { timings } = config;
  const app = Fastify({
    loggerInstance: rt.logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    trustProxy: config.trustProxy ?? false,
    // no client holds a connection for ever (slow loris): the headers, the whole request and an idle
    // socket each have a deadline; node checks the first two every connectionsCheckingInterval
    http: {
      headersTimeout: timings.httpHeadersTimeoutMs,
      requestTimeout: timings.httpRequestTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, timings.httpHeadersTimeoutMs / 2),
    },
    requestTimeout: timings.httpRequestTimeoutMs,
    connectionTimeout: timings.httpIdleTimeoutMs,
    keepAliveTimeout: timings.httpKeepAliveTimeoutMs,
    // a request arriving while the server drains gets our 503 (Retry-After, the path's error style) from
    // the onRequest hook below instead of Fastify's bare one
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 200 },
    // bad URL encoding and over-long parameters answer in the path's error style (a token path: the uniform 404)
    // (before routing, so before the onRequest hook below: nosniff is set here too)
    frameworkErrors: (err, req, reply) =>
      sendError(req, reply.header('x-content-type-options', 'nosniff'), frameworkError(err, req.url)),
  }).withTypeProvider<TypeBoxTypeProvider>();

  // first, so that every route registered below is measured
  if (rt.metrics) installRequestMetrics(app, rt.metrics.requests);
  app.setValidatorCompiler(validatorCompiler);
  installErrorHandling(app);
  // every answer, errors and 404s included: no MIME sniffing (set first, so routes that hand the raw
  // response to the OpenID provider carry it too); every HTML page, Swagger UI's as well: not kept
  // in caches, no Referer (a page may hold a token or an authorization code in its URL)
  // (callback hooks, not async ones: these run on every request, and an async hook costs a promise each)
  app.addHook('onRequest', (_req, reply, done) => {
    // on the raw response, which Fastify's own headers are merged into, so hijacked routes carry it too
    reply.raw.setHeader('x-content-type-options', 'nosniff');
    done();
  });
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) {
      if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
      if (!reply.hasHeader('referrer-policy')) reply.header('referrer-policy', 'no-referrer');
    }
    done(null, payload);
  });
  // JSON APIs take JSON only: without the text/plain parser, any other content type is 415.
  app.removeContentTypeParser('text/plain');

  if (!config.trustProxy) {
    // behind a proxy nobody declared, every client shares the proxy's address: one rate-limit bucket
    let warned = false;
    app.addHook('onRequest', async (req) => {
      if (warned || req.headers['x-forwarded-for'] === undefined) return;
      warned = true;
      req.log.warn(
        'X-Forwarded-For arrived but TRUST_PROXY is unset: the header is ignored, so every client behind that proxy shares one rate-limit bucket (set TRUST_PROXY to the proxy address)',
      );
    });
  }

  // preClose runs before the listener closes: from then on, new requests are refused; those already
  // past this hook finish
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (_req, reply) => {
    if (!closing) return;
    reply.header('connection', 'close');
    throw commonErrors.shuttingDown();
  });
  // a request in flight at close finishes, then its connection closes: Node closes only the
  // connections idle at close(), and one that goes idle later would hold the listener open for the
  // whole keep-alive timeout (72 s), past the shutdown grace
  app.addHook('onSend', async (_req, reply) => {
    if (closing) reply.header('connection', 'close');
  });

  await app.register(swagger, {
    transformObject: (d) => ('openapiObject' in d ? declareSecurity(d.openapiObject) : d.swaggerObject),
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Admit',
        version: '0.1.0',
        description:
          'Organization invitations: invite by email with a role, preview by token, accept or decline. ' +
          'Three API styles: /v1 (admin, camelCase, problem+json), /api/v1 (envelope), /invitations (invitee, snake_case).',
      },
      servers: [{ url: config.publicUrl }],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          oauth2: oauthSecurityScheme(config),
        },
      },
      tags: [
        { name: 'organizations' },
        { name: 'members' },
        { name: 'workspaces' },
        { name: 'roles' },
        { name: 'invitations' },
        { name: 'events' },
        { name: 'webhooks' },
        { name: 'invitee' },
        { name: 'system' },
      ],
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // the plugin's policy for its own pages (hashes of its inline scripts), minus
    // upgrade-insecure-requests, which would send a plain-http development server's assets to https
    staticCSP: true,
    transformStaticCSP: (header) => header.replace(/\s*upgrade-insecure-requests;?/, ''),
    // Swagger UI signs in with authorization code + PKCE as the static public client of the docs
    initOAuth: {
      clientId: config.auth.mode === 'builtin' ? DOCS_CLIENT_ID : (config.auth.clientId ?? ''),
      usePkceWithAuthorizationCodeGrant: true,
      scopes: ['openid', 'email'],
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const limit = config.rateLimitPublic;
  await app.register(rateLimit, {
    global: false,
    ...(rt.redis ? { redis: rt.redis, nameSpace: 'admit:rl:' } : {}),
    errorResponseBuilder: (_req, context) => commonErrors.rateLimited(context.ttl / 1000),
  });

  const ctx: SurfaceContext = {
    ...services,
    authenticate: createAuthenticator({
      verifier: rt.verifier,
      users: services.users,
      clients: rt.clientPrincipals,
    }),
    publicUrl: config.publicUrl,
    appUrl: config.appUrl,
    publicRateLimit: limit === 'off' ? undefined : { max: limit.max, timeWindow: limit.windowMs },
  };

  const issuer = rt.issuer;
  await app.register(
    systemRoutes({
      ping: services.system.ping,
      jwks: issuer
        ? {
            keys: () => issuer.current().published,
            // a rotated key signs two refresh intervals after it is created: one for every process to
            // publish it, one for every copy of the key set cached under this max-age to expire
            maxAgeS: Math.floor(config.timings.signingKeysRefreshMs / 1000),
          }
        : undefined,
      isClosing: () => closing,
    }),
  );
  if (rt.metrics)
    await app.register(metricsRoutes({ scrape: rt.metrics.scrape, token: config.metrics.token }));
  await app.register(adminRoutes(ctx));
  await app.register(apiV1Routes(ctx));
  await app.register(inviteeRoutes(ctx));
  // the invitation page signs in as an OpenID client (of Admit's own provider in built-in mode)
  const signIn = webSignIn(config, (r) => app.inject(r), rt.logger);
  await app.register(webRoutes(ctx, { users: ctx.users, sessions: ctx.sessions, ...signIn }));
  for (const surface of surfaces) await surface(app, ctx);
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
