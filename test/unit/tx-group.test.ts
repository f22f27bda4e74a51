import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { storageChecks } from '../../src/db/checks.js';
import { createDb, type Db } from '../../src/db/create-db.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { inTransaction } from '../../src/db/tx.js';
import { dialects, freshDatabase } from '../support/db.js';

const silent = { error: () => undefined };
const org = (id: string) => ({ id, name: id, logo_url: null, created_at: 1, updated_at: 1 });

for (const dialect of dialects()) {
  describe(`[${dialect}] inTransaction`, () => {
    let db: Db;
    before(async () => {
      db = createDb((await freshDatabase(dialect)).database, silent);
      await migrateToLatest(db.kysely);
    });
    after(() => db.close());

    it('commits concurrent transactions independently: one that throws leaves no write, the others stay', async () => {
      const ids = ['11111111-0000-4000-8000-000000000001', '11111111-0000-4000-8000-000000000002'];
      const failing = '11111111-0000-4000-8000-000000000003';
      const results = await Promise.allSettled([
        inTransaction(db, (trx) => trx.insertInto('organizations').values(org(ids[0]!)).execute()),
        inTransaction(db, async (trx) => {
          await trx.insertInto('organizations').values(org(failing)).execute();
          throw new Error('refused');
        }),
        inTransaction(db, (trx) => trx.insertInto('organizations').values(org(ids[1]!)).execute()),
      ]);
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'rejected', 'fulfilled'],
      );
      assert.equal((results[1] as PromiseRejectedResult).reason.message, 'refused');
      const rows = await db.kysely.selectFrom('organizations').select('id').orderBy('id').execute();
      assert.deepEqual(
        rows.map((r) => r.id),
        ids,
      );
    });

    const sqliteOnly = { skip: dialect === 'sqlite' ? false : 'temp_store is a SQLite setting' };
    it('keeps the savepoints of a commit group in memory, not in a temporary file', sqliteOnly, async () => {
      // each transaction of a group is a savepoint (tx.ts); its sub-journal went to a temporary file
      // page by page before (BENCHMARKS 44). 2 = MEMORY.
      const { rows } = await sql<{ temp_store: number }>`pragma temp_store`.execute(db.kysely);
      assert.equal(rows[0]?.temp_store, 2);
    });

    // the timeout only turns the bug (a nested call waiting behind itself for ever) into a failure
    const nesting = {
      skip: storageChecks ? false : 'the storage checks are off (NODE_ENV is not test or development)',
      timeout: 30_000,
    };
    it('refuses a nested transaction at once; the outer one fails and writes nothing', nesting, async () => {
      const id = '44444444-0000-4000-8000-000000000001';
      let innerRan = false;
      await assert.rejects(
        inTransaction(db, async (trx) => {
          await trx.insertInto('organizations').values(org(id)).execute();
          await inTransaction(db, async () => {
            innerRan = true;
          });
        }),
        /inTransaction was called inside a transaction: transactions do not nest/,
      );
      assert.equal(innerRan, false);
      const row = await inTransaction(db, (trx) =>
        trx.selectFrom('organizations').select('id').where('id', '=', id).executeTakeFirst(),
      );
      assert.equal(row, undefined, 'the outer transaction was rolled back; the next one runs');
    });

    // SQLite runs its transactions one after another (grouped into shared commits); PostgreSQL's
    // READ COMMITTED does not promise this, and its callers rely on unique indexes instead
    it('on SQLite, runs transactions as if one by one: each sees the writes before it', {
      skip: dialect !== 'sqlite' && 'SQLite only: PostgreSQL promises no such order',
    }, async () => {
      const id = '22222222-0000-4000-8000-000000000001';
      const seen = await Promise.all(
        Array.from({ length: 10 }, () =>
          inTransaction(db, async (trx) => {
            const exists = await trx
              .selectFrom('organizations')
              .select('id')
              .where('id', '=', id)
              .executeTakeFirst();
            if (exists) return 'found';
            await trx.insertInto('organizations').values(org(id)).execute();
            return 'inserted';
          }),
        ),
      );
      assert.equal(seen.filter((s) => s === 'inserted').length, 1);
      assert.equal(seen.filter((s) => s === 'found').length, 9);
    });

    it('on PostgreSQL, runs the deadlock victim again: both transactions commit', {
      skip: dialect !== 'postgres' && 'PostgreSQL only: SQLite has one writer and no deadlocks',
    }, async () => {
      const a = '33333333-0000-4000-8000-000000000001';
      const b = '33333333-0000-4000-8000-000000000002';
      await db.kysely
        .insertInto('organizations')
        .values([org(a), org(b)])
        .execute();
      let runs = 0;
      let arrived = 0;
      let open: () => void = () => undefined;
      const bothHoldOne = new Promise<void>((r) => {
        open = r;
      });
      // each locks one row, waits until the other holds its own, then wants the other's
      const crossing = (first: string, second: string, name: string) =>
        inTransaction(db, async (trx) => {
          runs++;
          await trx.updateTable('organizations').set({ name }).where('id', '=', first).execute();
          if (++arrived === 2) open();
          await bothHoldOne;
          await trx.updateTable('organizations').set({ name }).where('id', '=', second).execute();
          return name;
        });
      const results = await Promise.all([crossing(a, b, 'x'), crossing(b, a, 'y')]);
      assert.deepEqual(results, ['x', 'y']);
      assert.equal(runs, 3, 'one of the two was chosen as the victim and ran again');
      const names = await db.kysely
        .selectFrom('organizations')
        .select('name')
        .where('id', 'in', [a, b])
        .execute();
      assert.equal(new Set(names.map((n) => n.name)).size, 1, 'the later commit wrote both rows');
    });
  });
}
