import { type Kysely, SqliteAdapter, sql } from 'kysely';

// The built-in OpenID provider's state (src/oauth/): one table of oidc-provider payloads by model and
// id, the registered clients, the sign-in codes and the subject → email map of provider accounts.
// The outbox also carries sign-in code mail now, which belongs to no invitation: its invitation_id
// becomes nullable (SQLite cannot drop a NOT NULL, so the table is rebuilt there).

const OUTBOX_COLUMNS =
  'id, invitation_id, kind, recipient, status, attempts, next_attempt_at, lease_owner, lease_until, ' +
  'sealed_token, message_id, last_attempt_at, last_error, created_at, sent_at';

async function outboxInvitationNullable(db: Kysely<unknown>, nullable: boolean): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) {
    // going back: mail that belongs to no invitation cannot stay
    if (!nullable) await sql`delete from outbox where invitation_id is null`.execute(db);
    await sql
      .raw(`alter table outbox alter column invitation_id ${nullable ? 'drop' : 'set'} not null`)
      .execute(db);
    return;
  }
  // one transaction: the rows are never without a table
  await db.transaction().execute(async (trx) => {
    await sql
      .raw(
        `create table outbox_new (
          id text primary key,
          invitation_id text ${nullable ? '' : 'not null'} references invitations (id) on delete cascade,
          kind text not null,
          recipient text not null,
          status text not null,
          attempts integer not null default 0,
          next_attempt_at bigint not null,
          lease_owner text,
          lease_until bigint,
          sealed_token text,
          message_id text not null unique,
          last_attempt_at bigint,
          last_error text,
          created_at bigint not null,
          sent_at bigint,
          constraint outbox_status_check check (status in ('queued', 'sending', 'retrying', 'sent', 'failed', 'cancelled'))
        )`,
      )
      .execute(trx);
    const rows = nullable ? '' : ' where invitation_id is not null';
    await sql
      .raw(`insert into outbox_new (${OUTBOX_COLUMNS}) select ${OUTBOX_COLUMNS} from outbox${rows}`)
      .execute(trx);
    await sql`drop table outbox`.execute(trx);
    await sql`alter table outbox_new rename to outbox`.execute(trx);
    await sql`create index outbox_invitation_idx on outbox (invitation_id)`.execute(trx);
    await sql`create index outbox_waiting_idx on outbox (next_attempt_at) where status in ('queued', 'retrying')`.execute(
      trx,
    );
    await sql`create index outbox_leased_idx on outbox (lease_until) where status = 'sending'`.execute(trx);
  });
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('oauth_payloads')
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('grant_id', 'text')
    .addColumn('user_code', 'text')
    .addColumn('uid', 'text')
    .addColumn('expires_at', 'bigint')
    .addColumn('consumed_at', 'bigint')
    .addPrimaryKeyConstraint('oauth_payloads_pkey', ['model', 'id'])
    .execute();
  await db.schema.createIndex('oauth_payloads_grant_idx').on('oauth_payloads').column('grant_id').execute();
  await db.schema
    .createIndex('oauth_payloads_uid_idx')
    .on('oauth_payloads')
    .columns(['model', 'uid'])
    .execute();
  await db.schema
    .createIndex('oauth_payloads_user_code_idx')
    .on('oauth_payloads')
    .columns(['model', 'user_code'])
    .execute();
  await db.schema
    .createIndex('oauth_payloads_expiry_idx')
    .on('oauth_payloads')
    .column('expires_at')
    .execute();

  await db.schema
    .createTable('oauth_clients')
    .addColumn('client_id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    /** SHA-256 hex of the secret; null for a public client */
    .addColumn('secret_hash', 'text')
    /** JSON array of redirect URIs */
    .addColumn('redirect_uris', 'text', (c) => c.notNull())
    .addColumn('admin', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('organization_id', 'text', (c) => c.references('organizations.id').onDelete('cascade'))
    .addColumn('role_key', 'text')
    /** the users row that names this client as inviter (issuer urn:admit:client, never a member) */
    .addColumn('inviter_user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addCheckConstraint(
      'oauth_clients_grant_check',
      sql`(organization_id is null) = (role_key is null) and not (admin = 1 and organization_id is not null)`,
    )
    .execute();

  await db.schema
    .createTable('oauth_sign_in_codes')
    .addColumn('uid', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('oauth_sign_in_codes_expiry_idx')
    .on('oauth_sign_in_codes')
    .column('expires_at')
    .execute();

  await db.schema
    .createTable('oauth_accounts')
    .addColumn('subject', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await outboxInvitationNullable(db, true);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await outboxInvitationNullable(db, false);
  for (const t of ['oauth_accounts', 'oauth_sign_in_codes', 'oauth_clients', 'oauth_payloads']) {
    await db.schema.dropTable(t).execute();
  }
}
