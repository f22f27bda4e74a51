import type { Kysely } from 'kysely';

// The admin list filtered by status (`?status=pending`, `accepted`, …) walked the organization's
// (organization_id, created_at, id) index newest first and skipped every row of another status: a
// page of a rare status in a large organization read the whole organization. With the status in the
// index, each filter is one range per stored status, read in page order and left after limit + 1 rows
// (`expired`, stored or time-expired, is two ranges merged: invitation-lists.repository.ts).

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('invitations_org_status_created_idx')
    .on('invitations')
    .columns(['organization_id', 'status', 'created_at', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('invitations_org_status_created_idx').execute();
}
