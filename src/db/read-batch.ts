import { CompiledQuery, type DatabaseConnection, type Kysely, type QueryResult } from 'kysely';
import { batcher, type Outcome } from './batcher.js';
import type { Database } from './schema.js';

declare const readsBrand: unique symbol;

/**
 * `db.reads`: the handle for reads outside any transaction that may be batched. Only precompiled
 * reads (precompiled.ts) accept it — it is not a Kysely handle to build queries on — so each call
 * that is given `db.reads` is a batched read, and a query built by hand cannot be handed it by
 * mistake: it gets `db.kysely` (alone, autocommitted) or a transaction's `trx`.
 *
 * SQLite: the precompiled SELECTs asked of it during one turn of the event loop run together in its
 * check phase, inside one read transaction on the one connection. An autocommitted SELECT is a read
 * transaction of its own: in WAL mode, two fcntl calls for the read lock and a look at the WAL
 * index, about 40 % of a token lookup's cost on the bench machine (BENCHMARKS.md). A batch pays that
 * once for every request read in the same poll phase.
 *
 * Freshness is unchanged: a batch takes its snapshot when it starts, after every read in it was
 * asked for, so each read sees the database as it was at some moment between being asked for and
 * answering, as an autocommitted read does; it never misses a write that committed before it was
 * asked for, from this process or another. A read that fails fails alone.
 *
 * PostgreSQL: the precompiled SELECTs asked during one turn are pipelined on one connection
 * (pipelinedReads below).
 */
export interface Reads {
  readonly [readsBrand]: 'reads';
}

interface ReadBatcher {
  read<R>(query: CompiledQuery<R>): Promise<QueryResult<R>>;
}

const BEGIN = CompiledQuery.raw('begin');
const COMMIT = CompiledQuery.raw('commit');
const ROLLBACK = CompiledQuery.raw('rollback');
const batchers = new WeakMap<object, ReadBatcher>();
/** at most this many reads in one pipeline: a batch waits for its slowest read */
const PIPELINE_MAX = 32;

type Outcomes = Outcome<QueryResult<unknown>>[];

/**
 * A second handle on the same database — same connection(s) and adapter, so the same precompiled
 * statements, but its own identity: queries on `db.kysely` itself are never batched — whose reads
 * asked in one turn run together through `runBatch`, on one connection taken from the database.
 */
function readsHandle(
  kysely: Kysely<Database>,
  runBatch: (conn: DatabaseConnection, queries: CompiledQuery[]) => Promise<Outcomes>,
  max?: number,
): Reads {
  const handle = kysely.withoutPlugins();
  const executor = kysely.getExecutor();
  const read = batcher<CompiledQuery, QueryResult<unknown>>({
    start: 'next-turn',
    oneAtATime: false,
    ...(max ? { max } : {}),
    // the reads are taken once the connection is there: those asked while it was awaited join
    run: (take) => executor.provideConnection((conn) => runBatch(conn, take())),
  });
  batchers.set(handle, { read: read as ReadBatcher['read'] });
  return handle as unknown as Reads;
}

/** SQLite: `db.reads`, whose precompiled SELECTs of one turn share one read transaction. */
export function batchedReads(kysely: Kysely<Database>): Reads {
  return readsHandle(kysely, async (conn, queries) => {
    const outcomes: Outcomes = [];
    const grouped = queries.length > 1;
    if (grouped) await conn.executeQuery(BEGIN);
    try {
      for (const query of queries) {
        try {
          outcomes.push({ ok: true, value: await conn.executeQuery(query) });
        } catch (error) {
          outcomes.push({ ok: false, error });
        }
      }
    } finally {
      // a read transaction: COMMIT only ends the snapshot, nothing is written. Should it fail,
      // the connection must not be left inside a transaction the next writer would trip on.
      if (grouped)
        await conn.executeQuery(COMMIT).catch(() => conn.executeQuery(ROLLBACK).catch(() => undefined));
    }
    return outcomes;
  });
}

/**
 * PostgreSQL: `db.reads`, whose precompiled SELECTs asked in one turn are sent together, pipelined
 * on one connection (node-postgres `pipeline: true`, corked into one write, pg-prepared.ts). Each
 * read is still its own autocommitted statement with its own snapshot, taken when PostgreSQL
 * reaches it, after it was asked for; one that fails fails alone (each carries its own Sync). One
 * connection and one write serve the batch instead of one of each per request.
 */
export function pipelinedReads(kysely: Kysely<Database>): Reads {
  return readsHandle(
    kysely,
    async (conn, queries) => {
      const settled = await Promise.allSettled(queries.map((query) => conn.executeQuery(query)));
      return settled.map((s) =>
        s.status === 'fulfilled' ? { ok: true, value: s.value } : { ok: false, error: s.reason },
      );
    },
    PIPELINE_MAX,
  );
}

/** The batcher of this exact handle, if it has one (only `db.reads` does). */
export function readBatcherOf(db: object): ReadBatcher | undefined {
  return batchers.get(db);
}
