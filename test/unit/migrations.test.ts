import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createDb, type Db } from '../../src/db/create-db.js';
import { isUniqueViolation } from '../../src/db/errors.js';
import { migrateTo, migrateToLatest } from '../../src/db/migrate.js';
import { newPendingInvitation } from '../../src/modules/invitations/invitation.model.js';
import { sha256Hex } from '../../src/platform/crypto.js';
import { uuidv7 } from '../../src/platform/ids.js';
import { dialects, freshDatabase } from '../support/db.js';

// The upgrade path: a database holding rows under an older schema migrates to the latest one (and
// back) with its rows and its one-pending rule intact.

const BEFORE_0003 = '0002_outbox_due_indexes';
const M0003 = '0003_pending_email_index';
const M0004 = '0004_invitation_list_version';
const M0005 = '0005_oauth';
const M0009 = '0009_webhooks';
const M0010 = '0010_signing_key_activation';
const M0011 = '0011_invitation_status_list_index';

for (const dialect of dialects()) {
  describe(`[${dialect}] migrations on a database with rows`, () => {
    let db: Db;
    const orgs = [uuidv7(), uuidv7()];
    const roles = [uuidv7(), uuidv7()];
    const user = uuidv7();
    let n = 0;

    const invitation = (org: number, email: string) =>
      newPendingInvitation({
        id: uuidv7(),
        organization_id: orgs[org] as string,
        workspace_id: null,
        email,
        role_id: roles[org] as string,
        inviter_id: user,
        token_hash: sha256Hex(`token-${n++}`),
        created_at: 1_000 + n,
        expire_at: 10_000_000,
        delivery_status: 'none',
      });
    const insert = (org: number, email: string) =>
      db.kysely.insertInto('invitations').values(invitation(org, email)).execute();

    const invitationIndexes = async (): Promise<string[]> => {
      const q =
        dialect === 'sqlite'
          ? sql<{
              name: string;
            }>`select name from sqlite_master where type = 'index' and tbl_name = 'invitations' and sql is not null`
          : sql<{
              name: string;
            }>`select indexname as name from pg_indexes where tablename = 'invitations' and schemaname = current_schema()`;
      return (await q.execute(db.kysely)).rows.map((r) => r.name).sort();
    };

    before(async () => {
      db = createDb((await freshDatabase(dialect)).database, { error: () => undefined });
      await migrateTo(db.kysely, BEFORE_0003);
      for (const [i, id] of orgs.entries()) {
        await db.kysely
          .insertInto('organizations')
          .values({ id, name: `Org ${i}`, logo_url: null, created_at: 1, updated_at: 1 })
          .execute();
        await db.kysely
          .insertInto('roles')
          .values({
            id: roles[i] as string,
            organization_id: id,
            key: 'member',
            name: 'Member',
            permissions: '',
            created_at: 1,
            updated_at: 1,
          })
          .execute();
      }
      await db.kysely
        .insertInto('users')
        .values({
          id: user,
          issuer: 'iss',
          subject: 'sub',
          email: 'owner@example.com',
          email_verified: 1,
          name: null,
          picture: null,
          created_at: 1,
          updated_at: 1,
        })
        .execute();
      await insert(0, 'a@example.com');
      await insert(1, 'a@example.com');
      await insert(0, 'b@example.com');
      await db.kysely
        .updateTable('invitations')
        .set({ status: 'revoked', revoked_at: 5, revoked_by: user })
        .where('email', '=', 'b@example.com')
        .execute();
    });
    after(() => db.close());

    it('0003 keeps the rows and the one-pending rule, with one index for both email lookups', async () => {
      assert.ok((await invitationIndexes()).includes('invitations_email_idx'));
      assert.deepEqual(await migrateTo(db.kysely, M0003), [M0003]);
      const indexes = await invitationIndexes();
      assert.ok(indexes.includes('invitations_one_pending_idx'));
      assert.ok(!indexes.includes('invitations_email_idx'), indexes.join(', '));

      const count = await db.kysely
        .selectFrom('invitations')
        .select((e) => e.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      assert.equal(Number(count.n), 3);
      // a second pending row for the same (organization, email) is refused under the same rule
      await assert.rejects(
        () => insert(0, 'a@example.com'),
        (err) =>
          isUniqueViolation(err, dialect === 'sqlite' ? 'organization_id' : 'invitations_one_pending_idx'),
      );
      // a revoked row does not hold the slot; another organization has its own
      await insert(0, 'b@example.com');
      await insert(1, 'b@example.com');
    });

    it('0003 goes down again with the rows kept', async () => {
      await migrateTo(db.kysely, BEFORE_0003);
      assert.ok((await invitationIndexes()).includes('invitations_email_idx'));
      await assert.rejects(
        () => insert(1, 'b@example.com'),
        (err) => isUniqueViolation(err),
      );
      assert.deepEqual(await migrateTo(db.kysely, M0003), [M0003]);
    });

    /** invitation_list_versions (SQLite only), by organization index; 0 before the first write */
    const versions = async (): Promise<number[]> => {
      const rows = await db.kysely.selectFrom('invitation_list_versions').selectAll().execute();
      return orgs.map((id) => rows.find((r) => r.organization_id === id)?.version ?? 0);
    };
    const hasVersions = async (): Promise<boolean> => {
      const q =
        dialect === 'sqlite'
          ? sql`select name from sqlite_master where name = 'invitation_list_versions'`
          : sql`select table_name from information_schema.tables where table_schema = current_schema()
                and table_name = 'invitation_list_versions'`;
      return (await q.execute(db.kysely)).rows.length > 0;
    };

    it("0004 (SQLite): every write that changes an organization's list bumps its version, no other", async () => {
      assert.deepEqual(await migrateTo(db.kysely, M0004), [M0004]);
      if (dialect !== 'sqlite') {
        // PostgreSQL keeps no counter (row locks would serialize an organization's writes)
        assert.equal(await hasVersions(), false);
        return;
      }
      assert.deepEqual(await versions(), [0, 0]);
      /** which organizations' versions the write moved */
      const moved = async (write: () => Promise<unknown>): Promise<boolean[]> => {
        const before = await versions();
        await write().catch(() => undefined);
        return (await versions()).map((v, i) => v !== before[i]);
      };
      const c = () => db.kysely.updateTable('invitations').where('email', '=', 'c@example.com');
      assert.deepEqual(await moved(() => insert(0, 'c@example.com')), [true, false]);
      assert.deepEqual(await moved(() => c().set({ delivery_status: 'sent' }).execute()), [true, false]);
      assert.deepEqual(
        await moved(() => db.kysely.deleteFrom('invitations').where('email', '=', 'c@example.com').execute()),
        [true, false],
      );
      // a role's name shows in the list; its permissions do not
      const role1 = () => db.kysely.updateTable('roles').where('id', '=', roles[1] as string);
      assert.deepEqual(await moved(() => role1().set({ name: 'Members' }).execute()), [false, true]);
      assert.deepEqual(await moved(() => role1().set({ permissions: 'invitations:read' }).execute()), [
        false,
        false,
      ]);
      // a failed write moves nothing: the trigger's write is rolled back with it
      await assert.rejects(() => insert(1, 'a@example.com'));
      assert.deepEqual(await moved(() => insert(1, 'a@example.com')), [false, false]);
    });

    it('0004 goes down and up again with the rows kept', async () => {
      assert.deepEqual(await migrateTo(db.kysely, M0003), [M0004]);
      assert.equal(await hasVersions(), false);
      await insert(1, 'd@example.com');
      assert.deepEqual(await migrateTo(db.kysely, M0004), [M0004]);
      assert.equal(await hasVersions(), dialect === 'sqlite');
      const count = await db.kysely
        .selectFrom('invitations')
        .select((e) => e.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      assert.equal(Number(count.n), 6);
    });

    it('0005 keeps the outbox rows, lets mail without an invitation be queued, and goes down without it', async () => {
      const invitationId = (await db.kysely.selectFrom('invitations').select('id').executeTakeFirstOrThrow())
        .id;
      const row = (id: string, invitation: string | null) => ({
        id,
        invitation_id: invitation,
        kind: invitation ? 'invitation_email' : 'sign_in_code_email',
        recipient: 'x@example.com',
        status: 'queued' as const,
        attempts: 0,
        next_attempt_at: 1,
        lease_owner: null,
        lease_until: null,
        sealed_token: null,
        message_id: `<${id}@test>`,
        last_attempt_at: null,
        last_error: null,
        created_at: 1,
        sent_at: null,
      });
      await db.kysely.insertInto('outbox').values(row('o1', invitationId)).execute();
      assert.deepEqual(await migrateTo(db.kysely, M0005), [M0005]);
      await db.kysely.insertInto('outbox').values(row('o2', null)).execute();
      const ids = async () =>
        (await db.kysely.selectFrom('outbox').select('id').orderBy('id').execute()).map((r) => r.id);
      assert.deepEqual(await ids(), ['o1', 'o2']);
      assert.deepEqual(await migrateTo(db.kysely, M0004), [M0005]);
      assert.deepEqual(await ids(), ['o1']);
      await assert.rejects(() => db.kysely.insertInto('outbox').values(row('o3', null)).execute());
      assert.deepEqual(await migrateTo(db.kysely, M0005), [M0005]);
      // the later migrations (web sessions, …) apply on top of it
      assert.ok((await migrateToLatest(db.kysely)).includes('0006_web_sessions'));
    });

    it('0010 keeps a key stored before it signing since its creation, and goes down without the column', async () => {
      await migrateToLatest(db.kysely);
      await migrateTo(db.kysely, M0010);
      assert.deepEqual(await migrateTo(db.kysely, M0009), [M0010]);
      await db.kysely
        .insertInto('signing_keys')
        .values({ kid: 'k1', alg: 'ES256', public_jwk: '{}', private_sealed: 'x', created_at: 1234 })
        .execute();
      assert.deepEqual(await migrateTo(db.kysely, M0010), [M0010]);
      const key = await db.kysely.selectFrom('signing_keys').selectAll().executeTakeFirstOrThrow();
      assert.equal(Number(key.activates_at), 1234);
      assert.deepEqual(await migrateTo(db.kysely, M0009), [M0010]);
      await assert.rejects(() => db.kysely.selectFrom('signing_keys').select('activates_at').execute());
      await migrateToLatest(db.kysely);
    });

    it('0011 adds the (organization, status, created_at, id) index with the rows kept, and goes down without it', async () => {
      await migrateToLatest(db.kysely);
      assert.deepEqual(await migrateTo(db.kysely, M0010), [M0011]);
      assert.ok(!(await invitationIndexes()).includes('invitations_org_status_created_idx'));
      const before = await db.kysely
        .selectFrom('invitations')
        .select(['id', 'status'])
        .orderBy('id')
        .execute();
      assert.deepEqual(await migrateTo(db.kysely, M0011), [M0011]);
      assert.ok((await invitationIndexes()).includes('invitations_org_status_created_idx'));
      assert.deepEqual(
        await db.kysely.selectFrom('invitations').select(['id', 'status']).orderBy('id').execute(),
        before,
      );
      assert.deepEqual(await migrateTo(db.kysely, M0010), [M0011]);
      assert.ok(!(await invitationIndexes()).includes('invitations_org_status_created_idx'));
      await migrateToLatest(db.kysely);
    });
  });
}
