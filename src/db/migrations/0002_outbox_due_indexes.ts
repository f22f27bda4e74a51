import { type Kysely, sql } from 'kysely';

// The dispatcher's claim looked for due rows through one index on (status, next_attempt_at) with an
// OR across two states, which SQLite answered by collecting every due row and sorting it: under a
// backlog each claim cost grew with the backlog (0.6 ms at a few thousand queued rows). Two partial
// indexes, one per question, answer each in index order and stop at the batch size: rows waiting
// to be sent by their next attempt time, and rows being sent by when their lease runs out.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('outbox_due_idx').execute();
  await db.schema
    .createIndex('outbox_waiting_idx')
    .on('outbox')
    .column('next_attempt_at')
    .where(sql.ref('status'), 'in', [sql.lit('queued'), sql.lit('retrying')])
    .execute();
  await db.schema
    .createIndex('outbox_leased_idx')
    .on('outbox')
    .column('lease_until')
    .where(sql.ref('status'), '=', sql.lit('sending'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('outbox_leased_idx').execute();
  await db.schema.dropIndex('outbox_waiting_idx').execute();
  await db.schema.createIndex('outbox_due_idx').on('outbox').columns(['status', 'next_attempt_at']).execute();
}
