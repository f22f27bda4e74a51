import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type TSchema, Type } from 'typebox';
import { sendJson } from '../../http/json-answer.js';
import { DateTime, errorResponses, InvitationStatus, Nullable, PageQuery, Uuid } from '../../http/schemas.js';
import { encodeCursor, type Invitation, pageOptions } from '../../modules/invitations/invitation.model.js';
import { pageJson } from '../../modules/invitations/invitation-list-json.js';
import { isoTime } from '../../platform/clock.js';
import type { SurfaceContext } from '../context.js';

// Seeds 000 and 002: /api/v1/invitations with the {success, data, message} envelope and snake_case.

const security = [{ bearerAuth: [] }];
const errs = (...s: number[]) => errorResponses('envelope', [400, ...s]);
const envelope = <T extends TSchema>(data: T) =>
  Type.Object({ success: Type.Literal(true), data, message: Type.String() });
const ok = <T>(data: T, message: string) => ({ success: true as const, data, message });

const ListedInvitation = Type.Object({
  id: Uuid(),
  email: Type.String(),
  role: Type.String({ description: 'Role key.' }),
  status: InvitationStatus,
  organization_id: Uuid(),
  workspace_id: Nullable(Uuid()),
  inviter_id: Uuid(),
  created_at: DateTime(),
  expires_at: DateTime(),
});

const listed = (i: Invitation) => ({
  id: i.id,
  email: i.email,
  role: i.role,
  status: i.status,
  organization_id: i.organizationId,
  workspace_id: i.workspaceId,
  inviter_id: i.inviterId,
  created_at: isoTime(i.createdAt),
  expires_at: isoTime(i.expireAt),
});

const PublicInvitation = Type.Object({
  id: Uuid(),
  email: Type.String(),
  organization: Type.Object({ id: Uuid(), name: Type.String() }),
  workspace: Nullable(Type.Object({ id: Uuid(), name: Type.String() })),
  role: Type.Object({ id: Uuid(), name: Type.String() }),
  expires_at: DateTime(),
});

const TokenParams = Type.Object({
  invitation_token: Type.String({
    maxLength: 200,
    description: 'The invitation token from the email link (DELETE takes the invitation id here).',
  }),
});

const Membership = Type.Object({
  organization_id: Uuid(),
  workspace_id: Nullable(Uuid()),
  user_id: Uuid(),
  role: Type.String({ description: 'Role key.' }),
});

const RETRIEVED = 'Invitation retrieved successfully.';
const LISTED = JSON.stringify('Invitations retrieved successfully.');

export const apiV1Routes =
  (ctx: SurfaceContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    const auth = ctx.authenticate;
    const noStore = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' };

    app.get(
      '/api/v1/invitations',
      {
        schema: {
          operationId: 'listInvitationsScoped',
          summary: 'List invitations with permission scoping',
          description:
            'System admins see every invitation; anyone else the invitations of organizations where they hold invitations:read.',
          tags: ['invitations'],
          security,
          querystring: PageQuery,
          response: {
            200: envelope(
              Type.Object({
                invitations: Type.Array(ListedInvitation),
                next_cursor: Nullable(Type.String()),
              }),
            ),
            ...errs(401),
          },
        },
      },
      async (req, reply) => {
        const page = await ctx.respond.listScoped(await auth(req), pageOptions(req.query));
        // the items come as JSON text of `ListedInvitation`s (invitation-lists.repository.ts)
        const next = page.next ? JSON.stringify(encodeCursor(page.next)) : 'null';
        return sendJson(reply, {
          body: pageJson(
            '{"success":true,"data":{"invitations":[',
            page,
            `],"next_cursor":${next}},"message":${LISTED}}`,
          ),
          headers: {},
        });
      },
    );

    app.get(
      '/api/v1/invitations/:invitation_token',
      {
        schema: {
          operationId: 'getInvitationByToken',
          summary: 'Get an invitation by token (public, no auth required)',
          tags: ['invitations'],
          params: TokenParams,
          response: {
            200: envelope(Type.Object({ invitation: PublicInvitation, message: Type.String() })),
            ...errs(404, 410),
          },
        },
        config: ctx.publicRateLimit ? { rateLimit: ctx.publicRateLimit } : {},
      },
      async (req, reply) => {
        reply.headers(noStore);
        const v = await ctx.respond.preview(req.params.invitation_token);
        return ok(
          {
            invitation: {
              id: v.id,
              email: v.email,
              organization: { id: v.organization.id, name: v.organization.name },
              workspace: v.workspace,
              role: { id: v.role.id, name: v.role.name },
              expires_at: isoTime(v.expireAt),
            },
            message: RETRIEVED,
          },
          RETRIEVED,
        );
      },
    );

    app.delete(
      '/api/v1/invitations/:invitation_token',
      {
        schema: {
          operationId: 'revokeInvitationById',
          summary: 'Revoke an invitation (the path segment is the invitation id)',
          description:
            'Shares the path template with the public GET; DELETE takes the invitation id there. Needs invitations:revoke.',
          tags: ['invitations'],
          security,
          params: Type.Object({ invitation_token: Uuid('The invitation id.') }),
          response: {
            200: envelope(Type.Object({ invitation: ListedInvitation })),
            ...errs(401, 403, 404, 409),
          },
        },
      },
      async (req) => {
        const inv = await ctx.invitations.revokeById(await auth(req), req.params.invitation_token);
        return ok({ invitation: listed(inv) }, 'Invitation revoked successfully.');
      },
    );

    app.post(
      '/api/v1/invitations/:invitation_token/accept',
      {
        schema: {
          operationId: 'acceptInvitationByToken',
          summary: 'Accept an invitation (creates the membership and role assignment)',
          tags: ['invitations'],
          security,
          params: TokenParams,
          response: {
            200: envelope(Type.Object({ membership: Membership })),
            ...errs(401, 403, 404, 410, 415),
          },
        },
      },
      async (req, reply) => {
        reply.headers(noStore);
        const m = await ctx.respond.acceptByToken(req.params.invitation_token, () => auth(req));
        return ok(
          {
            membership: {
              organization_id: m.organizationId,
              workspace_id: m.workspaceId,
              user_id: m.userId,
              role: m.role,
            },
          },
          'Invitation accepted successfully.',
        );
      },
    );

    app.post(
      '/api/v1/invitations/:invitation_token/decline',
      {
        schema: {
          operationId: 'declineInvitationByToken',
          summary: 'Decline an invitation',
          tags: ['invitations'],
          security,
          params: TokenParams,
          response: {
            200: envelope(Type.Object({ invitation: ListedInvitation })),
            ...errs(401, 403, 404, 410, 415),
          },
        },
      },
      async (req, reply) => {
        reply.headers(noStore);
        const inv = await ctx.respond.declineByToken(req.params.invitation_token, () => auth(req));
        return ok({ invitation: listed(inv) }, 'Invitation declined successfully.');
      },
    );
  };
