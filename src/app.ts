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
import { validatorCompiler } from './http/validation.js';
import { DOCS_CLIENT_ID } from './oauth/clients.js';
import { declareSecurity, oauthSecurityScheme } from './oauth/openapi.js';
import { pageSignIn } from './platform/auth/oidc-client.js';
import type { Runtime } from './runtime.js';
import type { Services } from './services.js';
import { adminRoutes } from './surfaces/admin/routes.js';
import { apiV1Routes } from './surfaces/api-v1/routes.js';
import type { SurfaceContext } from './surfaces/context.js';
import { inviteeRoutes } from './surfaces/invitee/routes.js';
import { pageRoutes } from './surfaces/pages/routes.js';
import { systemRoutes } from './surfaces/system/routes.js';

/** What the HTTP app takes from its process besides services: configuration, logs, auth, shared store. */
export type AppRuntime = Pick<Runtime, 'config' | 'logger' | 'verifier' | 'issuer' | 'redis'> & {
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
  const app = Fastify({
    loggerInstance: rt.logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    trustProxy: config.trustProxy ?? false,
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 200 },
    // bad URL encoding and over-long parameters answer in the path's dialect (a token path: the uniform 404)
    frameworkErrors: (err, req, reply) => sendError(req, reply, frameworkError(err, req.url)),
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  installErrorHandling(app);
  // JSON APIs take JSON only: without the text/plain parser, any other content type is 415.
  app.removeContentTypeParser('text/plain');

  let closing = false;
  app.addHook('onClose', async () => {
    closing = true;
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
          'Three dialects: /v1 (admin, camelCase, problem+json), /api/v1 (envelope), /invitations (invitee, snake_case).',
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
      jwks: issuer ? () => issuer.publicKeys() : undefined,
      isClosing: () => closing,
    }),
  );
  await app.register(adminRoutes(ctx));
  await app.register(apiV1Routes(ctx));
  await app.register(inviteeRoutes(ctx));
  // the invitation page signs in as an OpenID client (of Admit's own provider in built-in mode)
  const signIn = pageSignIn(config, (r) => app.inject(r), rt.logger);
  await app.register(pageRoutes(ctx, { users: ctx.users, sessions: ctx.sessions, ...signIn }));
  for (const surface of surfaces) await surface(app, ctx);
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
