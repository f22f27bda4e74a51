import { Type } from 'typebox';
import { encodeCursor } from '../../modules/invitations/invitation.model.js';
import type { SurfaceContext } from '../context.js';
import { type AdminApp, base, errs, security } from './common.js';
import { Event, EventQuery } from './event.schemas.js';
import * as S from './schemas.js';

/** The audit log: an organization's events, newest first. */
export function eventRoutes(app: AdminApp, ctx: SurfaceContext): void {
  app.get(
    `${base}/:organizationId/events`,
    {
      schema: {
        operationId: 'listEvents',
        summary:
          'The audit log, newest first (invitations:read for invitation.*, members:read for membership.*)',
        description:
          'Keyset-paginated: the next page is in the `Link: <…>; rel="next"` header. A caller sees only the ' +
          'event types their permissions allow; asking for another type is 403.',
        tags: ['events'],
        security,
        params: S.OrgParams,
        querystring: EventQuery,
        response: { 200: Type.Array(Event), ...errs(403, 404) },
      },
    },
    async (req, reply) => {
      const { organizationId } = req.params;
      const page = await ctx.events.list(await ctx.authenticate(req), organizationId, req.query);
      if (page.next) {
        const q = new URLSearchParams();
        for (const [k, v] of Object.entries(req.query))
          if (k !== 'cursor' && v !== undefined) q.set(k, String(v));
        q.set('limit', String(page.limit));
        q.set('cursor', encodeCursor(page.next));
        reply.header('link', `<${ctx.publicUrl}${base}/${organizationId}/events?${q}>; rel="next"`);
      }
      return page.items;
    },
  );
}
