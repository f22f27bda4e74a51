import { type Compilable, CompiledQuery, PostgresAdapter, type QueryResult } from 'kysely';
import { storageChecks } from './checks.js';
import type { Dialect } from './create-db.js';
import { nameStatement } from './pg-prepared.js';
import { type Reads, readBatcherOf } from './read-batch.js';
import type { Executor } from './tx.js';

/**
 * What a precompiled read runs on: `db.reads` (outside a transaction; batched on SQLite, see
 * read-batch.ts), `db.kysely` (outside a transaction, alone) or a transaction's `trx`.
 */
export type Reader = Executor | Reads;

/**
 * A read handle as a Kysely handle, for a repository function that builds a query by hand on some
 * path: that query runs alone, never batched. `db.reads` is a Kysely handle underneath.
 */
export const unbatched = (db: Reader): Executor => db as Executor;

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
 * `build` must produce the same SQL whatever its arguments' values (no branching on them): it is
 * compiled once, so a branch would run as whichever side the first call took, for ever. With the
 * storage checks on (tests, development: checks.ts) it is also compiled with every argument null
 * (every key of a record argument null) and must give the same SQL, or the first call throws with
 * the query's name and place; that catches a branch on an argument's presence or truthiness. It is
 * called once with placeholders to learn where each argument lands among the compiled parameters;
 * an argument that is a record (a row to insert) gets a placeholder per key, and later calls must
 * pass a record with the same keys in the same order (another shape is built and run the ordinary
 * way, never misplaced). The compiled SQL depends only on the dialect (schemas are chosen by
 * search_path, no Kysely plugins are used), so it is shared by the database handle, its
 * transactions and its connections.
 */
function compiled<A extends unknown[], R>(
  build: (db: Executor, ...args: A) => Compilable<R>,
): (db: Reader, ...args: A) => Promise<QueryResult<R>> {
  const definedAt = storageChecks ? definitionSite(build) : undefined;
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
    if (definedAt !== undefined) {
      checkFixedSql(definedAt, query.sql, () => build(db, ...nulls(args, shapes)));
      if (dialectOf(db) === 'sqlite') checkNoBoundPattern(definedAt, query.sql);
    }
    // PostgreSQL: a named prepared statement, planned once per connection (pg-prepared.ts)
    if (db.getExecutor().adapter instanceof PostgresAdapter) nameStatement(query.sql);
    const slots = query.parameters.map((p): Slot => {
      const slot = typeof p === 'string' ? where.get(p) : undefined;
      return slot === undefined ? { value: p } : slot;
    });
    return { query, slots, shapes, select: query.query.kind === 'SelectQueryNode' };
  };
  return (handle: Reader, ...args: A): Promise<QueryResult<R>> => {
    const db = handle as Executor;
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
    // a SELECT on `db.reads` joins the read batch of this turn (read-batch.ts)
    const batch = entry.select ? readBatcherOf(db) : undefined;
    return batch ? batch.read(query) : db.executeQuery<R>(query);
  };
}

/**
 * precompiled for writes, whose result (rows changed, rows returned) matters: runs on `db.kysely` or
 * a transaction's `trx`.
 */
export function precompiledResult<A extends unknown[], R>(
  build: (db: Executor, ...args: A) => Compilable<R>,
): (db: Executor, ...args: A) => Promise<QueryResult<R>> {
  return compiled(build);
}

/** A precompiled read: its rows. Given `db.reads`, a SELECT joins the read batch of this turn. */
export function precompiled<A extends unknown[], R>(build: (db: Executor, ...args: A) => Compilable<R>) {
  const run = compiled(build);
  return async (db: Reader, ...args: A): Promise<R[]> => (await run(db, ...args)).rows;
}

/** A precompiled lookup of one row: the first row, or undefined. Given `db.reads`, as precompiled. */
export function precompiledFirst<A extends unknown[], R>(build: (db: Executor, ...args: A) => Compilable<R>) {
  const run = compiled(build);
  return async (db: Reader, ...args: A): Promise<R | undefined> => (await run(db, ...args)).rows[0];
}

