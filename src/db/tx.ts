import { AsyncLocalStorage } from 'node:async_hooks';
import { type Kysely, sql } from 'kysely';
import { batcher, type Outcome } from './batcher.js';
import { storageChecks } from './checks.js';
import type { Db } from './create-db.js';
import { COMMIT_WITH, isPipelinedTransaction, pipelinedTransactionsOf } from './pg-transaction.js';
import type { Database } from './schema.js';

/** A handle a repository function runs on: the database or a transaction in progress. */
export type Executor = Kysely<Database>;

/** Set while a transaction's fn runs, when the storage checks are on (checks.ts). */
const open = storageChecks ? new AsyncLocalStorage<true>() : undefined;

/**
 * Runs fn in one transaction. On PostgreSQL: READ COMMITTED; correctness comes from conditional
 * updates and unique indexes, not from the isolation level. Statements fn hands over together
 * (`together`, below) go out in one write there (pg-transaction.ts); on SQLite they run one after
 * another in the order handed over.
 *
 * On SQLite every transaction runs on the one connection, one after another, so they are grouped:
 * the transactions queued while a group commits form the next group, one `BEGIN IMMEDIATE … COMMIT`
 * (one fsync under synchronous=FULL) with a savepoint per transaction. Each still sees the writes of
 * those before it, exactly as if committed one by one; a transaction that throws is rolled back to
 * its savepoint alone. No caller is answered before the group's COMMIT has returned, so a result
 * never rests on a write that could still be lost; if the COMMIT fails, every transaction of the
 * group fails with it.
 *
 * Transactions do not nest: code inside fn passes trx down, never opens another. A nested call
 * would wait behind itself on SQLite; with the storage checks on (tests, development: checks.ts)
 * it fails at once instead, on both databases.
 */
export function inTransaction<T>(db: Db, fn: (trx: Executor) => Promise<T>): Promise<T> {
  if (open) {
    // development and tests (checks.ts): a nested call would wait behind itself on SQLite, and on
    // PostgreSQL commit apart from the transaction it was written inside
    if (open.getStore()) return Promise.reject(nestedTransaction());
    const body = fn;
    fn = (trx) => open.run(true, () => body(trx));
  }
  const notices: Notices = { topics: undefined };
  const body = fn;
  // each attempt (a PostgreSQL retry, a SQLite group's turn on the shared connection) starts afresh
  fn = (trx) => {
    notices.topics = undefined;
    pending.set(trx, notices);
    return body(trx);
  };
  const done = db.dialect === 'postgres' ? pgTransaction(db, fn) : (groupOf(db)(fn) as Promise<T>);
  return done.then((value) => {
    if (notices.topics) announce(db, notices.topics);
    return value;
  });
}

/**
 * One write statement on its own, committed before this resolves. On PostgreSQL it runs
 * autocommitted: one round trip, where a transaction takes three (BEGIN waits for its answer before
 * a leading write, then the statement, then COMMIT). On SQLite it runs in the commit group, as
 * inTransaction, sharing the group's fsync instead of paying a commit of its own. `write` must run
 * exactly one statement (on PostgreSQL a second would commit apart from the first); anything that
 * needs more is a transaction. Like a transaction, it does not nest.
 */
export function committedAlone<T>(db: Db, write: (exec: Executor) => Promise<T>): Promise<T> {
  if (db.dialect !== 'postgres') return inTransaction(db, write);
  if (open?.getStore()) return Promise.reject(nestedTransaction());
  return write(db.kysely);
}

/**
 * Statements of one transaction handed over together (one write to PostgreSQL, pg-transaction.ts;
 * one after another on SQLite, in the order given): resolves with every result, in order. It waits
 * for every one to settle before it answers, even after one has failed, so no statement of the
 * transaction is still on its way when the transaction ends; then it throws the first failure to
 * come (the cause: on PostgreSQL the rest fail because of it, refused by the aborted transaction).
 * Promise.all would answer at the first failure and leave the rest running, and a statement that
 * waited on one of them (a webhook delivery after its event) could then run after the ROLLBACK.
 */
export async function together<const T extends readonly unknown[]>(
  statements: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  let failure: { reason: unknown } | undefined;
  const settled = await Promise.allSettled(
    statements.map((s) =>
      Promise.resolve(s).catch((reason: unknown) => {
        failure ??= { reason };
        throw reason;
      }),
    ),
  );
  if (failure) throw failure.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as {
    -readonly [K in keyof T]: Awaited<T[K]>;
  };
}

/**
 * The transaction's last statements, handed over together, and its COMMIT with them: on PostgreSQL
 * the COMMIT goes out in the same write (pg-transaction.ts), one round trip fewer than committing
 * after their answers; on SQLite this is `together`, and the group commits as always. Resolves with
 * every result once the COMMIT has answered (or, on SQLite, once they have run); throws as
 * `together` does, or COMMIT's error. Use it where nothing the function does afterwards depends on
 * their answers to decide whether to commit: it may still shape what it returns, but runs no other
 * statement in the transaction (on PostgreSQL one is refused: the transaction has ended).
 */
