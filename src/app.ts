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
import type { Redis } from 'ioredis';
import type { Config } from './config.js';
import type { Db } from './db/create-db.js';
import { commonErrors } from './errors.js';
import { createAuthenticator } from './http/auth.js';
import { frameworkError, installErrorHandling, sendError } from './http/error-handler.js';
import { validatorCompiler } from './http/validation.js';
import { createInvitationsService } from './modules/invitations/invitations.service.js';
import { createRespondService } from './modules/invitations/respond.service.js';
import { createMembersService } from './modules/organizations/members.service.js';
import { createOrganizationsService } from './modules/organizations/organizations.service.js';
import { createRolesService } from './modules/organizations/roles.service.js';
import { createSessionsService } from './modules/sessions/sessions.service.js';
import { createUsersService } from './modules/users/users.service.js';
import type { BuiltinIssuer } from './platform/auth/builtin-issuer.js';
import { pageSignIn } from './platform/auth/oidc-client.js';
import type { TokenVerifier } from './platform/auth/verifier.js';
import type { Clock } from './platform/clock.js';
import type { Counters } from './platform/counters.js';
import type { Sealer } from './platform/crypto.js';
import type { Ids } from './platform/ids.js';
import { adminRoutes } from './surfaces/admin/routes.js';
import { apiV1Routes } from './surfaces/api-v1/routes.js';
import type { SurfaceContext } from './surfaces/context.js';
import { inviteeRoutes } from './surfaces/invitee/routes.js';
import { pageRoutes } from './surfaces/pages/routes.js';
import { systemRoutes } from './surfaces/system/routes.js';

export interface AppDeps {
  config: Config;
  db: Db;
  clock: Clock;
  ids: Ids;
  sealer: Sealer;
  verifier: TokenVerifier;
  issuer: BuiltinIssuer | undefined;
  counters: Counters;
  logger: FastifyBaseLogger;
  redis?: Redis | undefined;
  /** called after a transaction that queued mail commits (wakes the in-process dispatcher) */
  onMailQueued?: (() => void) | undefined;
  /** later surfaces (invitee, api-v1, pages, dev mailbox) register here with the same context */
  plugins?: ((app: AppInstance, ctx: SurfaceContext) => Promise<void>)[];
}

export type AppInstance = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export const BODY_LIMIT = 64 * 1024;

/** Builds the HTTP application: infrastructure → auth → surfaces. Never listens. */
export async function buildApp(deps: AppDeps) {
  const { config, db, clock, ids } = deps;
  const app = Fastify({
    loggerInstance: deps.logger,
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
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
      tags: [
        { name: 'organizations' },
        { name: 'members' },
        { name: 'workspaces' },
        { name: 'roles' },
        { name: 'invitations' },
        { name: 'invitee' },
        { name: 'system' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const limit = config.rateLimitPublic;
  await app.register(rateLimit, {
    global: false,
    ...(deps.redis ? { redis: deps.redis, nameSpace: 'admit:rl:' } : {}),
    errorResponseBuilder: (_req, context) => commonErrors.rateLimited(context.ttl / 1000),
  });

  const users = createUsersService({
    db,
    clock,
    ids,
    systemAdminEmails: config.systemAdminEmails,
  });
  const ctx: SurfaceContext = {
    authenticate: createAuthenticator({ verifier: deps.verifier, users }),
    organizations: createOrganizationsService({ db, clock, ids }),
    roles: createRolesService({ db, clock, ids }),
    members: createMembersService({ db }),
    invitations: createInvitationsService({
      db,
      clock,
      ids,
      sealer: deps.sealer,
      counters: deps.counters,
      onMailQueued: deps.onMailQueued,
      publicUrl: config.publicUrl,
      ttlMs: config.invitationTtlMs,
      maxTtlMs: config.invitationMaxTtlMs,
      quotaOrg: config.quotaOrg,
      quotaRecipient: config.quotaRecipient,
    }),
    respond: createRespondService({ db, clock, ids }),
    publicUrl: config.publicUrl,
    appUrl: config.appUrl,
    publicRateLimit: limit === 'off' ? undefined : { max: limit.max, timeWindow: limit.windowMs },
  };

  const issuer = deps.issuer;
  await app.register(
    systemRoutes({
      ping: db.ping,
      jwks: issuer ? () => issuer.publicKeys() : undefined,
      isClosing: () => closing,
    }),
  );
  await app.register(adminRoutes(ctx));
  await app.register(apiV1Routes(ctx));
  await app.register(inviteeRoutes(ctx));
  const sessions = createSessionsService({ db, clock, sealer: deps.sealer });
  await app.register(
    pageRoutes(ctx, { users, sessions, ...pageSignIn(config, (r) => app.inject(r), deps.logger) }),
  );
  for (const plugin of deps.plugins ?? []) await plugin(app, ctx);
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
