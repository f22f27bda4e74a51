import { Type } from 'typebox';
import { type JsonAnswer, sendJson } from '../../http/json-answer.js';
import { PageQuery } from '../../http/schemas.js';
import { type Cursor, encodeCursor, type PageOptions } from '../../modules/invitations/invitation.model.js';
import { pageJson } from '../../modules/invitations/invitation-list-json.js';
import type { WithUrl } from '../../modules/invitations/invitations.service.js';
import type { SurfaceContext } from '../context.js';
import { type AdminApp, base, errs, security } from './common.js';
import { IdempotencyHeaders, idempotently, replayable } from './idempotent.js';
import { invitationOut, invitationWithUrlOut } from './mappers.js';
import * as S from './schemas.js';

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
  return { link: `<${publicUrl}${base}/${organizationId}/invitations?${q}>; rel="next"` };
}

/** An organization's invitations: create, list, get, revoke, resend. */
export function invitationRoutes(app: AdminApp, ctx: SurfaceContext): void {
  // one store per registration: answered list pages, kept while unchanged (kept-list-pages.ts)
  const listPages = ctx.invitations.listPages<JsonAnswer>();
  const { authenticate: auth } = ctx;

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
        headers: IdempotencyHeaders,
        body: S.CreateInvitation,
        response: { 201: replayable(S.InvitationWithUrl), ...errs(403, 404, 409, 413, 415, 422) },
      },
    },
    async (req, reply) => {
      const inv = await idempotently<WithUrl>(ctx, req, reply, 201, (principal, commit) =>
        ctx.invitations.create(principal, req.params.organizationId, req.body, commit),
      );
      return reply.send(invitationWithUrlOut(inv));
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
      // the items come as JSON text of this route's `Invitation`s (invitation-lists.repository.ts)
      const answer = await listPages.answer(await auth(req), organizationId, req.query, (page, opts) => ({
        body: pageJson('[', page, ']'),
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
        headers: IdempotencyHeaders,
        body: Type.Optional(S.ResendInvitation),
        response: { 200: replayable(S.InvitationWithUrl), ...errs(403, 404, 409, 413, 415, 422) },
      },
    },
    async (req, reply) => {
      const { organizationId, invitationId } = req.params;
      const inv = await idempotently<WithUrl>(ctx, req, reply, 200, (principal, commit) =>
        ctx.invitations.resend(principal, organizationId, invitationId, req.body ?? {}, commit),
      );
      return reply.send(invitationWithUrlOut(inv));
    },
  );
}
