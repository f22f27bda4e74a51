import type { Kysely } from 'kysely';

// Web sessions of the invitation page (issue 14). The browser holds a random cookie value; the row
// is keyed by its SHA-256, so a leaked database does not hand out live sessions. The identity the
// provider asserted at sign-in is kept with the session, so each request rebuilds the same Identity
// the API builds from a bearer token. Sign-out deletes the row: the cookie then names nothing.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('web_sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('email_verified', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('name', 'text')
    .addColumn('picture', 'text')
    // the synchronizer token of the session's forms (CSRF); not a credential on its own
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    // the issuer's refresh token sealed with ADMIT_SECRET, revoked at sign-out; null when none was issued
    .addColumn('refresh_sealed', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('web_sessions_expires_idx').on('web_sessions').column('expires_at').execute();
  await db.schema.createIndex('web_sessions_user_idx').on('web_sessions').column('user_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('web_sessions').execute();
}
