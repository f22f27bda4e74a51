// The Admit server processes a bench run drives: `node dist/main.js` with the Node.js flags of
// `npm start`, one process or several on the same database (--processes), and the limits they run
// with. The bench's own runtime (migrations, signing keys, bulk seeds) gets the same configuration.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LIMITS_OFF } from '../scripts/limits-off.js';
import { freePort, type Proc, ROOT, spawnNode, stop, waitForHttp } from '../scripts/proc.js';
import { loadConfig } from '../src/config.js';
import { createLogger, createRuntime, type Runtime } from '../src/runtime.js';
import type { BenchDb } from './database.js';
import type { Target } from './measure.js';
import type { BenchOptions } from './options.js';
import { statusKb } from './proc-stats.js';

/**
 * What every limit is set to with --processes: on, counted in Redis by every process, and out of
 * reach of any run (a billion a minute; windows of a minute, so the bench's counters are gone from
 * a shared Redis a minute after it ends), so what the bench measures is what counting costs.
 */
export const UNREACHABLE_LIMIT = '1000000000/1m';

/** The limits' environment and how the run describes them. */
export function limitsOf(opts: BenchOptions): { env: Record<string, string>; describe: string } {
  if (opts.processes === undefined) {
    return {
      env: { ...LIMITS_OFF },
      describe: `${Object.entries(LIMITS_OFF)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')} (rate limits and quotas off for the run)`,
    };
  }
  const redis = opts.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  return {
    env: {
      ...Object.fromEntries(Object.keys(LIMITS_OFF).map((k) => [k, UNREACHABLE_LIMIT])),
      REDIS_URL: redis,
    },
    describe: `every rate limit and quota on at ${UNREACHABLE_LIMIT} (${Object.keys(LIMITS_OFF).join(', ')}), counted in Redis at ${redis}`,
  };
}

/** `npm start`'s command (package.json's start script), as words. */
function startWords(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  return pkg.scripts.start.split(/\s+/);
}

/**
 * The Node.js flags of `npm start` (e.g. the young generation's size), so the benchmarked server
 * runs as it is started in use.
 */
export function startFlags(): string[] {
  return startWords().filter((word) => word.startsWith('--'));
}

/** The environment `npm start` sets before its command (e.g. MALLOC_ARENA_MAX), for the same reason. */
export function startEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const word of startWords()) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(word);
    if (!m) break;
    env[m[1] as string] = m[2] as string;
  }
  return env;
}

export interface Servers {
  /** the URL every process is configured with (the first one's; the tokens' issuer and audience) */
  publicUrl: string;
  /** the environment the processes share (PORT apart) */
  env: Record<string, string>;
  /** the processes, once started */
  targets: Target[];
  start(): Promise<void>;
  /** the largest peak resident set (VmHWM) of any process, MB */
  hwmMb(): number;
  stop(): Promise<void>;
}

/** Plans `count` server processes on db (ports, shared environment); start() starts them all. */
export async function planServers(opts: BenchOptions, db: BenchDb, count: number): Promise<Servers> {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) ports.push(await freePort());
  const publicUrl = `http://127.0.0.1:${ports[0]}`;
  const env: Record<string, string> = {
    ...startEnv(),
    HOST: '127.0.0.1',
    PUBLIC_URL: publicUrl,
    DATABASE_URL: db.url,
    ADMIT_SECRET: randomBytes(32).toString('base64url'),
    ...limitsOf(opts).env,
    LOG_LEVEL: 'warn',
    ...opts.serverEnv,
  };
  const nodeFlags = [
    ...startFlags(),
    ...(opts.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', opts.cpuProfDir] : []),
  ];
  const procs: Proc[] = [];
  const targets: Target[] = [];
  return {
    publicUrl,
    env,
    targets,
    async start() {
      for (const port of ports) {
        // stderr shows as it comes (the server logs at warn); stdout is kept, like any child's
        procs.push(
          spawnNode(
            opts.main ?? 'dist/main.js',
            [],
            { ...env, PORT: String(port) },
            { inheritEnv: true, nodeFlags, stderr: 'inherit' },
          ),
        );
      }
      for (const [i, p] of procs.entries()) {
        // minutes, not seconds: on a loaded machine a server has taken over 30 s to start
        await waitForHttp(`http://127.0.0.1:${ports[i]}/healthz`, p, 180_000);
        targets.push({ url: `http://127.0.0.1:${ports[i]}`, pid: p.child.pid ?? 0 });
      }
    },
    hwmMb: () => Math.max(0, ...targets.map((t) => Math.round(statusKb(t.pid, 'VmHWM') / 1024))),
    async stop() {
      await Promise.all(procs.map((p) => stop(p, 15_000)));
    },
  };
}

/**
 * This process's runtime on the servers' database: migrations, the built-in issuer's keys (to sign
 * bearer tokens) and the bulk seeds. The servers load the same keys (same ADMIT_SECRET). No Redis: it
 * counts nothing here. No statement timeout to speak of: a bulk insert of a million rows takes minutes
 * on a loaded machine.
 */
export function benchRuntime(servers: Servers): Promise<Runtime> {
  const { REDIS_URL: _redis, ...env } = servers.env;
  return createRuntime(loadConfig({ ...env, LOG_LEVEL: 'warn' }), {
    logger: createLogger({ logLevel: 'warn' }),
    pool: { statementTimeoutMs: 3_600_000 },
  });
}
