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
 * COMMIT waits for the transaction's function to settle, as it does in Kysely's; a statement handed
 * over after that is refused, never run outside the transaction (use `together`, tx.ts, which waits
 * for every statement it was given).
 */
export type PipelinedTransactions = <T>(fn: (trx: Kysely<Database>) => Promise<T>) => Promise<T>;

const BEGIN = CompiledQuery.raw('begin');
const COMMIT = CompiledQuery.raw('commit');
const ROLLBACK = CompiledQuery.raw('rollback');

const ended = () => new Error('a statement was handed to a transaction that had already ended');

const registered = new WeakMap<Kysely<Database>, PipelinedTransactions>();

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
      const send = <R>(query: CompiledQuery): Promise<QueryResult<R>> =>
        open ? conn.executeQuery<R>(query) : Promise.reject(ended());
      const inTransaction: DatabaseConnection = {
        executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
          if (!open) return Promise.reject(ended());
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
      try {
        const value = await (async () => {
          try {
            return await fn(trx);
          } finally {
            open = false;
          }
        })();
        if (begun) {
          await begun;
          await conn.executeQuery(COMMIT);
        }
        return value;
      } catch (err) {
        // a transaction that began is rolled back; the error that stopped it is the one thrown
        if (
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

/** The pipelined transactions of this database handle (PostgreSQL's), if it has them. */
export function pipelinedTransactionsOf(kysely: Kysely<Database>): PipelinedTransactions | undefined {
  return registered.get(kysely);
}
