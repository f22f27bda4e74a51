/**
 * The storage layer's development checks (README.md beside this file): a precompiled query must
 * build the same SQL whatever its arguments (precompiled.ts), and transactions must not nest
 * (tx.ts). Both rules, broken, fail silently or hang in production; the checks make them fail at
 * once, with the query or the call named.
 *
 * On when NODE_ENV is `test` (scripts/run-tests.mjs sets it) or `development`; off otherwise, so a
 * server started without NODE_ENV, and the bench, pay nothing for them: the nesting check needs
 * AsyncLocalStorage, which on Node 20 runs a hook for every promise the process creates.
 */
export const storageChecks = process.env.NODE_ENV === 'test' || process.env.NODE_ENV === 'development';
