import { Type } from 'typebox';
import type { SurfaceContext } from '../context.js';
import { type AdminApp, base, errs, security } from './common.js';
import { organizationOut } from './mappers.js';
import * as S from './schemas.js';

/** Organizations: create, list the caller's, get, update. */
export function organizationRoutes(app: AdminApp, ctx: SurfaceContext): void {
  const { authenticate: auth } = ctx;

  app.post(
    base,
    {
      schema: {
        operationId: 'createOrganization',
        summary: 'Create an organization (the caller becomes its owner)',
        tags: ['organizations'],
        security,
        body: S.CreateOrganization,
        response: { 201: S.Organization, ...errs(413, 415) },
      },
    },
    async (req, reply) => {
      const org = await ctx.organizations.create(await auth(req), req.body);
      return reply.code(201).send(organizationOut(org));
    },
  );

  app.get(
    base,
    {
      schema: {
        operationId: 'listMyOrganizations',
        summary: "List the caller's organizations",
        tags: ['organizations'],
        security,
        response: { 200: Type.Array(S.Organization), ...errs() },
      },
    },
    async (req) => (await ctx.organizations.listMine(await auth(req))).map(organizationOut),
  );

  app.get(
    `${base}/:organizationId`,
    {
      schema: {
        operationId: 'getOrganization',
        summary: 'Get an organization with its member count',
        tags: ['organizations'],
        security,
        params: S.OrgParams,
        response: { 200: S.OrganizationWithCount, ...errs(404) },
      },
    },
    async (req) => {
      const org = await ctx.organizations.get(await auth(req), req.params.organizationId);
      return { ...organizationOut(org), memberCount: org.memberCount };
    },
  );

  app.patch(
    `${base}/:organizationId`,
    {
      schema: {
        operationId: 'updateOrganization',
        summary: 'Update an organization (organization:write)',
        tags: ['organizations'],
        security,
        params: S.OrgParams,
        body: S.UpdateOrganization,
        response: { 200: S.OrganizationWithCount, ...errs(403, 404, 413, 415) },
      },
    },
    async (req) => {
      const org = await ctx.organizations.update(await auth(req), req.params.organizationId, req.body);
      return { ...organizationOut(org), memberCount: org.memberCount };
    },
  );
}
