import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isLocalRequest } from '../../http/loopback.js';

// GET /metrics (METRICS=on): the Prometheus text exposition. Served to requests straight from this
// machine (src/http/loopback.ts), or to a bearer of METRICS_TOKEN; anyone else is answered exactly as
// a route that does not exist, so the endpoint's presence is not revealed. Not in the API description.

export interface MetricsContext {
  scrape: () => Promise<{ contentType: string; body: string }>;
  /** METRICS_TOKEN; undefined: loopback only */
  token: string | undefined;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Compares digests, so neither the token's content nor its length shows in the time taken. */
function bearerMatches(authorization: string | undefined, expected: Buffer | undefined): boolean {
  if (!expected || !authorization) return false;
  const m = /^Bearer +(\S+)\s*$/i.exec(authorization);
  return m !== null && timingSafeEqual(digest(m[1] as string), expected);
}

export const metricsRoutes =
  (ctx: MetricsContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    const expected = ctx.token === undefined ? undefined : digest(ctx.token);
    app.get('/metrics', { schema: { hide: true } }, async (req, reply) => {
      if (!bearerMatches(req.headers.authorization, expected) && !isLocalRequest(req)) {
        return reply.callNotFound();
      }
      const { contentType, body } = await ctx.scrape();
      return reply.header('cache-control', 'no-store').type(contentType).send(body);
    });
  };
