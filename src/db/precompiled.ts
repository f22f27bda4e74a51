import { type Compilable, type CompiledQuery, PostgresAdapter, type QueryResult } from 'kysely';
import { nameStatement } from './pg-prepared.js';
import { readBatcherOf } from './read-batch.js';
import type { Executor } from './tx.js';

type Slot = number | { arg: number; key: string } | { value: unknown };

interface Entry<R> {
  query: CompiledQuery<R>;
  slots: Slot[];
  /** for each argument passed as a record: its keys, in order, at compile time */
  shapes: (string[] | undefined)[];
  select: boolean;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function sameShape(value: unknown, keys: string[] | undefined): boolean {
  if (keys === undefined) return !isRecord(value);
  if (!isRecord(value)) return false;
  let n = 0;
  for (const k in value) {
    // Kysely leaves an undefined value's column out: that is another statement
    if (keys[n] !== k || value[k] === undefined) return false;
    n++;
  }
  return n === keys.length;
}

/**
 * A fixed-shape hot query built and compiled once per dialect, then executed with new parameter
 * values. Building and compiling with Kysely was ~20 % of the server's CPU on the token-preview path
 * and more on the write paths (BENCHMARKS.md).
 *
 * `build` must produce the same SQL whatever its arguments' values (no branching on them). It is
 * called once with placeholders to learn where each argument lands among the compiled parameters;
 * an argument that is a record (a row to insert) gets a placeholder per key, and later calls must
 * pass a record with the same keys in the same order (another shape is built and run the ordinary
 * way, never misplaced). The compiled SQL depends only on the dialect (schemas are chosen by
 * search_path, no Kysely plugins are used), so it is shared by the database handle, its
 * transactions and its connections.
 */
export function precompiledResult<A extends unknown[], R>(
  build: (db: Executor, ...args: A) => Compilable<R>,
) {
  // keyed by the dialect's adapter, which a handle shares with its transactions and connections
  const cache = new WeakMap<object, Entry<R>>();
  const compile = (db: Executor, args: A): Entry<R> => {
    const shapes = args.map((a) =>
      isRecord(a) ? Object.keys(a).filter((k) => a[k] !== undefined) : undefined,
    );
    const where = new Map<string, Slot>();
    const mark = (slot: Slot, name: string) => {
      const m = `\u0000precompiled-argument-${name}\u0000`;
      where.set(m, slot);
      return m;
    };
    const marks = args.map((_, i) => {
      const keys = shapes[i];
      if (!keys) return mark(i, String(i));
      return Object.fromEntries(keys.map((key) => [key, mark({ arg: i, key }, `${i}-${key}`)]));
    }) as A;
    const query = build(db, ...marks).compile();
    // PostgreSQL: a named prepared statement, planned once per connection (pg-prepared.ts)
    if (db.getExecutor().adapter instanceof PostgresAdapter) nameStatement(query.sql);
    const slots = query.parameters.map((p): Slot => {
      const slot = typeof p === 'string' ? where.get(p) : undefined;
      return slot === undefined ? { value: p } : slot;
    });
    return { query, slots, shapes, select: query.query.kind === 'SelectQueryNode' };
  };
  return (db: Executor, ...args: A): Promise<QueryResult<R>> => {
    const adapter = db.getExecutor().adapter;
    let entry = cache.get(adapter);
    if (!entry) {
      entry = compile(db, args);
      cache.set(adapter, entry);
    }
    const shapes = entry.shapes;
    for (let i = 0; i < args.length; i++) {
      // a record of another shape: build this one the ordinary way
      if (!sameShape(args[i], shapes[i])) return db.executeQuery(build(db, ...args).compile());
    }
    const parameters = entry.slots.map((s) =>
      typeof s === 'number'
        ? args[s]
        : 'arg' in s
          ? (args[s.arg] as Record<string, unknown>)[s.key]
          : s.value,
    );
    const query = { ...entry.query, parameters };
    // a SELECT on the SQLite root handle joins the read batch of this turn (read-batch.ts)
    const batch = entry.select ? readBatcherOf(db) : undefined;
    return batch ? batch.read(query) : db.executeQuery<R>(query);
  };
}

/** precompiledResult for queries whose rows are all that matters. */
export function precompiled<A extends unknown[], R>(build: (db: Executor, ...args: A) => Compilable<R>) {
  const run = precompiledResult(build);
  return async (db: Executor, ...args: A): Promise<R[]> => (await run(db, ...args)).rows;
}

/** precompiled for lookups of one row: the first row, or undefined. */
export function precompiledFirst<A extends unknown[], R>(build: (db: Executor, ...args: A) => Compilable<R>) {
  const run = precompiledResult(build);
  return async (db: Executor, ...args: A): Promise<R | undefined> => (await run(db, ...args)).rows[0];
}

/** The number of rows an UPDATE or DELETE changed. */
export const affected = (result: QueryResult<unknown>): number => Number(result.numAffectedRows ?? 0n);
