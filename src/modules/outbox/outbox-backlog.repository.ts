import { sql } from 'kysely';
import type { OutboxStatus } from '../../db/schema.js';
import type { Executor } from '../../db/tx.js';

// ---- the operators' side: how far behind the dispatchers are (metrics) -----------------------------

/**
 * The rows not yet settled (waiting: queued or retrying; sending: leased) and the oldest due time
 * among the waiting ones, in one statement. Each subquery reads one of the partial indexes of
 * migration 0002 (the same literal statuses), so the cost follows the backlog, never the table's
 * history of sent mail.
 */
export async function outboxBacklog(
  db: Executor,
  now: number,
): Promise<{ waiting: number; sending: number; oldestDueAt: number | null }> {
  const waiting = [sql.lit<OutboxStatus>('queued'), sql.lit<OutboxStatus>('retrying')];
  const row = await db
    .selectNoFrom((eb) => [
      eb
        .selectFrom('outbox')
        .select((e) => e.fn.countAll<number>().as('n'))
        .where('status', 'in', waiting)
        .as('waiting'),
      eb
        .selectFrom('outbox')
        .select((e) => e.fn.countAll<number>().as('n'))
        .where('status', '=', sql.lit<OutboxStatus>('sending'))
        .as('sending'),
      eb
        .selectFrom('outbox')
        .select((e) => e.fn.min('next_attempt_at').as('t'))
        .where('status', 'in', waiting)
        .where('next_attempt_at', '<=', now)
        .as('oldest_due_at'),
    ])
    .executeTakeFirstOrThrow();
  return {
    waiting: Number(row.waiting ?? 0),
    sending: Number(row.sending ?? 0),
    oldestDueAt:
      row.oldest_due_at === null || row.oldest_due_at === undefined ? null : Number(row.oldest_due_at),
  };
}
