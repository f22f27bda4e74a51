import type { DeliveryStatus, StoredInvitationStatus } from '../../db/schema.js';
import { isoTime } from '../../platform/clock.js';
import type { Principal } from '../users/principal.js';

/** What an invitation event shows: the invitations module's Invitation has these fields and more. */
export interface InvitationFacts {
  id: string;
  email: string;
  role: string;
  workspaceId: string | null;
  status: StoredInvitationStatus;
  inviterId: string;
  createdAt: number;
  expireAt: number;
  delivery: {
    status: DeliveryStatus;
    attempts: number;
    lastAttemptAt: number | null;
    lastError: string | null;
  };
}

// The event record (SPEC §10): what the audit log lists and what a webhook carries as `data`. Its
// `data` holds the objects in the admin API's camelCase shapes, built here once so the admin surface
// (src/surfaces/admin/mappers.ts) and the events agree field for field. Never a token, a token hash
// or a secret: these shapes have no such field.

export const INVITATION_EVENTS = [
  'invitation.created',
  'invitation.resent',
  'invitation.accepted',
  'invitation.declined',
  'invitation.revoked',
  'invitation.expired',
] as const;
export const MEMBERSHIP_EVENTS = ['membership.created', 'membership.updated', 'membership.removed'] as const;
export const EVENT_TYPES = [...INVITATION_EVENTS, ...MEMBERSHIP_EVENTS] as const;

export type InvitationEventType = (typeof INVITATION_EVENTS)[number];
export type MembershipEventType = (typeof MEMBERSHIP_EVENTS)[number];
export type EventType = (typeof EVENT_TYPES)[number];

export const isEventType = (s: string): s is EventType => (EVENT_TYPES as readonly string[]).includes(s);

export interface Actor {
  type: 'user' | 'client' | 'system';
  id: string | null;
  name: string | null;
}

/** Expiry happens by time, whoever's request (or the sweep) stores it. */
export const SYSTEM_ACTOR: Actor = Object.freeze({ type: 'system', id: null, name: 'Admit' }) as Actor;

/** Who acted: a user (their user id), or a registered client (its client id). */
export function actorOf(principal: Principal): Actor {
  if (principal.client) return { type: 'client', id: principal.client.clientId, name: principal.name };
  return { type: 'user', id: principal.userId, name: principal.name };
}

/** An organization member as the admin API shows one. */
export interface Member {
  userId: string;
  email: string | null;
  name: string | null;
  role: string;
  joinedAt: number;
}

const isoOrNull = (ms: number | null) => (ms === null ? null : isoTime(ms));

/** The admin API's invitation (seed 003), without `url`. */
export const invitationShape = <I extends InvitationFacts>(i: I) => ({
  id: i.id,
  email: i.email,
  role: i.role,
  workspaceId: i.workspaceId,
  status: i.status,
  inviterId: i.inviterId,
  createdAt: isoTime(i.createdAt),
  expireAt: isoTime(i.expireAt),
  delivery: { ...i.delivery, lastAttemptAt: isoOrNull(i.delivery.lastAttemptAt) },
});

/** The admin API's member. */
export const memberShape = (m: Member) => ({
  userId: m.userId,
  email: m.email,
  name: m.name,
  role: m.role,
  joinedAt: isoTime(m.joinedAt),
});

export type InvitationData = { invitation: ReturnType<typeof invitationShape> };
export type MembershipData = { membership: ReturnType<typeof memberShape>; previousRole?: string };

/** What a service records; id and time are given by recordEvent. */
export type NewEvent =
  | { type: InvitationEventType; organizationId: string; actor: Actor; data: InvitationData }
  | { type: MembershipEventType; organizationId: string; actor: Actor; data: MembershipData };

export interface EventRecord {
  id: string;
  type: EventType;
  occurredAt: string;
  organizationId: string;
  actor: Actor;
  data: InvitationData | MembershipData;
}

/** The event's permission family: invitation.* needs invitations:read, membership.* members:read. */
export const familyOf = (type: string): 'invitations:read' | 'members:read' =>
  type.startsWith('invitation.') ? 'invitations:read' : 'members:read';
