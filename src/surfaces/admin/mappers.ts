import type { Invitation } from '../../modules/invitations/invitation.model.js';
import type { WithUrl } from '../../modules/invitations/invitations.service.js';
import type { Member } from '../../modules/organizations/members.service.js';
import type { Organization } from '../../modules/organizations/organizations.service.js';
import { isoTime } from '../../platform/clock.js';

export const iso = isoTime;
export const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export const organizationOut = (o: Organization) => ({
  id: o.id,
  name: o.name,
  logoUrl: o.logoUrl,
  createdAt: iso(o.createdAt),
});

export const memberOut = (m: Member) => ({ ...m, joinedAt: iso(m.joinedAt) });

export const invitationOut = (i: Invitation) => ({
  id: i.id,
  email: i.email,
  role: i.role,
  workspaceId: i.workspaceId,
  status: i.status,
  inviterId: i.inviterId,
  createdAt: iso(i.createdAt),
  expireAt: iso(i.expireAt),
  delivery: { ...i.delivery, lastAttemptAt: isoOrNull(i.delivery.lastAttemptAt) },
});

export const invitationWithUrlOut = (i: WithUrl) => ({ ...invitationOut(i), url: i.url });
