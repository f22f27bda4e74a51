import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  Kysely,
  type QueryResult,
} from 'kysely';
import type { Database } from './schema.js';

/**
 * PostgreSQL transactions whose statements go out together where they do not wait on each other.
 * The pool's clients are pipelined (node-postgres `pipeline: true`, create-db.ts) and a query is
 * corked into one write with every other query handed over in the same tick (pg-prepared.ts), so:
 *
 * - BEGIN goes out with the transaction's first statement when that is a SELECT: one write and one
 *   wait instead of two. A first statement that writes waits for BEGIN's answer, so nothing can
 *   ever commit on its own should BEGIN fail; a SELECT that ran outside the transaction changes
 *   nothing, and every statement after it waits for BEGIN and fails with it.
 * - statements a service hands over together (`together([...])`, tx.ts: independent INSERTs) go
 *   out in one write and run in the order they were handed over. Kysely's own transaction handle
 *   runs one statement at a time; this one does not, which is all it changes. Should one of them
 *   fail, PostgreSQL refuses the rest (the transaction is aborted) and `together` throws the first
 *   error, as one after another would have.
 *
 * - the statements of a `commitWith` (tx.ts) go out with COMMIT in the same write: the function has
 *   nothing left to decide once they are handed over, so their answers need not come back before the
 *   COMMIT is sent. Should one of them fail, PostgreSQL answers that COMMIT with a rollback (the
 *   transaction is aborted) and the statement's error is thrown; nothing of it is committed.
 *
 * Otherwise COMMIT waits for the transaction's function to settle, as it does in Kysely's. A
 * statement handed over after COMMIT (sent early by commitWith, or after the function settled) is
 * refused, never run outside the transaction (use `together`, tx.ts, which waits for every statement
 * it was given).
 */
export type PipelinedTransactions = <T>(fn: (trx: Kysely<Database>) => Promise<T>) => Promise<T>;

const BEGIN = CompiledQuery.raw('begin');
const COMMIT = CompiledQuery.raw('commit');
const ROLLBACK = CompiledQuery.raw('rollback');

/**
 * What `commitWith` (tx.ts) hands to a transaction's handle after its statements: COMMIT, sent in
 * the same write as them. It reaches the connection through the same path as the statements before
 * it, so after them; on a handle that is not a pipelined transaction it is never sent.
 */
export const COMMIT_WITH = CompiledQuery.raw('commit');

const ended = () => new Error('a statement was handed to a transaction that had already ended');

const registered = new WeakMap<Kysely<Database>, PipelinedTransactions>();
/** The handles of the pipelined transactions in progress (and ended: they refuse statements). */
const handles = new WeakSet<Kysely<Database>>();

/** A transaction handle refuses what Kysely's own Transaction refuses: opening another, or destroying. */
const notOnATransaction = (): never => {
  throw new Error('a transaction handle cannot open a transaction or a connection, or be destroyed');
};
const noDriver: Driver = {
  init: async () => undefined,
  acquireConnection: async () => notOnATransaction(),
  beginTransaction: async () => notOnATransaction(),
  commitTransaction: async () => notOnATransaction(),
  rollbackTransaction: async () => notOnATransaction(),
  releaseConnection: async () => notOnATransaction(),
  destroy: async () => notOnATransaction(),
};

/** Registers the pipelined transactions of a PostgreSQL database handle (create-db.ts). */
export function registerPipelinedTransactions(kysely: Kysely<Database>, dialect: Dialect): void {
  const executor = kysely.getExecutor();
  const run: PipelinedTransactions = (fn) =>
    executor.provideConnection(async (conn) => {
      let begun: Promise<unknown> | undefined;
      // once fn has settled, a statement it left running must not follow COMMIT or ROLLBACK onto
      // the connection (outside the transaction, or inside the next one to use it)
      let open = true;
      // the COMMIT sent with the statements of a commitWith: the transaction ends there
      let committed: Promise<unknown> | undefined;
      const send = <R>(query: CompiledQuery): Promise<QueryResult<R>> =>
        open ? conn.executeQuery<R>(query) : Promise.reject(ended());
      const inTransaction: DatabaseConnection = {
        executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
          if (!open || committed) return Promise.reject(ended());
          if (query === COMMIT_WITH) {
            // nothing was written: nothing to commit
            committed = begun ? begun.then(() => conn.executeQuery(COMMIT)) : Promise.resolve();
            return committed as Promise<QueryResult<R>>;
          }
          if (!begun) {
            begun = conn.executeQuery(BEGIN);
            if (query.query.kind === 'SelectQueryNode') return conn.executeQuery<R>(query);
          }
          return begun.then(() => send<R>(query));
        },
        streamQuery: () => notOnATransaction(),
      };
      const trx = new Kysely<Database>({
        config: { dialect },
        dialect,
        driver: noDriver,
        executor: executor.withConnectionProvider({ provideConnection: (consume) => consume(inTransaction) }),
      });
      handles.add(trx);
      try {
        const value = await (async () => {
          try {
            return await fn(trx);
          } finally {
            open = false;
          }
        })();
        if (committed) await committed;
        else if (begun) {
          await begun;
          await conn.executeQuery(COMMIT);
        }
        return value;
      } catch (err) {
        // a transaction that began is rolled back; the error that stopped it is the one thrown. A
        // COMMIT already sent ended it: committed, or rolled back by PostgreSQL if a statement failed
        if (committed) await committed.catch(() => undefined);
        else if (
          begun &&
          (await begun.then(
            () => true,
            () => false,
          ))
        ) {
          await conn.executeQuery(ROLLBACK).catch(() => undefined);
        }
        throw err;
      }
    });
  registered.set(kysely, run);
}

/** Whether this handle is a pipelined transaction's (it takes COMMIT_WITH). */
export const isPipelinedTransaction = (trx: Kysely<Database>): boolean => handles.has(trx);

/** The pipelined transactions of this database handle (PostgreSQL's), if it has them. */
export function pipelinedTransactionsOf(kysely: Kysely<Database>): PipelinedTransactions | undefined {
  return registered.get(kysely);
}
