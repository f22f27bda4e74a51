import { Type } from 'typebox';
import type { SurfaceContext } from '../context.js';
import { type AdminApp, base, errs, security } from './common.js';
import * as S from './schemas.js';

/** An organization's roles: create a custom one, list, update. */
export function roleRoutes(app: AdminApp, ctx: SurfaceContext): void {
  const { authenticate: auth } = ctx;

  app.post(
    `${base}/:organizationId/roles`,
    {
      schema: {
        operationId: 'createRole',
        summary: 'Create a custom role (roles:write, role ceiling)',
        tags: ['roles'],
        security,
        params: S.OrgParams,
        body: S.CreateRole,
        response: { 201: S.Role, ...errs(403, 404, 409, 413, 415) },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await ctx.roles.create(await auth(req), req.params.organizationId, req.body)),
  );

  app.get(
    `${base}/:organizationId/roles`,
    {
      schema: {
        operationId: 'listRoles',
        summary: 'List roles (membership)',
        tags: ['roles'],
        security,
        params: S.OrgParams,
        response: { 200: Type.Array(S.Role), ...errs(404) },
      },
    },
    async (req) => ctx.roles.list(await auth(req), req.params.organizationId),
  );

  app.patch(
    `${base}/:organizationId/roles/:roleId`,
    {
      schema: {
        operationId: 'updateRole',
        summary: 'Update a custom role (roles:write, role ceiling; built-in roles are fixed)',
        tags: ['roles'],
        security,
        params: S.RoleParams,
        body: S.UpdateRole,
        response: { 200: S.Role, ...errs(403, 404, 409, 413, 415) },
      },
    },
    async (req) => ctx.roles.update(await auth(req), req.params.organizationId, req.params.roleId, req.body),
  );
}
