import {
  type Kysely,
  type Migration,
  type MigrationProvider,
  type MigrationResultSet,
  Migrator,
  PostgresAdapter,
  sql,
} from 'kysely';
import * as m0001 from './migrations/0001_initial.js';
import * as m0002 from './migrations/0002_outbox_due_indexes.js';
import * as m0003 from './migrations/0003_pending_email_index.js';
import * as m0004 from './migrations/0004_invitation_list_version.js';
import * as m0005 from './migrations/0005_oauth.js';
import * as m0006 from './migrations/0006_web_sessions.js';
import * as m0007 from './migrations/0007_idempotency_keys.js';
import * as m0008 from './migrations/0008_events.js';
import * as m0009 from './migrations/0009_webhooks.js';
import * as m0010 from './migrations/0010_signing_key_activation.js';
import * as m0011 from './migrations/0011_invitation_status_list_index.js';
import type { Database } from './schema.js';

// Migrations are imported statically so the same list runs from `npm start`, the CLI and tests.
const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_outbox_due_indexes': m0002,
  '0003_pending_email_index': m0003,
  '0004_invitation_list_version': m0004,
  '0005_oauth': m0005,
  '0006_web_sessions': m0006,
  '0007_idempotency_keys': m0007,
  '0008_events': m0008,
  '0009_webhooks': m0009,
  '0010_signing_key_activation': m0010,
  '0011_invitation_status_list_index': m0011,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/**
 * On PostgreSQL the migration tables live in the connection's current schema (the first of
 * search_path). Without naming it, Kysely's existence check matches a kysely_migration table in ANY
 * schema of the database, skips creating its own and then fails ("kysely_migration_lock does not
 * exist") — e.g. a second schema-per-tenant or per-test database.
 */
async function migrationSchema(db: Kysely<Database>): Promise<string | undefined> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return undefined;
  const { rows } = await sql<{ s: string | null }>`select current_schema() as s`.execute(db);
  return rows[0]?.s ?? undefined;
}

async function migrator(db: Kysely<Database>): Promise<Migrator> {
  const schema = await migrationSchema(db);
  return new Migrator({ db, provider, ...(schema ? { migrationTableSchema: schema } : {}) });
}

function applied({ error, results }: MigrationResultSet): string[] {
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * Kysely's migrator first lists every table of the database (its introspector) to see whether its
 * own tables exist. On PostgreSQL a table dropped in ANOTHER schema while that listing runs (another
 * tenant's or test's migration going down) fails it with 42P01 "relation does not exist", before
 * anything of ours ran: then the listing is simply asked again. A column dropped there meanwhile
 * fails it the same way with 42703 (the listing resolves each column's serial sequence by name).
 * Our migrations run in a transaction on PostgreSQL, so asking again never applies half of one.
 */
async function retryingIntrospection<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if ((code !== '42P01' && code !== '42703') || attempt >= 5) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }
}

/** Applies every pending migration; throws with the failing migration's error. */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  return retryingIntrospection(async () => applied(await (await migrator(db)).migrateToLatest()));
}

/** Migrates up or down to the named migration (the upgrade path's tests start from an older schema). */
export async function migrateTo(db: Kysely<Database>, name: string): Promise<string[]> {
  return retryingIntrospection(async () => applied(await (await migrator(db)).migrateTo(name)));
}
