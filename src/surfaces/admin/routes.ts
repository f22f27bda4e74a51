import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { SurfaceContext } from '../context.js';
import { eventRoutes } from './events.routes.js';
import { invitationRoutes } from './invitations.routes.js';
import { memberRoutes } from './members.routes.js';
import { organizationRoutes } from './organizations.routes.js';
import { roleRoutes } from './roles.routes.js';
import { webhookRoutes } from './webhooks.routes.js';
import { workspaceRoutes } from './workspaces.routes.js';

// Seed 003: the admin API per organization, one file per resource. Routes only map HTTP to service
// calls and back. Registered in this order, which is the order of the OpenAPI document's paths.

export const adminRoutes =
  (ctx: SurfaceContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    organizationRoutes(app, ctx);
    memberRoutes(app, ctx);
    workspaceRoutes(app, ctx);
    roleRoutes(app, ctx);
    invitationRoutes(app, ctx);
    eventRoutes(app, ctx);
    webhookRoutes(app, ctx);
  };
