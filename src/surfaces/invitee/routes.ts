import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DateTime, errorResponses, Nullable, Uuid } from '../../http/schemas.js';
import type { InviteeInvitation } from '../../modules/invitations/respond.service.js';
import { isoTime } from '../../platform/clock.js';
import type { SurfaceContext } from '../context.js';

// Seed 001: the signed-in invitee's own pending invitations, snake_case, bare JSON, problem+json errors.

const security = [{ bearerAuth: [] }];
const errs = (...s: number[]) => errorResponses('problem', [401, 403, ...s]);

const PendingInvitation = Type.Object({
  id: Uuid(),
  organization_name: Type.String(),
  organization_logo_url: Nullable(Type.String()),
  organization_member_count: Type.Integer({ minimum: 0 }),
  inviting_user_name: Nullable(
    Type.String({ description: "The inviter's display name: their name, else their email address." }),
  ),
  inviting_user_avatar_url: Nullable(Type.String()),
  expiration_date: DateTime(),
});

const out = (i: InviteeInvitation) => ({
  id: i.id,
  organization_name: i.organizationName,
  organization_logo_url: i.organizationLogoUrl,
  organization_member_count: i.organizationMemberCount,
  inviting_user_name: i.invitingUserName,
  inviting_user_avatar_url: i.invitingUserAvatarUrl,
  expiration_date: isoTime(i.expirationDate),
});

const IdParams = Type.Object({ invitation_id: Uuid('ID of the invitation.') });

export const inviteeRoutes =
  (ctx: SurfaceContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    const auth = ctx.authenticate;

    app.get(
      '/invitations',
      {
        schema: {
          operationId: 'listPendingInvitations',
          summary: 'List pending invitations for the authenticated user',
          tags: ['invitee'],
          security,
          response: { 200: Type.Array(PendingInvitation), ...errs() },
        },
      },
      async (req) => (await ctx.respond.listMine(await auth(req))).map(out),
    );

    app.get(
      '/invitations/:invitation_id',
      {
        schema: {
          operationId: 'getPendingInvitation',
          summary: 'Get a pending invitation',
          tags: ['invitee'],
          security,
          params: IdParams,
          response: { 200: PendingInvitation, ...errs(400, 404) },
        },
      },
      async (req) => out(await ctx.respond.getMine(await auth(req), req.params.invitation_id)),
    );

    app.post(
      '/invitations/:invitation_id',
      {
        schema: {
          operationId: 'respondToInvitation',
          summary: 'Accept or decline a pending invitation',
          description: 'Answers the organization id (a JSON string) when accepted, null when declined.',
          tags: ['invitee'],
          security,
          params: IdParams,
          querystring: Type.Object({ accept: Type.Boolean() }),
          response: { 200: Nullable(Uuid()), ...errs(400, 404, 410, 415) },
        },
      },
      async (req, reply) => {
        const orgId = await ctx.respond.respondById(
          await auth(req),
          req.params.invitation_id,
          req.query.accept,
        );
        // a JSON string or null (seed 001), serialized here so the raw string is never sent unquoted
        return reply.type('application/json; charset=utf-8').serializer(JSON.stringify).send(orgId);
      },
    );
  };
