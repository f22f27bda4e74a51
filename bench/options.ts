// What `npm run bench` is asked (BenchOptions) and what it reports (ScenarioResult, BenchReport).
import { cpus } from 'node:os';

export interface BenchOptions {
  /** seconds per scenario */
  duration: number;
  connections: number;
  /**
   * a fixed offered load (requests/s) instead of as fast as possible: for comparing builds by the
   * server's CPU per request, which then depends less on how fast the client is at that moment
   */
  rate?: number;
  db: 'sqlite' | 'postgres';
  /** seconds of warm-up before each scenario */
  warmup: number;
  /** run only these scenarios (the ceilings are always run, the ratios need them) */
  only?: string[];
  /** directory for the server's --cpu-prof output; unset = no profiling */
  cpuProfDir?: string;
  /** invitees with three pending invitations each (preview and invitee-list) */
  invitees: number;
  /** the invitees' invitations inserted in bulk instead of over HTTP (--scale: no preview scenario) */
  inviteesInBulk?: boolean;
  /** size of the large and small admin-list organizations */
  bigOrg: number;
  smallOrg: number;
  /** invitations in each of the scoped-list caller's 10 organizations (default smallOrg) */
  scopedOrg?: number;
  /**
   * Admit server processes on the one database, the client's connections split between them
   * (PostgreSQL; SQLite is one process by contract). Set, even to 1, every rate limit and quota is on,
   * counted in Redis, at a level no run reaches (servers.ts); unset, one process with them off.
   */
  processes?: number;
  /** Redis for --processes (default REDIS_URL, else redis://127.0.0.1:6379) */
  redisUrl?: string;
  /** PostgreSQL base URL (default BENCH_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/admit_bench) */
  postgresUrl?: string;
  /** the server entry point (default dist/main.js); another build for A/B comparisons */
  main?: string;
  /** extra environment for the Admit server process (e.g. OUTBOX_POLL) */
  serverEnv?: Record<string, string>;
  /** progress lines (stderr in the CLI) */
  log: (line: string) => void;
  /** one JSON line per scenario (stdout in the CLI) */
  emit: (line: string) => void;
}

export const DEFAULTS: BenchOptions = {
  duration: 10,
  connections: 50,
  db: 'sqlite',
  warmup: 2,
  invitees: 1000,
  bigOrg: 100_000,
  smallOrg: 1_000,
  log: (line) => process.stderr.write(`${line}\n`),
  emit: (line) => process.stdout.write(`${line}\n`),
};

export interface ScenarioResult {
  scenario: string;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  rssMb: number;
  /** responses whose status was not the intended one (2xx included: 200 where 201 is due counts) */
  wrongStatus: number;
  /** bodies parsed and checked / of which failed the check */
  checked: number;
  badBodies: number;
  requests: number;
  /** CPU time (user + system) per counted request, in µs: the server's process, and this (client) process */
  serverCpuUs?: number;
  clientCpuUs?: number;
  /** PostgreSQL runs: the CPU time of the machine's PostgreSQL processes per counted request, in µs */
  databaseCpuUs?: number;
  note?: string;
}

export interface BenchReport {
  settings: Record<string, string | number>;
  results: ScenarioResult[];
  table: string;
}

/** What every bench report states first about how it ran: the machine and the load's shape. */
export function runSettings(opts: BenchOptions) {
  return {
    node: process.version,
    cpus: cpus().length,
    duration: opts.duration,
    warmup: opts.warmup,
    connections: opts.connections,
  };
}
