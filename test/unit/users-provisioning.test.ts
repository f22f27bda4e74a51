import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDb, type Db } from '../../src/db/create-db.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createUsersService } from '../../src/modules/users/users.service.js';
import type { Identity } from '../../src/platform/auth/verifier.js';
import { manualClock } from '../../src/platform/clock.js';
import { cryptoIds } from '../../src/platform/ids.js';
import { dialects, freshDatabase } from '../support/db.js';
import { writesDuring } from '../support/pg-writes.js';

// Users are provisioned just in time by (issuer, sub) in one statement (users.repository.ts
// upsertUser): inserted when new, their profile written when it changed, left alone otherwise. Each
// "process" here is a users service of its own on the same database, so none answers from what
// another remembers.

const silent = { error: () => undefined };
const identity = (subject: string, profile: Partial<Identity> = {}): Identity => ({
  issuer: 'https://idp.example',
  subject,
  email: `${subject}@example.com`,
  emailVerified: true,
  name: 'Ann',
  picture: null,
  scopes: [],
  clientId: null,
  grantsAdmin: false,
  ...profile,
});

for (const dialect of dialects()) {
  describe(`[${dialect}] users provisioned just in time`, () => {
    let db: Db;
    const clock = manualClock();
    const processOf = () => createUsersService({ db, clock, ids: cryptoIds, systemAdminEmails: [] });
    const row = (subject: string) =>
      db.kysely
        .selectFrom('users')
        .selectAll()
        .where('issuer', '=', 'https://idp.example')
        .where('subject', '=', subject)
        .execute();

    before(async () => {
      db = createDb((await freshDatabase(dialect)).database, silent);
      await migrateToLatest(db.kysely);
    });
    after(() => db.close());

    it('inserts a new identity, and another process finds the same user without writing', async () => {
      const first = await processOf().principalFor(identity('u1'));
      const [stored] = await row('u1');
      assert.equal(stored?.id, first.userId);
      assert.equal(stored?.email, 'u1@example.com');
      assert.equal(stored?.created_at, clock.now());
      assert.equal(stored?.updated_at, clock.now());
      clock.advance(1000);
      const again = await processOf().principalFor(identity('u1'));
      assert.equal(again.userId, first.userId);
      assert.deepEqual(await row('u1'), [stored], 'an unchanged profile writes nothing');
    });

    it('writes a changed profile, field by field, to the same user', async () => {
      const first = await processOf().principalFor(identity('u2'));
      const [before] = await row('u2');
      for (const change of [
        { name: 'Ann B' },
        { name: null },
        { email: 'new@example.com' },
        { emailVerified: false },
        { picture: 'https://img.example/a.png' },
      ] satisfies Partial<Identity>[]) {
        clock.advance(1000);
        const changed = await processOf().principalFor(identity('u2', change));
        assert.equal(changed.userId, first.userId);
        const [after] = await row('u2');
        assert.equal(after?.updated_at, clock.now(), JSON.stringify(change));
        assert.equal(after?.created_at, before?.created_at);
        const written = clock.now();
        clock.advance(1000);
        await processOf().principalFor(identity('u2', change)); // the same again: no write
        assert.equal((await row('u2'))[0]?.updated_at, written);
        clock.advance(1000);
        await processOf().principalFor(identity('u2')); // back, for the next change
      }
      assert.equal((await row('u2')).length, 1);
    });

    it('gives concurrent first requests of one identity one user', async () => {
      const principals = await Promise.all(
        Array.from({ length: 8 }, () => processOf().principalFor(identity('u3'))),
      );
      const rows = await row('u3');
      assert.equal(rows.length, 1);
      assert.deepEqual(new Set(principals.map((p) => p.userId)), new Set([rows[0]?.id]));
    });
  });
}

describe('[postgres] a new user costs one write to the server', {
  skip: !process.env.TEST_DATABASE_URL && 'PostgreSQL only: needs TEST_DATABASE_URL',
}, () => {
  let db: Db;
  before(async () => {
    db = createDb((await freshDatabase('postgres')).database, silent);
    await migrateToLatest(db.kysely);
  });
  after(() => db?.close());

  it('provisions in one autocommitted statement, not BEGIN, statements and COMMIT', async () => {
    const users = createUsersService({ db, clock: manualClock(), ids: cryptoIds, systemAdminEmails: [] });
    await users.principalFor(identity('warm')); // a prepared, warm connection
    const port = Number(new URL(process.env.TEST_DATABASE_URL ?? '').port || 5432);
    const { writes } = await writesDuring(port, () => users.principalFor(identity('counted')));
    assert.equal(writes, 1);
  });
});
