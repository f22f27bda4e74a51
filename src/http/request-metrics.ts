import type { FastifyInstance } from 'fastify';
import type { RequestMetrics } from '../platform/metrics.js';

/** The route label of a request that matched no route (404s, unroutable URLs). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Records every answered request: method, the route's template (`/invite/:token`, never the URL,
 * which may hold a token), status and time to answer. Installed on the root instance before any
 * route, so every route and the not-found handler are counted.
 */
export function installRequestMetrics(app: FastifyInstance, metrics: RequestMetrics): void {
  app.addHook('onResponse', (req, reply, done) => {
    metrics.observe(
      req.method,
      req.routeOptions.url ?? UNMATCHED_ROUTE,
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });
}
