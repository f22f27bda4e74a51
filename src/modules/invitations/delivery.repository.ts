import type { Executor } from '../../db/tx.js';
import { invitationFacts } from './invitation-views.repository.js';

// The invitation's side of an email delivery, for the dispatcher (src/outbox/): what the message says,
// and the `delivery` columns admins see. The outbox rows themselves are modules/outbox's.

/** What the message says: organization, workspace, role, inviter, expiry; plus the state that decides whether to send. */
export function findMailFacts(db: Executor, invitationId: string) {
  return invitationFacts(db).where('i.id', '=', invitationId).executeTakeFirst();
}

/**
 * PostgreSQL: locks the invitations behind a group of settlements, in id order, before their outbox
 * rows. Services lock an invitation first and then its outbox rows (resend, revoke, accept cancel
 * undelivered mail); settling in the other order could deadlock with them.
 */
export async function lockInvitations(db: Executor, invitationIds: string[]): Promise<void> {
  if (invitationIds.length === 0) return;
  await db
    .selectFrom('invitations')
    .select('id')
    .where('id', 'in', invitationIds)
    .orderBy('id')
    .forUpdate()
    .execute();
}

/** Mirrors the outcome onto the invitation's `delivery` (what admins see). */
export async function recordDelivery(
  db: Executor,
  invitationId: string,
  delivery: { status: 'sent' | 'retrying' | 'failed'; attempts: number; at: number; error: string | null },
): Promise<void> {
  await db
    .updateTable('invitations')
    .set({
      delivery_status: delivery.status,
      delivery_attempts: delivery.attempts,
      delivery_last_attempt_at: delivery.at,
      delivery_last_error: delivery.error,
    })
    .where('id', '=', invitationId)
    .execute();
}
