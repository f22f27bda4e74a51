import { type Kysely, SqliteAdapter, sql } from 'kysely';

// SQLite only: a change counter per organization, `invitation_list_versions.version`, that the
// database itself bumps in the same transaction as every write that can change what the
// organization's invitation list shows (an invitation inserted, updated or deleted; a role renamed
// or re-keyed). Triggers, not application code, so no write path can forget it: the service, the
// outbox dispatcher, the CLI, a second process on the same file or a hand-run SQL statement.
//
// src/modules/invitations/kept-list-pages.ts keeps answered list pages per organization and reuses
// one only while the counter is unchanged (and no pending row on it has reached its expiry), so a
// page never outlives a write. `db.capabilities.keepsListVersions` tells it where this table exists.
// Reading a 100-row page costs ~0.2 ms of SQLite work alone; reading the counter ~5 us.
//
// Not on PostgreSQL: there each bump would hold the organization's row lock until COMMIT and
// serialize every concurrent write in an organization. PostgreSQL lists are read every time.

const VERSIONED_BY: [trigger: string, event: string, organizations: string[]][] = [
  ['invitations_list_version_insert', 'after insert on invitations', ['new.organization_id']],
  [
    'invitations_list_version_update',
    'after update on invitations',
    ['old.organization_id', 'new.organization_id'],
  ],
  ['invitations_list_version_delete', 'after delete on invitations', ['old.organization_id']],
  [
    'roles_list_version_update',
    'after update of key, name on roles',
    ['old.organization_id', 'new.organization_id'],
  ],
];

const isSqlite = (db: Kysely<unknown>) => db.getExecutor().adapter instanceof SqliteAdapter;

export async function up(db: Kysely<unknown>): Promise<void> {
  if (!isSqlite(db)) return;
  // its own table, not a column of organizations: the organizations rows stay the same on both
  // dialects. No row yet means version 0. Organizations are never deleted, so no cleanup.
  await sql`create table invitation_list_versions (
    organization_id text primary key,
    version integer not null
  ) without rowid`.execute(db);
  for (const [name, event, organizations] of VERSIONED_BY) {
    const rows = organizations.map((o) => `(${o}, 1)`).join(', ');
    await sql
      .raw(
        `create trigger ${name} ${event} begin ` +
          `insert into invitation_list_versions (organization_id, version) values ${rows} ` +
          'on conflict (organization_id) do update set version = version + 1; end',
      )
      .execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (!isSqlite(db)) return;
  for (const [name] of VERSIONED_BY) await sql.raw(`drop trigger ${name}`).execute(db);
  await sql`drop table invitation_list_versions`.execute(db);
}
