import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDb, type Db } from '../../src/db/create-db.js';
import { isUniqueViolation } from '../../src/db/errors.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { commitWith, type Executor, inTransaction, together } from '../../src/db/tx.js';
import { dialects, freshDatabase } from '../support/db.js';

// Statements handed over together inside a transaction (create, accept, the outbox's settlements):
// a failure among them leaves nothing written, including a statement that was waiting on another
// one of them when the failure came (a webhook delivery after its event), on both databases. The
// transaction's last statements with its COMMIT (commitWith) keep the same outcomes.

const silent = { error: () => undefined };
const uuid = (n: number) => `66666666-0000-4000-8000-${String(n).padStart(12, '0')}`;
const org = (n: number) => ({ id: uuid(n), name: `o${n}`, logo_url: null, created_at: 1, updated_at: 1 });
const insert = (trx: Executor, n: number) => trx.insertInto('organizations').values(org(n)).execute();

for (const dialect of dialects()) {
  describe(`[${dialect}] together`, () => {
    let db: Db;
    before(async () => {
      db = createDb((await freshDatabase(dialect)).database, silent);
      await migrateToLatest(db.kysely);
      await insert(db.kysely, 1);
    });
    after(() => db.close());

    const stored = async (ns: number[]) =>
      (await db.kysely.selectFrom('organizations').select('id').where('id', 'in', ns.map(uuid)).execute())
        .length;

    it('resolves with every result in order, all committed', async () => {
      const results = await inTransaction(db, (trx) =>
        together([insert(trx, 2).then(() => 'a'), Promise.resolve('b'), insert(trx, 3).then(() => 'c')]),
      );
      assert.deepEqual(results, ['a', 'b', 'c']);
      assert.equal(await stored([2, 3]), 2);
    });

    it('throws the first failure to come and writes nothing, not even a statement that waited on another', async () => {
      let waitedRan = false;
      let waiting: Promise<void> | undefined;
      const err = await inTransaction(db, (trx) => {
        waiting = (async () => {
          await insert(trx, 11);
          // handed over once 11 has answered and a timer has run: after the failure has come
          await new Promise((resolve) => setTimeout(resolve, 30));
          waitedRan = true;
          await insert(trx, 12);
        })();
        return together([
          insert(trx, 10),
          waiting,
          insert(trx, 1), // already stored: a unique violation
          insert(trx, 13),
        ]);
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      await waiting?.catch(() => undefined);
      assert.ok(isUniqueViolation(err), `the duplicate's own error: ${String(err)}`);
      // later transactions run on the same connection: none of them may carry a leftover statement
      await Promise.all([20, 21, 22].map((n) => inTransaction(db, (trx) => insert(trx, n))));
      assert.equal(await stored([10, 11, 12, 13]), 0, 'nothing of the failed transaction is stored');
      assert.equal(await stored([20, 21, 22]), 3);
      assert.ok(waitedRan, 'the waiting statement was handed over, and refused or rolled back');
    });

    it('commits the last statements with the transaction, and nothing of it when one fails', async () => {
      const results = await inTransaction(db, async (trx) => {
        await insert(trx, 30);
        return commitWith(trx, [insert(trx, 31).then(() => 'a'), Promise.resolve('b')]);
      });
      assert.deepEqual(results, ['a', 'b']);
      assert.equal(await stored([30, 31]), 2);

      const err = await inTransaction(db, async (trx) => {
        await insert(trx, 32);
        return commitWith(trx, [insert(trx, 33), insert(trx, 1), insert(trx, 34)]);
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(isUniqueViolation(err), `the duplicate's own error: ${String(err)}`);
      assert.equal(await stored([32, 33, 34]), 0, 'nothing of the failed transaction is stored');
      await Promise.all([35, 36].map((n) => inTransaction(db, (trx) => insert(trx, n))));
      assert.equal(await stored([35, 36]), 2);
    });
  });
}
