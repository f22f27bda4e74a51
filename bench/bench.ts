// The benchmark behind `npm run bench` (SPEC §9, issue 5). Admit runs as `node dist/main.js` in its own
// child process on a fresh database; autocannon drives it from this process. Seeding goes through the
// service's HTTP API (seed.ts), except the two admin-list organizations, which are bulk-inserted through
// Kysely with the row shape the service writes (scenarios/admin-list.ts). Every scenario checks status
// codes and a sample of response bodies, so a fast error never passes as a result.
//
// This file is the runner: the ceilings first, then the seed, then each chosen scenario of SCENARIO_LIST
// (one file each in scenarios/), then the ceilings again with Admit stopped.
import type { Runtime } from '../src/runtime.js';
import { freshDb } from './database.js';
import { measureOne, measurePair } from './measure.js';
import {
  type BenchOptions,
  type BenchReport,
  DEFAULTS,
  runSettings,
  type ScenarioResult,
} from './options.js';
import type { Load, Scenario, World } from './scenario.js';
import { accept } from './scenarios/accept.js';
import { ADMIN_PAIRS, adminLists } from './scenarios/admin-list.js';
import { adminListCursor } from './scenarios/admin-list-cursor.js';
import { ceilingCommit } from './scenarios/ceiling-commit.js';
import { ceilingFastify } from './scenarios/ceiling-fastify.js';
import { create } from './scenarios/create.js';
import { inviteeList } from './scenarios/invitee-list.js';
import { preview } from './scenarios/preview.js';
import { scopedList10Orgs, scopedListSystemAdmin } from './scenarios/scoped-list.js';
import { seedWorld } from './seed.js';
import { benchRuntime, limitsOf, planServers, startEnv, startFlags, UNREACHABLE_LIMIT } from './servers.js';
import { markdownTable } from './table.js';

export type { BenchOptions, BenchReport, ScenarioResult };
export { DEFAULTS, markdownTable };

/** The scenarios against Admit, in the order they run and are reported. */
const SCENARIO_LIST: Scenario[] = [
  preview,
  inviteeList,
  ...adminLists,
  adminListCursor,
  scopedList10Orgs,
  scopedListSystemAdmin,
  create,
  accept,
];

/** Every result's name, in order: the ceilings before and after the scenarios. */
export const SCENARIOS = [
  'ceiling-fastify',
  'ceiling-commit',
  ...SCENARIO_LIST.map((s) => s.name),
  'ceiling-fastify (end)',
  'ceiling-commit (end)',
];

/** The chosen scenarios (--only), with those they require (accept needs create), in run order. */
function chosen(opts: BenchOptions): Scenario[] {
  const want = (name: string) => !opts.only || opts.only.includes(name);
  return SCENARIO_LIST.filter(
    (s) => want(s.name) || SCENARIO_LIST.some((o) => o.requires === s.name && want(o.name)),
  );
}

/** Measures the scenarios; each large admin list with its small one in alternating halves when both run. */
async function measureAll(scenarios: Scenario[], world: World, emit: (r: ScenarioResult) => void) {
  const target = world.targets;
  const loadOf = async (s: Scenario): Promise<[string, Load]> => [
    s.name,
    { ...(await s.load(world)), check: (body, ctx) => s.check(body, ctx, world) },
  ];
  const done = new Set<string>();
  for (const s of scenarios) {
    if (done.has(s.name)) continue;
    const pair = ADMIN_PAIRS.find((p) => p.big === s.name);
    const partner = pair && scenarios.find((o) => o.name === pair.small);
    if (partner) {
      for (const r of await measurePair(await loadOf(s), await loadOf(partner), target, world.opts)) emit(r);
      done.add(partner.name);
    } else {
      const [name, load] = await loadOf(s);
      emit(await measureOne(name, load, target, world.opts));
    }
  }
}

export async function runBench(options: Partial<BenchOptions> = {}): Promise<BenchReport> {
  const opts: BenchOptions = { ...DEFAULTS, ...options };
  const processes = opts.processes ?? 1;
  if (processes > 1 && opts.db === 'sqlite')
    throw new Error(
      '--processes above 1 needs --db postgres: SQLite is one server process (SPEC, DATABASE_URL)',
    );
  const db = await freshDb(opts.db, opts.postgresUrl);
  const servers = await planServers(opts, db, processes);
  const limits = limitsOf(opts);
  const settings = {
    ...runSettings(opts),
    database: db.describe,
    ...(opts.rate ? { offeredRate: opts.rate } : {}),
    processes,
    limits: opts.processes === undefined ? 'off' : `on, unreachable (${UNREACHABLE_LIMIT}), in Redis`,
    logLevel: 'warn',
    serverNodeFlags: startFlags().join(' ') || 'none',
    serverStartEnv:
      Object.entries(startEnv())
        .map(([k, v]) => `${k}=${v}`)
        .join(' ') || 'none',
  };
  opts.log(
    `admit bench: ${db.describe}; ${processes} server process${processes > 1 ? 'es' : ''}; ${opts.duration} s per scenario after ${opts.warmup} s warm-up, ${opts.connections} connections${opts.rate ? `, offered load fixed at ${opts.rate} req/s` : ''}; ` +
      `${limits.describe}; LOG_LEVEL=warn`,
  );
  const results: ScenarioResult[] = [];
  const emit = (r: ScenarioResult) => {
    results.push(r);
    opts.emit(JSON.stringify(r));
  };

  let rt: Runtime | undefined;
  try {
    emit(await ceilingFastify(opts));
    emit(await ceilingCommit(opts, db));

    rt = await benchRuntime(servers);
    await servers.start();

    const world = await seedWorld(rt, servers.targets, opts);
    world.results = results;
    const scenarios = chosen(opts);
    for (const s of scenarios) await s.seed?.(world);
    await measureAll(scenarios, world, emit);

    // the kernel updates VmHWM lazily (proc(5): "inaccurate"), so a 100 ms sample can exceed it
    const hwm = Math.max(servers.hwmMb(), ...results.map((r) => r.rssMb));
    opts.log(`  server peak RSS over the whole run (VmHWM or the highest sample): ${hwm} MB`);
    // The ceilings again, with Admit stopped: on a shared machine the speed drifts during a run
    // (ceiling-fastify seen at 17.8k at the start and ~10k minutes later), so ratios use the mean
    // of the two measurements and the table shows both.
    await servers.stop();
    emit(await ceilingFastify(opts, 'ceiling-fastify (end)'));
    emit(await ceilingCommit(opts, db, 'ceiling-commit (end)'));
    return { settings, results, table: markdownTable(results) };
  } finally {
    await servers.stop();
    if (rt) await rt.close();
    await db.cleanup().catch((err) => opts.log(`cleanup failed: ${String(err)}`));
  }
}
