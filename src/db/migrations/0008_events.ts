import type { Kysely } from 'kysely';

// Events (SPEC §10): one row per transition, written in the transaction of the transition itself.
// `payload` is the event record exactly as the audit log lists it and the webhooks carry it (JSON,
// camelCase, never a token or secret); the other columns exist to filter and page it. Rows are
// deleted by the retention sweep after EVENT_RETENTION.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'bigint', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .execute();
  // the audit log: newest first per organization, keyset on (occurred_at, id)
  await db.schema
    .createIndex('events_organization_time_idx')
    .on('events')
    .columns(['organization_id', 'occurred_at', 'id'])
    .execute();
  // the retention sweep: oldest first across organizations
  await db.schema.createIndex('events_time_idx').on('events').column('occurred_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('events').execute();
}
