import { type Kysely, sql } from 'kysely';

// Key rotation of the built-in issuer (`admit keys rotate`): a key is published from `created_at` and
// signs only from `activates_at`, once every process has re-read the key set and published it. A
// key's retirement is not stored: it follows from its successor's activation
// (src/platform/auth/signing-keys.ts). Keys that exist already have always signed: activates_at =
// created_at. The default 0 (a row written without it) means "signs at once".

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('signing_keys')
    .addColumn('activates_at', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`update signing_keys set activates_at = created_at`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('signing_keys').dropColumn('activates_at').execute();
}
