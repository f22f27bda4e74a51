import { isUniqueViolation } from '../../db/errors.js';
import type { Executor } from '../../db/tx.js';
import type { Ids } from '../../platform/ids.js';
import { actorOf, type InvitationEventType, invitationShape, SYSTEM_ACTOR } from '../events/event.model.js';
import { recordEvent } from '../events/record.js';
import type { Principal } from '../users/principal.js';
import { markExpired } from './expiry.repository.js';
import { type Invitation, toInvitation } from './invitation.model.js';
import { findInvitation } from './invitations.repository.js';

// The invitation side of events: what the services record in the transaction of each transition.

/** invitation.<type> for the invitation as it is after the change; null principal = the system (expiry). */
export function invitationEvent(
  trx: Executor,
  ids: Ids,
  type: InvitationEventType,
  principal: Principal | null,
  invitation: Invitation,
  now: number,
) {
  return recordEvent(trx, ids, now, {
    type,
    organizationId: invitation.organizationId,
    actor: principal ? actorOf(principal) : SYSTEM_ACTOR,
    data: { invitation: invitationShape(invitation) },
  });
}

/** Stores a time-expired predecessor as expired (freeing the one-pending slot) and announces it. */
export async function expirePredecessor(
  trx: Executor,
  ids: Ids,
  organizationId: string,
  id: string,
  now: number,
): Promise<void> {
  if (!(await markExpired(trx, id, now))) return;
  const row = await findInvitation(trx, organizationId, id);
  if (row) await invitationEvent(trx, ids, 'invitation.expired', null, toInvitation(row, now), now);
}

/** A second pending invitation for the (organization, email): the partial unique index said no. */
export const isPendingConflict = (err: unknown): boolean =>
  isUniqueViolation(err, 'invitations_one_pending_idx') || isUniqueViolation(err, 'organization_id');
