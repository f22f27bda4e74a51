// `npm run bench -- --scale`: is a list's cost flat in the size of the database? Two databases side by
// side, each with its own Admit server process: one whose large organization holds --small-org
// invitations (1,000) among --small-org/10 organizations, one whose large organization holds
// --big-org (1,000,000) among --orgs (--big-org/10: 100,000) organizations (scale-seed.ts). Every list
// is measured on both in alternating halves (1k, 1M, 1k, 1M), at a fixed offered rate (--rate, default
// 100 req/s): at full speed a p99 is mostly queueing, which says how fast the machine is, not what one
// page costs. The report: each list's p99 on both, and their ratio (the target: at most 1.5). The lists:
// the large organization's first page, unfiltered (kept on SQLite) and `?status=pending`, and pages deep
// in it by cursor; the cross-organization list of a caller in 10 small organizations, of a system
// administrator, and of the owner of every organization (the large one included); an invitee's list.
import { sql } from 'kysely';
import type { Runtime } from '../src/runtime.js';
import { type BenchDb, freshDb } from './database.js';
import { measurePair } from './measure.js';
import { type BenchOptions, runSettings, type ScenarioResult } from './options.js';
import { databaseSize, type SeedTimes, seedScale } from './scale-seed.js';
import type { Scenario, World } from './scenario.js';
import { adminLists } from './scenarios/admin-list.js';
import { adminListCursor } from './scenarios/admin-list-cursor.js';
import { inviteeList } from './scenarios/invitee-list.js';
import { scopedList10Orgs, scopedListOwner, scopedListSystemAdmin } from './scenarios/scoped-list.js';
import { seedWorld } from './seed.js';
import { benchRuntime, planServers, type Servers } from './servers.js';

export const SCALE_DEFAULTS = { bigOrg: 1_000_000, rate: 100, connections: 10 };

/** The lists compared, by the name the report gives them. */
const LISTS: [string, Scenario][] = [
  ['admin-list', adminLists[0] as Scenario],
  ['admin-list-filtered', adminLists[2] as Scenario],
  ['scoped-list-10-orgs', scopedList10Orgs],
  ['scoped-list-system-admin', scopedListSystemAdmin],
  ['invitee-list', inviteeList],
  ['admin-list-cursor', adminListCursor],
  ['scoped-list-owner', scopedListOwner],
];
export const SCALE_LISTS = LISTS.map(([name]) => name);

interface Side {
  label: string;
  db: BenchDb;
  servers: Servers;
  rt?: Runtime;
  world?: World;
  seed?: SeedTimes;
  size?: string;
}

export interface ScaleReport {
  settings: Record<string, string | number>;
  sides: { label: string; invitations: number; organizations: number; seed: SeedTimes; size: string }[];
  results: ScenarioResult[];
  table: string;
}

const label = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));

/** Opens and seeds one side; it joins `sides` (which the caller closes) as soon as it exists. */
async function open(opts: BenchOptions, size: number, orgs: number, sides: Side[]): Promise<void> {
  const db = await freshDb(opts.db, opts.postgresUrl);
  const side: Side = { label: label(size), db, servers: await planServers(opts, db, 1) };
  sides.push(side);
  side.rt = await benchRuntime(side.servers);
  await side.servers.start();
  const sideOpts = {
    ...opts,
    bigOrg: size,
    scopedOrg: Math.max(1, Math.floor(opts.smallOrg / 10)),
    inviteesInBulk: true,
  };
  const t = performance.now();
  side.world = await seedWorld(side.rt, side.servers.targets, sideOpts);
  side.seed = await seedScale(side.world, orgs, (performance.now() - t) / 1000);
  side.size = await databaseSize(side.rt, db);
  opts.log(
    `  ${side.label}: ${size} invitations in the large organization, ${orgs} other organizations; seeded in ${side.seed.total.toFixed(1)} s ` +
      `(HTTP and invitees ${side.seed.http.toFixed(1)}, organizations ${side.seed.organizations.toFixed(1)}, large list ${side.seed.largeList.toFixed(1)}, scoped caller ${side.seed.scoped.toFixed(1)}); ${side.size}`,
  );
}

const SETTLE_MS = 180_000;

/**
 * Waits until the requests a stretch left unanswered are done: a server keeps working on them after
 * the client has gone (SQLite's statements block its event loop; PostgreSQL's run on in the database),
 * and the next stretch, on either side, would pay for them. Each server must answer /healthz within
 * 50 ms and, on PostgreSQL, no statement of the run's may still be running; at most 3 minutes.
 */