/**
 * Whether this database takes INSERT/UPDATE inside WITH (PostgreSQL does, SQLite does not): a
 * repository may then fold a write and the read after it into one statement, one round trip.
 */
export const writesInWith = (db: Executor): boolean => dialectOf(db) === 'postgres';

/** The database kind (create-db.ts), for the list repositories that write their SQL by hand. */
export type { Dialect };

/** Which database a handle runs on, for a repository that writes its SQL text by hand. */
export const dialectOf = (db: Executor): Dialect =>
  db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';

/** The number of rows an UPDATE or DELETE changed. */
export const affected = (result: QueryResult<unknown>): number => Number(result.numAffectedRows ?? 0n);

/** The same arguments with every value null: a record keeps its keys, each null. */
function nulls<A extends unknown[]>(args: A, shapes: (string[] | undefined)[]): A {
  return args.map((_, i) => {
    const keys = shapes[i];
    return keys ? Object.fromEntries(keys.map((k) => [k, null])) : null;
  }) as A;
}

/** Where precompiled was called: the first frame outside this file (the repository's line). */
function definitionSite(build: { name: string }): string {
  const frames = new Error().stack?.split('\n').slice(1) ?? [];
  const frame = frames.find((f) => !/[/\\]db[/\\]precompiled\.[jt]s/.test(f)) ?? '';
  const at = frame.trim().replace(/^at /, '');
  const place = /\(([^()]*)\)$/.exec(at)?.[1] ?? at;
  return `${build.name || 'query'} at ${place.replace('file://', '').replace(`${process.cwd()}/`, '')}`;
}

function checkFixedSql(name: string, sql: string, other: () => Compilable<unknown>): void {
  let otherSql: string;
  try {
    otherSql = other().compile().sql;
  } catch (cause) {
    const why = 'build fails when its arguments are null (it must place them, not use them)';
    throw new Error(`precompiled ${name}: ${why}`, { cause });
  }
  if (otherSql !== sql) {
    throw new Error(
      `precompiled ${name}: build gives other SQL for other argument values, so it cannot be ` +
        `compiled once (a branch on an argument?).\n  with placeholders: ${sql}\n  with nulls:        ${otherSql}`,
    );
  }
}

/**
 * SQLite prepares a statement anew on every run when a column is matched by LIKE or GLOB against a
 * bound pattern (its LIKE optimisation depends on the value): ~4 µs a run, the cost precompiling
 * saves (BENCHMARKS.md, item 51). Match with `instr` (a substring) or a pattern in the SQL text.
 */
function checkNoBoundPattern(name: string, sql: string): void {
  const bound = /"[^"]+"\s+(like|glob)\s+\?/i.exec(sql);
  if (bound) {
    throw new Error(
      `precompiled ${name}: on SQLite, ${bound[0]} prepares the statement again on every run ` +
        '(the LIKE optimisation depends on the bound pattern); test a substring with instr instead',
    );
  }
}

/**
 * A read whose SQL text the repository writes itself, from a bounded set of shapes (each text one of
 * at most a few hundred): given `db.reads` it joins the read batch like a precompiled read, and
 * on PostgreSQL it runs as a named prepared statement. For queries whose shape Kysely cannot express
 * cheaply (the list pages of invitation-lists.repository.ts); a text built from values would grow the
 * set of named statements without bound, so parameters go in `parameters`, never in `text`.
 */
export async function fixedTextRead<R>(db: Reader, text: string, parameters: unknown[]): Promise<R[]> {
  const handle = db as Executor;
  const query = CompiledQuery.raw(text, parameters) as CompiledQuery<R>;
  if (dialectOf(handle) === 'postgres') nameStatement(text);
  const batch = readBatcherOf(handle);
  return (await (batch ? batch.read(query) : handle.executeQuery(query))).rows;
}
