import type { PostgresCursor, PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';

/**
 * PostgreSQL: the precompiled queries (precompiled.ts) run as named prepared statements, so each
 * connection parses and plans one once instead of on every execution. node-postgres prepares a
 * named statement on a connection the first time that connection runs it. Measured on the bench
 * machine: a three-join token lookup took 231-253 us per round trip unnamed, 146-160 us named.
 *
 * Only the precompiled queries are named: their SQL is fixed, so the statements a connection keeps
 * are bounded by the number of precompiled queries. Every other query runs unnamed, as before.
 */
const names = new Map<string, string>();

/** Names this SQL text's prepared statement (called once per precompiled query and dialect). */
export function nameStatement(sql: string): void {
  if (!names.has(sql)) names.set(sql, `admit_${names.size + 1}`);
}

/**
 * node-postgres writes each message of a query (Parse, Bind, Describe, Execute, Sync) to the socket
 * on its own: the first goes out alone, the rest in a second write, and each write wakes a backend.
 * writev was 37-52 % of the server's profile samples on the bench (BENCHMARKS.md item 34), so the
 * socket is corked while a query is handed over and uncorked at the end of the tick: one write for
 * the query, and one for every query handed to a pipelined client in the same tick (the read batch,
 * read-batch.ts; a transaction's statements handed over together, pg-transaction.ts).
 */
function corkedUntilTickEnds(client: pg.PoolClient): void {
  const stream = (client as unknown as pg.Client).connection.stream;
  stream.cork();
  process.nextTick(() => stream.uncork());
}

/** The pool Kysely's PostgreSQL driver is given: the same clients, named statements where known. */
export function withNamedStatements(pool: pg.Pool): PostgresPool {
  // one wrapper per client: Kysely keeps its connection objects keyed by the client it is handed
  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    // Kysely passes (sql, parameters), or a cursor to stream with
    function query(text: string | PostgresCursor<unknown>, values?: ReadonlyArray<unknown>): unknown {
      if (typeof text !== 'string') return client.query(text as unknown as pg.Submittable);
      corkedUntilTickEnds(client);
      const name = names.get(text);
      const params = values as unknown[];
      return name ? client.query({ name, text, values: params }) : client.query(text, params);
    }
    return { query: query as PostgresPoolClient['query'], release: () => client.release() };
  };
  return {
    async connect() {
      const client = await pool.connect();
      let w = wrapped.get(client);
      if (!w) {
        w = wrap(client);
        wrapped.set(client, w);
      }
      return w;
    },
    end: () => pool.end(),
  };
}