async function settle(sides: Side[], log: (line: string) => void): Promise<void> {
  const t0 = performance.now();
  const quick = async (url: string) => {
    const t = performance.now();
    await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(SETTLE_MS) }).then((r) => r.text());
    return performance.now() - t < 50;
  };
  const busyStatements = async (side: Side) =>
    !side.rt || !side.db.applicationName
      ? 0
      : Number(
          (
            await sql<{ n: string }>`select count(*) as n from pg_stat_activity
              where application_name = ${side.db.applicationName} and state = 'active'
                and pid <> pg_backend_pid()`.execute(side.rt.db.kysely)
          ).rows[0]?.n ?? 0,
        );
  for (;;) {
    let idle = true;
    for (const side of sides) {
      for (const t of side.servers.targets) if (!(await quick(t.url))) idle = false;
      if ((await busyStatements(side)) > 0) idle = false;
    }
    const waited = performance.now() - t0;
    if (idle || waited > SETTLE_MS) {
      if (waited > 1000)
        log(`  waited ${(waited / 1000).toFixed(1)} s for the last stretch's requests to finish`);
      return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function close(side: Side, log: (line: string) => void) {
  await side.servers.stop();
  if (side.rt) await side.rt.close();
  await side.db.cleanup().catch((err) => log(`cleanup failed: ${String(err)}`));
}

function table(
  pairs: [string, ScenarioResult, ScenarioResult][],
  small: string,
  big: string,
  stretchSeconds: number,
): string {
  const lines = [
    `| list | p99 ms ${small} | p99 ms ${big} | ratio | p50 ms ${small} / ${big} | req/s ${small} / ${big} | server CPU µs/req ${small} / ${big} | errors + non-2xx + bad bodies | server RSS MB ${big} |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const [name, a, b] of pairs) {
    const bad = (r: ScenarioResult) => r.errors + r.non2xx + r.wrongStatus + r.badBodies;
    // none answered within a stretch: its p99 is at least the stretch
    const p99 = (r: ScenarioResult) =>
      r.requests > 0 ? r.p99Ms.toFixed(2) : `none answered in ${stretchSeconds} s`;
    const ratio =
      a.requests === 0
        ? 'n/a'
        : b.requests === 0
          ? `> ${((stretchSeconds * 1000) / Math.max(a.p99Ms, 0.001)).toFixed(0)}×`
          : `${(b.p99Ms / Math.max(a.p99Ms, 0.001)).toFixed(2)}×`;
    const cpu = (r: ScenarioResult) => (r.requests > 0 ? (r.serverCpuUs ?? '—') : '—');
    lines.push(
      `| ${name} | ${p99(a)} | ${p99(b)} | ${ratio} | ${a.p50Ms.toFixed(2)} / ${b.p50Ms.toFixed(2)} | ${a.reqPerSec} / ${b.reqPerSec} | ${cpu(a)} / ${cpu(b)} | ${bad(a) + bad(b)} | ${b.rssMb} |`,
    );
  }
  return lines.join('\n');
}

export async function runScale(opts: BenchOptions, orgs?: number): Promise<ScaleReport> {
  const sizes: [number, number] = [opts.smallOrg, opts.bigOrg];
  const orgCounts = sizes.map((n, i) => (i === 1 && orgs !== undefined ? orgs : Math.floor(n / 10)));
  const settings = {
    ...runSettings(opts),
    database: opts.db,
    offeredRate: opts.rate ?? 'none (as fast as possible)',
    sizes: sizes.join(' / '),
    organizations: orgCounts.join(' / '),
    limits: 'off',
  };
  opts.log(
    `admit bench --scale: ${opts.db}; ${sizes.map(label).join(' vs ')} invitations in the large organization; ${opts.duration} s per list (alternating halves) after ${opts.warmup} s warm-up each, ${opts.connections} connections${opts.rate ? `, ${opts.rate} req/s offered` : ''}; limits off`,
  );
  const sides: Side[] = [];
  try {
    for (const [i, n] of sizes.entries()) await open(opts, n, orgCounts[i] ?? 0, sides);
    const [a, b] = sides as [Side, Side];
    const results: ScenarioResult[] = [];
    const pairs: [string, ScenarioResult, ScenarioResult][] = [];
    for (const [name, s] of LISTS) {
      const loadOf = async (side: Side) => {
        const world = side.world as World;
        const load = await s.load(world);
        return [
          `${name} @${side.label}`,
          { ...load, check: (body: unknown, ctx: Record<string, unknown>) => s.check(body, ctx, world) },
          side.servers.targets,
        ] as const;
      };
      const [ra, rb] = await measurePair(
        [...(await loadOf(a))],
        [...(await loadOf(b))],
        a.servers.targets,
        opts,
        () => settle(sides, opts.log),
      );
      for (const r of [ra, rb]) opts.emit(JSON.stringify(r));
      results.push(ra, rb);
      pairs.push([name, ra, rb]);
    }
    return {
      settings,
      sides: sides.map((s, i) => ({
        label: s.label,
        invitations: sizes[i] ?? 0,
        organizations: orgCounts[i] ?? 0,
        seed: s.seed as SeedTimes,
        size: s.size ?? '',
      })),
      results,
      table: table(pairs, a.label, b.label, opts.duration / 2),
    };
  } finally {
    for (const side of sides) await close(side, opts.log);
  }
}
