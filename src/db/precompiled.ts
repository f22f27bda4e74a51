import type { Compilable, CompiledQuery } from 'kysely';
import type { Executor } from './tx.js';

/**
 * A fixed-shape hot query built and compiled once per database handle, then executed with new
 * parameter values. Building and compiling with Kysely was ~20 % of the server's CPU on the
 * token-preview path (BENCHMARKS.md). `build` must produce the same SQL whatever its arguments
 * (no branching on them); it is called once with placeholder values to learn where each argument
 * lands among the compiled parameters. Handles other than the one it was compiled for (a
 * transaction, another database) get their own compiled copy.
 */
export function precompiled<A extends unknown[], R>(build: (db: Executor, ...args: A) => Compilable<R>) {
  const cache = new WeakMap<Executor, { query: CompiledQuery<R>; slots: (number | { value: unknown })[] }>();
  return async (db: Executor, ...args: A): Promise<R[]> => {
    let entry = cache.get(db);
    if (!entry) {
      const marks = args.map((_, i) => `\u0000precompiled-argument-${i}\u0000`);
      const query = build(db, ...(marks as A)).compile();
      const slots = query.parameters.map((p) => {
        const i = marks.indexOf(p as string);
        return i >= 0 ? i : { value: p };
      });
      entry = { query, slots };
      cache.set(db, entry);
    }
    const parameters = entry.slots.map((s) => (typeof s === 'number' ? args[s] : s.value));
    const result = await db.executeQuery<R>({ ...entry.query, parameters });
    return result.rows;
  };
}
