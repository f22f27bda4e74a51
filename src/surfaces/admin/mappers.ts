import { invitationShape, memberShape } from '../../modules/events/event.model.js';
import type { WithUrl } from '../../modules/invitations/invitations.service.js';
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

// one shape for the API and the events (src/modules/events/event.model.ts)
export const memberOut = memberShape;

export const invitationOut = invitationShape;

export const invitationWithUrlOut = (i: WithUrl) => ({ ...invitationOut(i), url: i.url });
