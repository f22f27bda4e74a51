import type { Kysely } from 'kysely';

// Webhook endpoints per organization (SPEC §10) and their deliveries. A delivery is an outbox row of
// kind `webhook` (the dispatcher's lease, retry and backoff machinery), naming its endpoint and its
// event; `last_status_code` is the endpoint's last HTTP answer. Secrets are sealed with ADMIT_SECRET;
// during a rotation the previous one keeps signing until `previous_secret_until`. `failing_since` is
// the start of an unbroken run of failed attempts: three days of it disable the endpoint.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('webhooks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) =>
      c.notNull().references('organizations.id').onDelete('cascade'),
    )
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    // JSON array of event types; null means every type
    .addColumn('events', 'text')
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('disabled_reason', 'text')
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    .addColumn('previous_secret_sealed', 'text')
    .addColumn('previous_secret_until', 'bigint')
    .addColumn('failing_since', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('webhooks_organization_idx')
    .on('webhooks')
    .columns(['organization_id', 'created_at'])
    .execute();
  await db.schema.alterTable('outbox').addColumn('webhook_id', 'text').execute();
  await db.schema.alterTable('outbox').addColumn('event_id', 'text').execute();
  await db.schema.alterTable('outbox').addColumn('last_status_code', 'integer').execute();
  // an endpoint's deliveries, newest first
  await db.schema
    .createIndex('outbox_webhook_idx')
    .on('outbox')
    .columns(['webhook_id', 'created_at', 'id'])
    .execute();
  // the retention sweep: settled rows by age
  await db.schema.createIndex('outbox_created_idx').on('outbox').column('created_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('outbox_created_idx').execute();
  await db.schema.dropIndex('outbox_webhook_idx').execute();
  await db.schema.alterTable('outbox').dropColumn('last_status_code').execute();
  await db.schema.alterTable('outbox').dropColumn('event_id').execute();
  await db.schema.alterTable('outbox').dropColumn('webhook_id').execute();
  await db.schema.dropTable('webhooks').execute();
}
