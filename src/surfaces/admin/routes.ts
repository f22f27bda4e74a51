import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { type JsonAnswer, sendJson, serializeFor } from '../../http/json-answer.js';
import { errorResponses, PageQuery } from '../../http/schemas.js';
import { type Cursor, encodeCursor, type PageOptions } from '../../modules/invitations/invitation.model.js';
import type { SurfaceContext } from '../context.js';
import { invitationOut, invitationWithUrlOut, memberOut, organizationOut } from './mappers.js';
import * as S from './schemas.js';

// Seed 003: the admin API per organization. Routes only map HTTP to service calls and back.

const security = [{ bearerAuth: [] }];

const errs = (...statuses: number[]) => errorResponses('problem', [400, 401, ...statuses]);

/** `Link: <…>; rel="next"` to the page after this one (same size and filter), when there is one. */
function nextLink(
  publicUrl: string,
  organizationId: string,
  opts: PageOptions,
  next: Cursor | null,
): Record<string, string> {
  if (!next) return {};
  const q = new URLSearchParams({ limit: String(opts.limit) });
  if (opts.status) q.set('status', opts.status);
  q.set('cursor', encodeCursor(next));
  return { link: `<${publicUrl}/v1/organizations/${organizationId}/invitations?${q}>; rel="next"` };
}

export const adminRoutes =
  (ctx: SurfaceContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { authenticate: auth } = ctx;
    const base = '/v1/organizations';
    // one store per registration: answered list pages, kept while unchanged (kept-list-pages.ts)
    const listPages = ctx.invitations.listPages<JsonAnswer>();

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

    app.get(
      `${base}/:organizationId/members`,
      {
        schema: {
          operationId: 'listMembers',
          summary: 'List members (members:read)',
          tags: ['members'],
          security,
          params: S.OrgParams,
          response: { 200: Type.Array(S.Member), ...errs(403, 404) },
        },
      },
      async (req) => (await ctx.members.list(await auth(req), req.params.organizationId)).map(memberOut),
    );

    app.patch(
      `${base}/:organizationId/members/:userId`,
      {
        schema: {
          operationId: 'changeMemberRole',
          summary: "Change a member's role (members:write, role ceiling, last owner stays)",
          tags: ['members'],
          security,
          params: S.MemberParams,
          body: S.ChangeRole,
          response: { 200: S.Member, ...errs(403, 404, 409, 413, 415) },
        },
      },
      async (req) =>
        memberOut(
          await ctx.members.changeRole(
            await auth(req),
            req.params.organizationId,
            req.params.userId,
            req.body.role,
          ),
        ),
    );

    app.delete(
      `${base}/:organizationId/members/:userId`,
      {
        schema: {
          operationId: 'removeMember',
          summary: 'Remove a member (members:write, role ceiling, last owner stays)',
          tags: ['members'],
          security,
          params: S.MemberParams,
          response: { 204: Type.Null(), ...errs(403, 404, 409) },
        },
      },
      async (req, reply) => {
        await ctx.members.remove(await auth(req), req.params.organizationId, req.params.userId);
        return reply.code(204).send(null);
      },
    );

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
          .send(
            await ctx.organizations.createWorkspace(await auth(req), req.params.organizationId, req.body),
          ),
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
      async (req) =>
        ctx.roles.update(await auth(req), req.params.organizationId, req.params.roleId, req.body),
    );

    app.post(
      `${base}/:organizationId/invitations`,
      {
        schema: {
          operationId: 'createInvitation',
          summary: 'Create an invitation (invitations:create, role ceiling)',
          description:
            'Answers the invitation with its `url`; the email goes out through the outbox unless `sendEmail: false`.',
          tags: ['invitations'],
          security,
          params: S.OrgParams,
          body: S.CreateInvitation,
          response: { 201: S.InvitationWithUrl, ...errs(403, 404, 409, 413, 415) },
        },
      },
      async (req, reply) => {
        const inv = await ctx.invitations.create(await auth(req), req.params.organizationId, req.body);
        return reply.code(201).send(invitationWithUrlOut(inv));
      },
    );

    app.get(
      `${base}/:organizationId/invitations`,
      {
        schema: {
          operationId: 'listInvitations',
          summary: 'List invitations, newest first (invitations:read)',
          description: 'Keyset-paginated: the next page is in the `Link: <…>; rel="next"` header.',
          tags: ['invitations'],
          security,
          params: S.OrgParams,
          querystring: PageQuery,
          response: { 200: Type.Array(S.Invitation), ...errs(403, 404) },
        },
      },
      async (req, reply) => {
        const { organizationId } = req.params;
        const answer = await listPages.answer(await auth(req), organizationId, req.query, (page, opts) => ({
          body: serializeFor(reply, 200, page.items.map(invitationOut)),
          headers: nextLink(ctx.publicUrl, organizationId, opts, page.next),
        }));
        return sendJson(reply, answer);
      },
    );

    app.get(
      `${base}/:organizationId/invitations/:invitationId`,
      {
        schema: {
          operationId: 'getInvitation',
          summary: 'Get an invitation (invitations:read)',
          tags: ['invitations'],
          security,
          params: S.InvitationParams,
          response: { 200: S.Invitation, ...errs(403, 404) },
        },
      },
      async (req) =>
        invitationOut(
          await ctx.invitations.get(await auth(req), req.params.organizationId, req.params.invitationId),
        ),
    );

    app.delete(
      `${base}/:organizationId/invitations/:invitationId`,
      {
        schema: {
          operationId: 'revokeInvitation',
          summary: 'Revoke a pending invitation (invitations:revoke)',
          tags: ['invitations'],
          security,
          params: S.InvitationParams,
          response: { 204: Type.Null(), ...errs(403, 404, 409) },
        },
      },
      async (req, reply) => {
        await ctx.invitations.revoke(await auth(req), req.params.organizationId, req.params.invitationId);
        return reply.code(204).send(null);
      },
    );

    app.post(
      `${base}/:organizationId/invitations/:invitationId/resend`,
      {
        schema: {
          operationId: 'resendInvitation',
          summary: 'Resend: rotate the token, reset the expiry, mail again (invitations:create)',
          tags: ['invitations'],
          security,
          params: S.InvitationParams,
          body: Type.Optional(S.ResendInvitation),
          response: { 200: S.InvitationWithUrl, ...errs(403, 404, 409, 413, 415) },
        },
      },
      async (req) =>
        invitationWithUrlOut(
          await ctx.invitations.resend(
            await auth(req),
            req.params.organizationId,
            req.params.invitationId,
            req.body ?? {},
          ),
        ),
    );
  };
