// The audit log (SPEC §10): an organization's events as its admins may read them. Apart from the
// events module, which every transition writes to and which therefore imports no module that does.

import type { Db } from '../../db/create-db.js';
import { commonErrors } from '../../errors.js';
import {
  type EventRecord,
  type EventType,
  familyOf,
  INVITATION_EVENTS,
  MEMBERSHIP_EVENTS,
} from '../events/event.model.js';
import { listEvents } from '../events/events.repository.js';
import { type Cursor, decodeCursor } from '../invitations/invitation.model.js';
import { accessTo } from '../organizations/access.js';
import type { Principal } from '../users/principal.js';

/** The audit log's validated query. */
export interface EventQuery {
  type?: EventType;
  occurredAfter?: string;
  occurredBefore?: string;
  limit?: number;
  cursor?: string;
}

export interface EventPage {
  items: EventRecord[];
  /** the position after the last item, when another page exists */
  next: Cursor | null;
  limit: number;
}

export function createAuditLogService(deps: { db: Db }) {
  const { db } = deps;
  return {
    /**
     * The organization's audit log, newest first, keyset-paginated. A caller sees invitation.*
     * only with invitations:read and membership.* only with members:read (a plain member must not
     * read invitees' addresses through the log); asking for a type they may not see is 403, and so
     * is holding neither. Not a member: 404.
     */
    async list(principal: Principal, organizationId: string, query: EventQuery): Promise<EventPage> {
      const cursor = query.cursor ? decodeCursor(query.cursor) : undefined;
      const limit = query.limit ?? 50;
      const access = await accessTo(db.reads, principal, organizationId);
      const may = (p: 'invitations:read' | 'members:read') => access.permissions.has(p);
      let types: readonly string[];
      if (query.type) {
        if (!may(familyOf(query.type))) throw commonErrors.forbidden(familyOf(query.type));
        types = [query.type];
      } else {
        types = [
          ...(may('invitations:read') ? INVITATION_EVENTS : []),
          ...(may('members:read') ? MEMBERSHIP_EVENTS : []),
        ];
        if (types.length === 0) throw commonErrors.forbidden('invitations:read or members:read');
      }
      const rows = await listEvents(db.reads, organizationId, {
        types,
        ...(query.occurredAfter ? { after: Date.parse(query.occurredAfter) } : {}),
        ...(query.occurredBefore ? { before: Date.parse(query.occurredBefore) } : {}),
        ...(cursor ? { cursor: { at: cursor.createdAt, id: cursor.id } } : {}),
        limit: limit + 1,
      });
      const shown = rows.slice(0, limit);
      const last = shown[shown.length - 1];
      return {
        items: shown.map((r) => JSON.parse(r.payload) as EventRecord),
        next: rows.length > limit && last ? { createdAt: last.occurred_at, id: last.id } : null,
        limit,
      };
    },
  };
}

export type AuditLogService = ReturnType<typeof createAuditLogService>;
