import { Type } from 'typebox';
import type { SurfaceContext } from '../context.js';
import { type AdminApp, base, errs, security } from './common.js';
import * as S from './schemas.js';

/** An organization's workspaces: create, list. */
export function workspaceRoutes(app: AdminApp, ctx: SurfaceContext): void {
  const { authenticate: auth } = ctx;

  app.post(
    `${base}/:organizationId/workspaces`,
    {
      schema: {
        operationId: 'createWorkspace',
        summary: 'Create a workspace (organization:write)',
        tags: ['workspaces'],
        security,
        params: S.OrgParams,
        body: S.CreateWorkspace,
        response: { 201: S.Workspace, ...errs(403, 404, 413, 415) },
      },
    },
    async (req, reply) =>
      reply
        .code(201)
        .send(await ctx.organizations.createWorkspace(await auth(req), req.params.organizationId, req.body)),
  );

  app.get(
    `${base}/:organizationId/workspaces`,
    {
      schema: {
        operationId: 'listWorkspaces',
        summary: 'List workspaces (membership)',
        tags: ['workspaces'],
        security,
        params: S.OrgParams,
        response: { 200: Type.Array(S.Workspace), ...errs(404) },
      },
    },
    async (req) => ctx.organizations.listWorkspaces(await auth(req), req.params.organizationId),
  );
}
