// ceiling-commit: the write ceiling, raw single-row committed inserts through the service's driver and
// durability settings in their own process (bench/ceiling-commit.mjs); create's and accept's ratios
// are relative to it. Not HTTP: no status or body to check, so those fields stay 0; errors counts the
// inserts that failed and the commits missing from the table afterwards.
import { firstLine, spawnNode } from '../../scripts/proc.js';
import type { BenchDb } from '../database.js';
import type { BenchOptions, ScenarioResult } from '../options.js';
import { postgresCpuSeconds } from '../proc-stats.js';

export async function ceilingCommit(
  opts: BenchOptions,
  db: BenchDb,
  name = 'ceiling-commit',
): Promise<ScenarioResult> {
  // its own table (SQLite: its own file beside the service's; PostgreSQL: the bench schema)
  const url = db.url.startsWith('sqlite:') ? `${db.url.slice(0, -'.db'.length)}-ceiling.db` : db.url;
  const postgres = !db.url.startsWith('sqlite:');
  const databaseCpu0 = postgres ? postgresCpuSeconds() : 0;
  const child = spawnNode(
    'bench/ceiling-commit.mjs',
    [url, String(opts.duration), String(opts.connections)],
    {},
    { inheritEnv: true, stderr: 'inherit' },
  );
  const line = await firstLine(child);
  await child.exited;
  // the whole run, opening and closing its connections included: a little more than per commit
  const databaseCpu = postgres ? postgresCpuSeconds() - databaseCpu0 : 0;
  const r = JSON.parse(line) as {
    commits: number;
    errors: number;
    commitsPerSec: number;
    p50Ms: number;
    p99Ms: number;
    rssMb: number;
  };
  return {
    scenario: name,
    reqPerSec: r.commitsPerSec,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    non2xx: 0,
    errors: r.errors,
    rssMb: r.rssMb,
    wrongStatus: 0,
    checked: 0,
    badBodies: 0,
    requests: r.commits,
    note: 'commits/s',
    ...(postgres ? { databaseCpuUs: Math.round((databaseCpu * 1e6) / Math.max(r.commits, 1)) } : {}),
  };
}
