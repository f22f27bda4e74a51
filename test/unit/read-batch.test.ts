import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDb, type Db } from '../../src/db/create-db.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { precompiled } from '../../src/db/precompiled.js';
import type { OrganizationsTable } from '../../src/db/schema.js';
import { type Executor, inTransaction } from '../../src/db/tx.js';
import { dialects, freshDatabase } from '../support/db.js';

// On SQLite, precompiled SELECTs asked of the database handle in one turn of the event loop share
// one read transaction (src/db/read-batch.ts). What callers rely on must hold on both dialects:
// every read gets its own answer, never misses a write that committed before it was asked (from
// this process or another connection), fails alone, and reads inside a transaction see that
// transaction's own writes.

const nameOf = precompiled((db: Executor, id: string) =>
  db.selectFrom('organizations').select(['id', 'name']).where('id', '=', id),
);
const missingTable = precompiled((db: Executor, id: string) =>
  // a table the schema does not have: this statement fails when it is prepared
  (db as unknown as Executor)
    .selectFrom('no_such_table' as 'organizations')
    .select('id')
    .where('id', '=', id),
);

const org = (id: string, name: string): OrganizationsTable => ({
  id,
  name,
  logo_url: null,
  created_at: 1,
  updated_at: 1,
});

for (const dialect of dialects()) {
  describe(`[${dialect}] reads on db.reads (batched on SQLite)`, () => {
    let db: Db;
    let other: Db;
    before(async () => {
      const { database } = await freshDatabase(dialect);
      db = createDb(database, { error: () => undefined });
      await migrateToLatest(db.kysely);
      // a second handle on the same database: another process, as far as the first can tell
      other = createDb(database, { error: () => undefined });
      const rows = Array.from({ length: 200 }, (_, i) => org(`org-${i}`, `Name ${i}`));
      await db.kysely.insertInto('organizations').values(rows).execute();
    });
    after(async () => {
      await other.close();
      await db.close();
    });

    it('gives each of many reads asked in one turn its own answer', async () => {
      const ids = Array.from({ length: 200 }, (_, i) => `org-${(i * 7) % 200}`);
      const answers = await Promise.all(ids.map((id) => nameOf(db.reads, id)));
      answers.forEach((rows, i) => {
        assert.deepEqual(rows, [{ id: ids[i], name: `Name ${(i * 7) % 200}` }]);
      });
      assert.deepEqual(await nameOf(db.reads, 'absent'), []);
    });

    it('sees a write of this process that committed before the read was asked', async () => {
      for (let i = 0; i < 20; i++) {
        const [before] = await nameOf(db.reads, 'org-1');
        await inTransaction(db, (trx) =>
          trx
            .updateTable('organizations')
            .set({ name: `Renamed ${i}` })
            .where('id', '=', 'org-1')
            .execute(),
        );
        const [after] = await Promise.all([nameOf(db.reads, 'org-1'), nameOf(db.reads, 'org-2')]);
        assert.notEqual(before?.name, after?.[0]?.name);
        assert.equal(after?.[0]?.name, `Renamed ${i}`);
      }
    });

    it('sees a write another connection committed before the read was asked', async () => {
      // the first handle has read (and, on SQLite, kept pages cached) before the other one writes
      assert.equal((await nameOf(db.reads, 'org-3'))[0]?.name, 'Name 3');
      for (let i = 0; i < 20; i++) {
        await other.kysely
          .updateTable('organizations')
          .set({ name: `Elsewhere ${i}` })
          .where('id', '=', 'org-3')
          .execute();
        const answers = await Promise.all([nameOf(db.reads, 'org-4'), nameOf(db.reads, 'org-3')]);
        assert.equal(answers[1][0]?.name, `Elsewhere ${i}`);
      }
    });

    it('fails a read alone: the others of its turn are answered', async () => {
      const [a, bad, b] = await Promise.allSettled([
        nameOf(db.reads, 'org-5'),
        missingTable(db.reads, 'org-5'),
        nameOf(db.reads, 'org-6'),
      ]);
      assert.equal(bad.status, 'rejected');
      assert.deepEqual(a.status === 'fulfilled' && a.value, [{ id: 'org-5', name: 'Name 5' }]);
      assert.deepEqual(b.status === 'fulfilled' && b.value, [{ id: 'org-6', name: 'Name 6' }]);
      // and the connection is left usable for writes and reads
      await inTransaction(db, (trx) =>
        trx.insertInto('organizations').values(org('after-fail', 'A')).execute(),
      );
      assert.deepEqual(await nameOf(db.reads, 'after-fail'), [{ id: 'after-fail', name: 'A' }]);
    });

    it('inside a transaction, reads run on it and see its own writes', async () => {
      const seen = await inTransaction(db, async (trx) => {
        await trx.insertInto('organizations').values(org('in-tx', 'Inside')).execute();
        return nameOf(trx, 'in-tx');
      });
      assert.deepEqual(seen, [{ id: 'in-tx', name: 'Inside' }]);
    });

    it('reads asked while transactions commit never see half of one (SQLite: one snapshot per turn)', async () => {
      // each transaction renames two organizations to the same value; two reads asked together must
      // find them equal on SQLite, whichever side of a commit they land on. PostgreSQL runs them as
      // two statements on two connections (READ COMMITTED), so there they may straddle a commit.
      await db.kysely
        .updateTable('organizations')
        .set({ name: 'Pair start' })
        .where('id', 'in', ['org-10', 'org-11'])
        .execute();
      const turn = () => new Promise((resolve) => setImmediate(resolve));
      const writes = Array.from({ length: 30 }, async (_, i) => {
        for (let t = 0; t < i; t++) await turn();
        await inTransaction(db, async (trx) => {
          await trx
            .updateTable('organizations')
            .set({ name: `Pair ${i}` })
            .where('id', '=', 'org-10')
            .execute();
          await trx
            .updateTable('organizations')
            .set({ name: `Pair ${i}` })
            .where('id', '=', 'org-11')
            .execute();
        });
      });
      const reads = Array.from({ length: 30 }, async (_, i) => {
        for (let t = 0; t < i; t++) await turn();
        const [x, y] = await Promise.all([nameOf(db.reads, 'org-10'), nameOf(db.reads, 'org-11')]);
        return [x[0]?.name, y[0]?.name];
      });
      await Promise.all(writes);
      const names = new Set(['Pair start', ...Array.from({ length: 30 }, (_, i) => `Pair ${i}`)]);
      for (const [x, y] of await Promise.all(reads)) {
        assert.ok(names.has(x ?? '') && names.has(y ?? ''), `${x} / ${y}`);
        if (dialect === 'sqlite') assert.equal(x, y);
      }
    });
  });
}
