import { Type } from 'typebox';
import type { SurfaceContext } from '../context.js';
import { type AdminApp, base, errs, security } from './common.js';
import { memberOut } from './mappers.js';
import * as S from './schemas.js';

/** An organization's members: list, change a role, remove. */
export function memberRoutes(app: AdminApp, ctx: SurfaceContext): void {
  const { authenticate: auth } = ctx;

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
}