export async function commitWith<const T extends readonly unknown[]>(
  trx: Executor,
  statements: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  if (!isPipelinedTransaction(trx)) return together(statements);
  const [results] = await together([together(statements), trx.executeQuery(COMMIT_WITH)]);
  return results;
}

// ---- after commit ---------------------------------------------------------------------------------
// A write that someone in the process waits for (outbox rows, which the dispatcher sends) says so
// with notifyOnCommit(trx, topic); once its transaction has committed (never when it rolls back),
// the listeners the database has for that topic run (onCommit). One place for every transaction,
// instead of each service remembering to call a hook after its own commit.

interface Notices {
  topics: Set<string> | undefined;
}

/** The notices of the transaction running on each executor (on SQLite a group's transactions take turns). */
const pending = new WeakMap<Executor, Notices>();
const listeners = new WeakMap<Db, Map<string, Set<() => void>>>();

/**
 * Inside inTransaction: once this transaction commits, the database's listeners for `topic` run
 * (once per topic and transaction, however often it is called). Outside a transaction there is no
 * commit to wait for and nobody is told: with the storage checks on, that is an error.
 */
export function notifyOnCommit(trx: Executor, topic: string): void {
  const notices = pending.get(trx);
  if (!notices) {
    if (storageChecks) throw new Error(`notifyOnCommit(${topic}) outside inTransaction`);
    return;
  }
  if (!notices.topics) notices.topics = new Set();
  notices.topics.add(topic);
}

/** Runs `listener` after every commit on `db` that notified `topic`; returns the unsubscribe. */
export function onCommit(db: Db, topic: string, listener: () => void): () => void {
  const byTopic = listeners.get(db) ?? new Map<string, Set<() => void>>();
  listeners.set(db, byTopic);
  const set = byTopic.get(topic) ?? new Set();
  byTopic.set(topic, set);
  set.add(listener);
  return () => set.delete(listener);
}

function announce(db: Db, topics: Set<string>): void {
  const byTopic = listeners.get(db);
  if (!byTopic) return;
  for (const topic of topics) for (const listener of byTopic.get(topic) ?? []) listener();
}

function nestedTransaction(): Error {
  return new Error(
    'inTransaction was called inside a transaction: transactions do not nest. Pass the ' +
      "outer transaction's trx down to the code that needs it instead of opening another.",
  );
}

/**
 * PostgreSQL aborts one of two transactions that wait on each other (deadlock_detected) and, under
 * stricter isolation, one that lost a serialization race; neither wrote anything, so it is run again
 * from the start (fn only reads and writes through trx, so a second run is a fresh attempt). Our own
 * transactions take locks in one order (invitation, then its outbox rows) so this is a safety net.
 */
const PG_RETRYABLE = new Set(['40P01', '40001']);
const PG_ATTEMPTS = 3;

async function pgTransaction<T>(db: Db, fn: (trx: Executor) => Promise<T>): Promise<T> {
  const pipelined = pipelinedTransactionsOf(db.kysely);
  for (let attempt = 1; ; attempt++) {
    try {
      return await (pipelined ? pipelined(fn) : db.kysely.transaction().execute(fn));
    } catch (err) {
      if (attempt >= PG_ATTEMPTS || !PG_RETRYABLE.has(pgCode(err))) throw err;
    }
  }
}

function pgCode(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
    ? err.code
    : '';
}

type Job = (trx: Executor) => Promise<unknown>;

/** Bounds the time one group holds the connection (and so the wait of the reads queued behind it). */
const MAX_GROUP = 32;
const groups = new WeakMap<Db, (job: Job) => Promise<unknown>>();

function groupOf(db: Db): (job: Job) => Promise<unknown> {
  let group = groups.get(db);
  if (!group) {
    group = batcher<Job, unknown>({
      // Start on the next turn of the event loop, not now: better-sqlite3 is synchronous, so a
      // request reaches its transaction without yielding to I/O, and a group started at once would
      // hold that one transaction alone. Waiting for the check phase lets every request read in
      // the same poll phase join it, and share one fsync'd COMMIT. The transactions queued while a
      // group commits form the next group.
      start: 'next-turn',
      oneAtATime: true,
      max: MAX_GROUP,
      // BEGIN or COMMIT failing (busy, full, I/O) throws: nothing of the group was committed, and
      // every transaction in it fails
      run: (take) => runGroup(db, take()),
    });
    groups.set(db, group);
  }
  return group;
}

function runGroup(db: Db, jobs: Job[]): Promise<Outcome<unknown>[]> {
  return db.kysely.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    const outcomes: Outcome<unknown>[] = [];
    try {
      for (const job of jobs) {
        await sql`savepoint admit_tx`.execute(conn);
        try {
          const value = await job(conn);
          await sql`release admit_tx`.execute(conn);
          outcomes.push({ ok: true, value });
        } catch (error) {
          try {
            await sql`rollback to admit_tx`.execute(conn);
            await sql`release admit_tx`.execute(conn);
          } catch {
            // SQLite already rolled the whole transaction back (e.g. SQLITE_FULL): the group fails
            // with the error that caused it, not with the failed savepoint rollback
            throw error;
          }
          outcomes.push({ ok: false, error });
        }
      }
      await sql`commit`.execute(conn);
      return outcomes;
    } catch (err) {
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw err;
    }
  });
}
