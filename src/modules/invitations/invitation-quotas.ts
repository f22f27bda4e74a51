import type { Limit } from '../../config.js';
import type { QuotaCheck } from '../quotas/reserve.js';
import type { Principal } from '../users/principal.js';
import { invitationErrors } from './invitations.errors.js';

/** The quotas a mail to `email` in the organization counts against (creates and resends alike). */
export function sendQuotas(
  limits: { quotaRecipient: Limit; quotaRecipientAll: Limit; quotaInviter: Limit },
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
