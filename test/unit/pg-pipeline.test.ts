import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createDb, type Db } from '../../src/db/create-db.js';
import { isUniqueViolation } from '../../src/db/errors.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { precompiledFirst } from '../../src/db/precompiled.js';
import { commitWith, inTransaction } from '../../src/db/tx.js';
import { freshDatabase } from '../support/db.js';
import { writesDuring } from '../support/pg-writes.js';

// PostgreSQL: statements handed over together go out in one write to the server (pipelined
// transactions, pg-transaction.ts; the read batch, read-batch.ts), with the same outcomes as one
// after another. The writes are counted at the socket.

const silent = { error: () => undefined };
const org = (id: string) => ({ id, name: id, logo_url: null, created_at: 1, updated_at: 1 });
const uuid = (n: number) => `55555555-0000-4000-8000-${String(n).padStart(12, '0')}`;
const orgById = precompiledFirst((db, id: string) =>
  db.selectFrom('organizations').select(['id', 'name']).where('id', '=', id),
);

describe('[postgres] pipelined statements', {
  skip: !process.env.TEST_DATABASE_URL && 'PostgreSQL only: needs TEST_DATABASE_URL',
}, () => {
  let db: Db;
  let port: number;
  before(async () => {
    db = createDb((await freshDatabase('postgres')).database, silent);
    await migrateToLatest(db.kysely);
    port = Number(new URL(process.env.TEST_DATABASE_URL ?? '').port || 5432);
  });
  after(() => db?.close());

  it('sends BEGIN with a leading SELECT and independent INSERTs together: three writes in all', async () => {
    await db.kysely
      .insertInto('organizations')
      .values(org(uuid(1)))
      .execute(); // a warm, prepared connection
    const { writes } = await writesDuring(port, () =>
      inTransaction(db, async (trx) => {
        await orgById(trx, uuid(1));
        await Promise.all(
          [2, 3, 4].map((n) =>
            trx
              .insertInto('organizations')
              .values(org(uuid(n)))
              .execute(),
          ),
        );
      }),
    );
    // one after another: BEGIN, SELECT, three INSERTs and COMMIT, each at least one write
    assert.equal(writes, 3, 'BEGIN+SELECT, the three INSERTs, COMMIT');
    const names = await db.kysely
      .selectFrom('organizations')
      .select('id')
      .where('id', 'in', [2, 3, 4].map(uuid))
      .execute();
    assert.equal(names.length, 3);
  });

  it('a write that comes first waits for BEGIN, and commits with the transaction', async () => {
    await assert.rejects(
      inTransaction(db, async (trx) => {
        await trx
          .insertInto('organizations')
          .values(org(uuid(10)))
          .execute();
        throw new Error('refused');
      }),
      /refused/,
    );
    assert.equal(await orgById(db.kysely, uuid(10)), undefined, 'rolled back with its transaction');
    await inTransaction(db, (trx) =>
      trx
        .insertInto('organizations')
        .values(org(uuid(11)))
        .execute(),
    );
    assert.equal((await orgById(db.kysely, uuid(11)))?.id, uuid(11));
  });

  it('fails with the first error of statements handed over together, and commits none of them', async () => {
    await db.kysely
      .insertInto('organizations')
      .values(org(uuid(20)))
      .execute();
    const err = await inTransaction(db, async (trx) => {
      await orgById(trx, uuid(20));
      await Promise.all(
        [21, 20, 22].map((n) =>
          trx
            .insertInto('organizations')
            .values(org(uuid(n)))
            .execute(),
        ),
      );
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(
      isUniqueViolation(err),
      `the duplicate's own error, not the aborted transaction's: ${String(err)}`,
    );
    for (const n of [21, 22]) assert.equal(await orgById(db.kysely, uuid(n)), undefined);
    // the connection is usable afterwards (rolled back, not left inside the failed transaction)
    await Promise.all(Array.from({ length: 12 }, () => inTransaction(db, (trx) => orgById(trx, uuid(20)))));
  });

  it('sends the last statements handed to commitWith with the COMMIT: two writes in all', async () => {
    await db.kysely
      .insertInto('organizations')
      .values(org(uuid(40)))
      .execute();
    const { writes } = await writesDuring(port, () =>
      inTransaction(db, async (trx) => {
        await orgById(trx, uuid(40));
        await commitWith(
          trx,
          [41, 42].map((n) =>
            trx
              .insertInto('organizations')
              .values(org(uuid(n)))
              .execute(),
          ),
        );
      }),
    );
    assert.equal(writes, 2, 'BEGIN+SELECT, then the two INSERTs with COMMIT');
    for (const n of [41, 42]) assert.equal((await orgById(db.kysely, uuid(n)))?.id, uuid(n));
  });

  it("refuses a statement after commitWith's COMMIT: it never runs outside the transaction", async () => {
    const err = await inTransaction(db, async (trx) => {
      await commitWith(trx, [
        trx
          .insertInto('organizations')
          .values(org(uuid(50)))
          .execute(),
      ]);
      await trx
        .insertInto('organizations')
        .values(org(uuid(51)))
        .execute();
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.match(String(err), /already ended/);
    assert.equal((await orgById(db.kysely, uuid(50)))?.id, uuid(50), 'committed with commitWith');
    assert.equal(await orgById(db.kysely, uuid(51)), undefined, 'refused, not autocommitted');
  });

  it("fails with COMMIT's own error when the COMMIT sent by commitWith fails, and keeps nothing", async () => {
    // a constraint checked at COMMIT: the statements succeed, the COMMIT does not
    await sql`create table deferred_pair (n int, constraint deferred_pair_n unique (n) deferrable initially deferred)`.execute(
      db.kysely,
    );
    const err = await inTransaction(db, (trx) =>
      commitWith(trx, [
        sql`insert into deferred_pair values (1)`.execute(trx),
        sql`insert into deferred_pair values (1)`.execute(trx),
      ]),
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(isUniqueViolation(err), `COMMIT's unique violation: ${String(err)}`);
    const { rows } = await sql<{ n: number }>`select n from deferred_pair`.execute(db.kysely);
    assert.equal(rows.length, 0);
    // the connection is usable afterwards
    await Promise.all(Array.from({ length: 12 }, () => inTransaction(db, (trx) => orgById(trx, uuid(40)))));
  });

  it('sends the precompiled reads asked in one turn in one write, each answered with its own row', async () => {
    for (const n of [30, 31, 32])
      await db.kysely
        .insertInto('organizations')
        .values(org(uuid(n)))
        .execute();
    const asked = [30, 99, 31, 32].map(uuid);
    const { writes, value } = await writesDuring(port, () =>
      Promise.all(asked.map((id) => orgById(db.reads, id))),
    );
    assert.deepEqual(
      value.map((r) => r?.id),
      [uuid(30), undefined, uuid(31), uuid(32)],
    );
    assert.equal(writes, 1);
  });
});
