import { sql } from 'kysely';
import { affected, precompiledResult } from '../../db/precompiled.js';
import type { Executor } from '../../db/tx.js';
import type { InvitationRow } from './invitation.model.js';
import { invitationColumns } from './invitations.repository.js';

// Storing `expired`: a create storing its time-expired predecessor, and the retention sweep.

/** Stores the derived expiry of a time-expired pending row, freeing the one-pending slot. */
const expire = precompiledResult((db: Executor, id: string, now: number) =>
  db
    .updateTable('invitations')
    .set({ status: 'expired', expired_at: now, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('expire_at', '<=', now),
);

export async function markExpired(db: Executor, id: string, now: number): Promise<boolean> {
  return affected(await expire(db, id, now)) === 1;
}

/**
 * The sweep: stores `expired` on up to `limit` time-expired pending rows, oldest expiry first, and
 * returns them (with their role) for their events. Conditional on still pending and expired, so two
 * sweeps at once never store (nor announce) the same row twice: on PostgreSQL the second waits on
 * the row lock and then finds it no longer pending.
 */
export async function expireDue(db: Executor, now: number, limit: number): Promise<InvitationRow[]> {
  const due = await db
    .selectFrom('invitations')
    .select('id')
    .where('status', '=', sql.lit('pending'))
    .where('expire_at', '<=', now)
    .orderBy('expire_at')
    .limit(limit)
    .execute();
  if (due.length === 0) return [];
  const stored = await db
    .updateTable('invitations')
    .set({ status: 'expired', expired_at: now, updated_at: now })
    .where(
      'id',
      'in',
      due.map((d) => d.id),
    )
    .where('status', '=', 'pending')
    .where('expire_at', '<=', now)
    .returning('id')
    .execute();
  if (stored.length === 0) return [];
  return invitationColumns(db)
    .where(
      'i.id',
      'in',
      stored.map((r) => r.id),
    )
    .execute();
}
