import { Type } from 'typebox';
import { DateTime, Nullable, Uuid } from '../../http/schemas.js';
import { EVENT_TYPES } from '../../modules/events/event.model.js';
import { Invitation, Member } from './schemas.js';

// The event record (SPEC §10) as the audit log lists it and webhooks carry it as `data`.

export const EventType = Type.Enum([...EVENT_TYPES]);

export const Actor = Type.Object({
  type: Type.Enum(['user', 'client', 'system']),
  id: Nullable(Type.String({ description: 'User id, client id, or null for the system.' })),
  name: Nullable(Type.String()),
});

export const Event = Type.Object({
  id: Uuid('Event id; the `webhook-id` of its deliveries.'),
  type: EventType,
  occurredAt: DateTime(),
  organizationId: Uuid(),
  actor: Actor,
  data: Type.Object({
    invitation: Type.Optional(Invitation),
    membership: Type.Optional(Member),
    previousRole: Type.Optional(Type.String({ description: 'membership.updated: the role before.' })),
  }),
});

export const EventQuery = Type.Object({
  type: Type.Optional(EventType),
  occurredAfter: Type.Optional(DateTime('Only events strictly after this time.')),
  occurredBefore: Type.Optional(DateTime('Only events strictly before this time.')),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(
    Type.String({ maxLength: 512, description: 'Opaque position from the previous page.' }),
  ),
});
