import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import {
  Kysely,
  PostgresDialect,
  type SqliteDatabase,
  SqliteDialect,
  type SqliteStatement,
  sql,
} from 'kysely';
import pg from 'pg';
import type { Config } from '../config.js';
import { withNamedStatements } from './pg-prepared.js';
import { registerPipelinedTransactions } from './pg-transaction.js';
import { batchedReads, pipelinedReads, type Reads } from './read-batch.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

/**
 * What this database does beyond plain SQL, for code outside `src/db/` to ask instead of testing
 * the database kind.
 */
export interface DbCapabilities {
  /**
   * Whether triggers keep a per-organization invitation-list version (`invitation_list_versions`,
   * migration 0004: SQLite only, see its header for why not PostgreSQL).
   */
  keepsListVersions: boolean;
}

export interface Db {
  /** The database outside any transaction: each query on it runs alone (autocommitted). */
  kysely: Kysely<Database>;
  /**
   * Reads outside any transaction that may be batched: only precompiled reads take it, and on
   * SQLite those asked in one turn of the event loop share one read transaction (read-batch.ts).
   */
  reads: Reads;
  dialect: Dialect;
  capabilities: DbCapabilities;
  /** resolves when the database answers a trivial query */
  ping(): Promise<void>;
  /** the connection pool's counts (metrics); undefined where there is no pool (SQLite's one connection) */
  poolStats: (() => { total: number; idle: number; waiting: number }) | undefined;
  close(): Promise<void>;
}

export interface DbLogger {
  error(obj: object, msg: string): void;
}

// int8 (bigint) → number: epoch-ms timestamps and counts fit well inside 2^53.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

export interface PoolOptions {
  max?: number;
  connectionTimeoutMs?: number;
  statementTimeoutMs?: number;
  /** shown in pg_stat_activity (default `admit`) */
  applicationName?: string;
}

const STATEMENT_CACHE = 500;

/**
 * A reader statement in raw mode, its rows made into objects in JavaScript. better-sqlite3 builds
 * row objects through V8's C++ API, one property at a time; arrays plus a loop here took 35-40 %
 * less time for a 100-row admin page and about 20 % less for one row (BENCHMARKS.md).
 */
function rowObjects(stmt: SQLite.Statement): SqliteStatement {
  const names = stmt.columns().map((c) => c.name);
  stmt.raw(true);
  const toObject = (values: unknown[]) => {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i++) row[names[i] as string] = values[i];
    return row;
  };
  return {
    reader: true,
    all: (params) => (stmt.all(params) as unknown[][]).map(toObject),
    run: (params) => stmt.run(params),
    *iterate(params) {
      for (const values of stmt.iterate(params) as IterableIterator<unknown[]>) yield toObject(values);
    },
  };
}

/**
 * Kysely's SQLite driver prepares every query anew; compiling the SQL was ~15 % of the server's CPU
 * under load (bench/, BENCHMARKS.md). The same SQL text reuses its prepared statement (bounded; a
 * statement busy in an iterator is never handed out twice).
 */
function cachedStatements(conn: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, { stmt: SQLite.Statement; view: SqliteStatement }>();
  const prepare = (text: string) => {
    const stmt = conn.prepare(text);
    return { stmt, view: stmt.reader ? rowObjects(stmt) : stmt };
  };
  return {
    close: () => conn.close(),
    prepare(text) {
      const hit = cache.get(text);
      if (hit && !hit.stmt.busy) return hit.view;
      const fresh = prepare(text);
      if (!hit) {
        if (cache.size >= STATEMENT_CACHE) cache.delete(cache.keys().next().value as string);
        cache.set(text, fresh);
      }
      return fresh.view;
    },
  };
}

export function createDb(database: Config['database'], logger: DbLogger, pool: PoolOptions = {}): Db {
  if (database.kind === 'sqlite') {
    if (database.path !== ':memory:') mkdirSync(dirname(database.path), { recursive: true });
    const conn = new SQLite(database.path);
    // WAL for concurrent readers, FULL so a committed write survives power loss, a busy timeout for
    // the CLI or a second process touching the file, and foreign keys on. Temporary storage in
    // memory: each transaction of a commit group runs in a savepoint (tx.ts), and SQLite keeps the
    // pages a savepoint changes in a sub-journal, by default a temporary file written page by page
    // (BENCHMARKS 44). A group's sub-journal is bounded by the pages MAX_GROUP transactions touch.
    conn.pragma('journal_mode = WAL');
    conn.pragma('synchronous = FULL');
    conn.pragma('busy_timeout = 5000');
    conn.pragma('foreign_keys = ON');
    conn.pragma('temp_store = MEMORY');
    const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachedStatements(conn) }) });
    return {
      kysely,
      reads: batchedReads(kysely),
      dialect: 'sqlite',
      capabilities: { keepsListVersions: true },
      poolStats: undefined,
      ping: async () => {
        await sql`select 1`.execute(kysely);
      },
      close: () => kysely.destroy(),
    };
  }
  const statementTimeout = pool.statementTimeoutMs ?? 10_000;
  const pgPool = new pg.Pool({
    connectionString: database.url,
    max: pool.max ?? 10,
    connectionTimeoutMillis: pool.connectionTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: statementTimeout,
    idle_in_transaction_session_timeout: statementTimeout,
    application_name: pool.applicationName ?? 'admit',
    pipeline: true,
  });
  // Without this handler a backend dying under an idle client crashes the process (node-postgres#1707).
  pgPool.on('error', (err) => logger.error({ err }, 'idle PostgreSQL client failed'));
  // The pool listens only to its idle clients. A client checked out but between two queries (a
  // transaction awaiting its next statement) whose backend dies emits 'error' with no listener,
  // which crashed the server when PostgreSQL stopped under load (fault test). The query that runs
  // on it next fails and answers 503; the pool drops the client when it is released.
  pgPool.on('connect', (client) => {
    client.on('error', (err) => logger.error({ err }, 'PostgreSQL connection lost'));
  });
  const dialect = new PostgresDialect({ pool: withNamedStatements(pgPool) });
  const kysely = new Kysely<Database>({ dialect });
  registerPipelinedTransactions(kysely, dialect);
  return {
    kysely,
    reads: pipelinedReads(kysely),
    dialect: 'postgres',
    capabilities: { keepsListVersions: false },
    poolStats: () => ({ total: pgPool.totalCount, idle: pgPool.idleCount, waiting: pgPool.waitingCount }),
    ping: async () => {
      await sql`select 1`.execute(kysely);
    },
    close: () => kysely.destroy(),
  };
}
