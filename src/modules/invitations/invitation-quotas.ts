import type { Limit } from '../../config.js';
import type { QuotaCheck } from '../quotas/reserve.js';
import type { Principal } from '../users/principal.js';
import { invitationErrors } from './invitations.errors.js';

// Which quotas an invitation counts against (SPEC §1): every mail sent (create or resend) counts per
// (organization, recipient), per recipient across organizations and per inviter; a create counts per
// organization too. Reserved before the transaction, given back when it does not commit (reserve.ts).

export interface InvitationQuotas {
  quotaOrg: Limit;
  quotaRecipient: Limit;
  quotaRecipientAll: Limit;
  quotaInviter: Limit;
}

/** The quotas a mail to `email` in the organization counts against (creates and resends alike). */
export function sendQuotas(
  limits: InvitationQuotas,
  principal: Principal,
  organizationId: string,
  email: string,
): QuotaCheck[] {
  return [
    {
      limit: limits.quotaRecipient,
      key: `recipient:${organizationId}:${email}`,
      exceeded: (s) => invitationErrors.quota(s, 'recipient'),
    },
    {
      limit: limits.quotaRecipientAll,
      key: `recipient-all:${email}`,
      exceeded: (s) => invitationErrors.quota(s, 'recipient'),
    },
    {
      limit: limits.quotaInviter,
      key: `inviter:${principal.userId}`,
      exceeded: (s) => invitationErrors.quota(s, 'inviter'),
    },
  ];
}

/** A create: the organization's quota, then every quota of the mail. */
export function createQuotas(
  limits: InvitationQuotas,
  principal: Principal,
  organizationId: string,
  email: string,
): QuotaCheck[] {
  return [
    {
      limit: limits.quotaOrg,
      key: `organization:${organizationId}`,
      exceeded: (s) => invitationErrors.quota(s, 'organization'),
    },
    ...sendQuotas(limits, principal, organizationId, email),
  ];
}
