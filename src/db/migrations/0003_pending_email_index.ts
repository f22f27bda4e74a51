import { type Kysely, sql } from 'kysely';

// Every invitation lookup by email is for stored-pending rows: the one-pending check on create
// (organization, email) and the invitee's list (email). One partial unique index on
// (email, organization_id) where pending answers both and keeps the one-pending rule, so the
// (email, status) index, which every create, accept, decline and revoke also had to write on a
// random page, goes. Same name, so the create's unique-violation check is unchanged.

/** The one-pending rule as a partial unique index over these columns, in this order. */
async function onePendingIndex(
  db: Kysely<unknown>,
  columns: ['email', 'organization_id'] | ['organization_id', 'email'],
) {
  await db.schema.dropIndex('invitations_one_pending_idx').execute();
  await db.schema
    .createIndex('invitations_one_pending_idx')
    .on('invitations')
    .columns(columns)
    .unique()
    .where(sql.ref('status'), '=', sql.lit('pending'))
    .execute();
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await onePendingIndex(db, ['email', 'organization_id']);
  await db.schema.dropIndex('invitations_email_idx').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('invitations_email_idx')
    .on('invitations')
    .columns(['email', 'status'])
    .execute();
  await onePendingIndex(db, ['organization_id', 'email']);
}
