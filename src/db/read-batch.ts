import { CompiledQuery, type Kysely, type QueryResult } from 'kysely';
import type { Database } from './schema.js';

/**
 * SQLite: the SELECTs asked of the database handle (outside any transaction) during one turn of the
 * event loop run together in its check phase, inside one read transaction on the one connection.
 *
 * An autocommitted SELECT is a read transaction of its own: in WAL mode, two fcntl calls for the
 * read lock and a look at the WAL index, about 40 % of a token lookup's cost on the bench machine
 * (BENCHMARKS.md). A batch pays that once for every request read in the same poll phase.
 *
 * Freshness is unchanged: a batch takes its snapshot when it starts, after every read in it was
 * asked for, so each read sees the database as it was at some moment between being asked for and
 * answering, as an autocommitted read does; it never misses a write that committed before it was
 * asked for, from this process or another. Reads inside a transaction never come here: they run on
 * the transaction's connection, in order. A read that fails fails alone. PostgreSQL reads are not
 * batched (a pool of connections, no per-statement lock to save).
 */
export interface ReadBatcher {
  read<R>(query: CompiledQuery<R>): Promise<QueryResult<R>>;
}

interface Job {
  query: CompiledQuery;
  resolve: (result: QueryResult<unknown>) => void;
  reject: (err: unknown) => void;
}

const BEGIN = CompiledQuery.raw('begin');
const COMMIT = CompiledQuery.raw('commit');
const ROLLBACK = CompiledQuery.raw('rollback');
const batchers = new WeakMap<object, ReadBatcher>();

/** Registers the SQLite root handle: precompiled SELECTs on exactly this handle are batched. */
export function batchReads(kysely: Kysely<Database>): void {
  let queue: Job[] = [];
  const flush = async () => {
    const jobs = queue;
    queue = [];
    const results: (() => void)[] = [];
    try {
      await kysely.getExecutor().provideConnection(async (conn) => {
        const grouped = jobs.length > 1;
        if (grouped) await conn.executeQuery(BEGIN);
        try {
          for (const job of jobs) {
            try {
              const result = await conn.executeQuery(job.query);
              results.push(() => job.resolve(result));
            } catch (err) {
              results.push(() => job.reject(err));
            }
          }
        } finally {
          // a read transaction: COMMIT only ends the snapshot, nothing is written. Should it fail,
          // the connection must not be left inside a transaction the next writer would trip on.
          if (grouped)
            await conn.executeQuery(COMMIT).catch(() => conn.executeQuery(ROLLBACK).catch(() => undefined));
        }
      });
    } catch (err) {
      // no connection (the handle is closing) or BEGIN failed: every read without an answer fails
      for (const job of jobs.slice(results.length)) results.push(() => job.reject(err));
    }
    for (const answer of results) answer();
  };
  batchers.set(kysely, {
    read<R>(query: CompiledQuery<R>) {
      return new Promise<QueryResult<R>>((resolve, reject) => {
        if (queue.length === 0) setImmediate(() => void flush());
        queue.push({ query, resolve: resolve as Job['resolve'], reject });
      });
    },
  });
}

/** The batcher for this exact handle, if it has one (a transaction or a connection never does). */
export function readBatcherOf(db: object): ReadBatcher | undefined {
  return batchers.get(db);
}
