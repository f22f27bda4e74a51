import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { commonErrors } from '../../errors.js';
import { errorResponses } from '../../http/schemas.js';

export interface SystemContext {
  ping: () => Promise<void>;
  /** built-in mode: the published keys, and how long a client may cache them (seconds) */
  jwks: { keys: () => object[]; maxAgeS: number } | undefined;
  isClosing: () => boolean;
}

export const systemRoutes =
  (ctx: SystemContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/healthz',
      {
        schema: {
          operationId: 'health',
          summary: 'The process is up',
          tags: ['system'],
          response: { 200: Type.Object({ status: Type.Literal('ok') }) },
        },
      },
      async () => ({ status: 'ok' as const }),
    );

    app.get(
      '/readyz',
      {
        schema: {
          operationId: 'ready',
          summary: 'The database answers (503 when it does not, or while shutting down)',
          tags: ['system'],
          response: { 200: Type.Object({ status: Type.Literal('ready') }), ...errorResponses('problem', []) },
        },
      },
      async () => {
        if (ctx.isClosing()) {
          throw commonErrors.shuttingDown();
        }
        await ctx.ping();
        return { status: 'ready' as const };
      },
    );

    const jwks = ctx.jwks;
    if (jwks) {
      app.get(
        '/.well-known/jwks.json',
        {
          schema: {
            operationId: 'jwks',
            summary: "The built-in issuer's public keys",
            tags: ['system'],
            response: {
              200: Type.Object({ keys: Type.Array(Type.Object({}, { additionalProperties: true })) }),
            },
          },
        },
        async (_req, reply) => {
          reply.header('cache-control', `public, max-age=${jwks.maxAgeS}`);
          return { keys: jwks.keys() };
        },
      );
    }
  };
