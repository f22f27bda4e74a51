import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../../http/schemas.js';

// What every admin resource's routes share: the instance they register on, the path prefix, the
// security requirement and the problem+json error responses they document.

/** The TypeBox-typed Fastify instance the admin routes are registered on. */
export type AdminApp = Parameters<FastifyPluginAsyncTypebox>[0];

export const base = '/v1/organizations';

export const security = [{ bearerAuth: [] }];

export const errs = (...statuses: number[]) => errorResponses('problem', [400, 401, ...statuses]);
