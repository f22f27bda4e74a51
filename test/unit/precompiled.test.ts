import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { storageChecks } from '../../src/db/checks.js';
import { createDb, type Db } from '../../src/db/create-db.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { affected, precompiled, precompiledResult } from '../../src/db/precompiled.js';
import type { OrganizationsTable } from '../../src/db/schema.js';
import { type Executor, inTransaction } from '../../src/db/tx.js';
import { dialects, freshDatabase } from '../support/db.js';

// Precompiled queries are compiled once per dialect and shared by the handle, its transactions and
// its connections; each argument (and each key of a record argument) must land in its own place.

const insertOrg = precompiledResult((db: Executor, row: OrganizationsTable) =>
  db.insertInto('organizations').values(row),
);
const byName = precompiled((db: Executor, name: string, createdAfter: number) =>
  db
    .selectFrom('organizations')
    .select(['id', 'name'])
    .where('name', '=', name)
    .where('created_at', '>', createdAfter),
);
const rename = precompiledResult((db: Executor, id: string, name: string) =>
  db.updateTable('organizations').set({ name }).where('id', '=', id),
);

// Wrong on purpose: a precompiled build runs once, so each of these would run one way for ever.
function byOptionalName(db: Executor, name: string | undefined) {
  const q = db.selectFrom('organizations').select('id');
  return name ? q.where('name', '=', name) : q;
}
const branching = precompiled(byOptionalName);
// the argument is used, not only placed: the statement would bind the placeholder's lower case
const derived = precompiled((db: Executor, name: string) =>
  db.selectFrom('organizations').select('id').where('name', '=', name.toLowerCase()),
);
// SQLite would prepare this anew on every run: a column matched by LIKE against a bound pattern
const boundLike = precompiled((db: Executor, pattern: string) =>
  db.selectFrom('organizations').select('id').where('name', 'like', pattern),
);
const checksOff = storageChecks ? false : 'the storage checks are off (NODE_ENV is not test or development)';

const org = (id: string, name: string, logo: string | null = null): OrganizationsTable => ({
  id,
  name,
  logo_url: logo,
  created_at: 10,
  updated_at: 20,
});

for (const dialect of dialects()) {
  describe(`[${dialect}] precompiled queries`, () => {
    let db: Db;
    before(async () => {
      db = createDb((await freshDatabase(dialect)).database, { error: () => undefined });
      await migrateToLatest(db.kysely);
    });
    after(() => db.close());

    it('places every argument and record key, on the handle and inside transactions', async () => {
      await insertOrg(db.kysely, org('a1', 'Acme', 'https://a.example/logo.png'));
      await inTransaction(db, (trx) => insertOrg(trx, org('b1', 'Beta')));
      const rows = await db.kysely.selectFrom('organizations').selectAll().orderBy('id').execute();
      assert.deepEqual(rows, [org('a1', 'Acme', 'https://a.example/logo.png'), org('b1', 'Beta')]);
      assert.deepEqual(await byName(db.kysely, 'Beta', 5), [{ id: 'b1', name: 'Beta' }]);
      assert.deepEqual(await byName(db.kysely, 'Beta', 10), [], 'the second argument is used, not the first');
      assert.equal(affected(await inTransaction(db, (trx) => rename(trx, 'a1', 'Acme 2'))), 1);
      assert.equal(affected(await rename(db.kysely, 'nope', 'x')), 0);
      assert.deepEqual(await byName(db.kysely, 'Acme 2', 0), [{ id: 'a1', name: 'Acme 2' }]);
    });

    it('runs a record of another shape (an undefined value, other keys) as its own statement', async () => {
      const partial = { id: 'c1', name: 'Gamma', logo_url: undefined, created_at: 1, updated_at: 2 };
      await insertOrg(db.kysely, partial as unknown as OrganizationsTable);
      const reordered = { name: 'Delta', id: 'd1', created_at: 3, updated_at: 4, logo_url: 'x' };
      await insertOrg(db.kysely, reordered);
      const rows = await db.kysely
        .selectFrom('organizations')
        .select(['id', 'name', 'logo_url', 'created_at'])
        .where('id', 'in', ['c1', 'd1'])
        .orderBy('id')
        .execute();
      assert.deepEqual(rows, [
        { id: 'c1', name: 'Gamma', logo_url: null, created_at: 1 },
        { id: 'd1', name: 'Delta', logo_url: 'x', created_at: 3 },
      ]);
    });

    it('refuses, naming it, a build whose SQL depends on its arguments', { skip: checksOff }, async () => {
      await assert.rejects(branching(db.kysely, 'Acme'), (err: Error) => {
        assert.match(err.message, /^precompiled byOptionalName at .*precompiled\.test\.ts:\d+/);
        assert.match(err.message, /other SQL for other argument values/);
        return true;
      });
      // not compiled behind the error: the next call is refused too
      await assert.rejects(branching(db.kysely, undefined), /byOptionalName/);
      await assert.rejects(
        derived(db.kysely, 'Acme'),
        /precompiled query at .*build fails when its arguments are null/,
      );
    });

    it('refuses on SQLite a column matched by LIKE against a bound pattern', {
      skip: checksOff,
    }, async () => {
      const run = boundLike(db.kysely, 'No such name%');
      if (dialect === 'sqlite') {
        await assert.rejects(
          run,
          /precompiled query at .*precompiled\.test\.ts:\d+.*"name" like \? prepares the statement again/,
        );
      } else {
        // PostgreSQL plans a named statement once, whatever the pattern
        assert.deepEqual(await run, []);
      }
    });

    it('runs as a named prepared statement on the connection; other queries stay unnamed', {
      skip: dialect !== 'postgres' && 'PostgreSQL only: SQLite has no named prepared statements',
    }, async () => {
      const statements = await db.kysely.connection().execute(async (conn) => {
        await byName(conn, 'Beta', 0);
        await byName(conn, 'Acme 2', 0);
        await conn.selectFrom('organizations').select('id').where('name', '=', 'Beta').execute();
        return (
          await sql<{
            name: string;
            statement: string;
          }>`select name, statement from pg_prepared_statements`.execute(conn)
        ).rows;
      });
      const named = statements.filter((s) => s.statement.includes('"created_at" >'));
      assert.equal(named.length, 1, JSON.stringify(statements));
      assert.match(named[0]?.name ?? '', /^admit_\d+$/);
      assert.ok(
        statements.every((s) => s.name.startsWith('admit_')),
        'only precompiled queries are prepared by name',
      );
    });
  });
}
