// `npm run bench [-- --duration 10 --connections 50 --rate R --db sqlite|postgres --warmup 2 --only preview,create
//  --cpu-prof DIR --processes N]`: one JSON line per scenario on stdout, then a Markdown table with the
// ratios. `npm run bench -- --scale [--big-org 1000000 --orgs 100000 --rate 100]`: every list on a
// 1,000- and a 1,000,000-invitation database (bench/scale.ts). Progress and settings go to stderr.
// See bench/bench.ts and BENCHMARKS.md.
import { parseArgs } from 'node:util';
import { DEFAULTS, runBench } from './bench.js';
import type { BenchOptions } from './options.js';
import { runScale, SCALE_DEFAULTS } from './scale.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string' },
    connections: { type: 'string' },
    rate: { type: 'string' },
    db: { type: 'string' },
    warmup: { type: 'string' },
    only: { type: 'string' },
    'cpu-prof': { type: 'string' },
    invitees: { type: 'string' },
    'big-org': { type: 'string' },
    'small-org': { type: 'string' },
    orgs: { type: 'string' },
    scale: { type: 'boolean' },
    processes: { type: 'string' },
    env: { type: 'string', multiple: true },
    main: { type: 'string' },
  },
});

function num(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) {
    process.stderr.write(`bench: --${name} expects a number, got ${raw}\n`);
    process.exit(2);
  }
  return n;
}

const db = values.db ?? 'sqlite';
if (db !== 'sqlite' && db !== 'postgres') {
  process.stderr.write('bench: --db is sqlite or postgres\n');
  process.exit(2);
}

const processes = values.processes === undefined ? undefined : num('processes', values.processes, 1);
if (processes !== undefined && (!Number.isInteger(processes) || processes < 1)) {
  process.stderr.write('bench: --processes expects a whole number of at least 1\n');
  process.exit(2);
}
if (processes !== undefined && processes > 1 && db === 'sqlite') {
  process.stderr.write(
    'bench: --processes above 1 needs --db postgres (SQLite is one server process, see DATABASE_URL in the README)\n',
  );
  process.exit(2);
}
const scale = values.scale === true;
if (scale && processes !== undefined) {
  process.stderr.write('bench: --scale runs one process per database, without --processes\n');
  process.exit(2);
}
const rate = num('rate', values.rate, scale ? SCALE_DEFAULTS.rate : 0);

const options: BenchOptions = {
  ...DEFAULTS,
  duration: num('duration', values.duration, DEFAULTS.duration),
  connections: num(
    'connections',
    values.connections,
    scale ? SCALE_DEFAULTS.connections : DEFAULTS.connections,
  ),
  ...(rate ? { rate } : {}),
  warmup: num('warmup', values.warmup, DEFAULTS.warmup),
  invitees: num('invitees', values.invitees, DEFAULTS.invitees),
  bigOrg: num('big-org', values['big-org'], scale ? SCALE_DEFAULTS.bigOrg : DEFAULTS.bigOrg),
  smallOrg: num('small-org', values['small-org'], DEFAULTS.smallOrg),
  db,
  ...(processes !== undefined ? { processes } : {}),
  serverEnv: Object.fromEntries(
    (values.env ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  ),
  ...(values.main ? { main: values.main } : {}),
  ...(values.only ? { only: values.only.split(',').map((s) => s.trim()) } : {}),
  ...(values['cpu-prof'] ? { cpuProfDir: values['cpu-prof'] } : {}),
};
const scaled = scale
  ? await runScale(options, values.orgs === undefined ? undefined : num('orgs', values.orgs, 0))
  : undefined;
const report = scaled ?? (await runBench(options));
const seeds = scaled
  ? `${scaled.sides
      .map(
        (s) =>
          `${s.label}: ${s.invitations} invitations in the large organization, ${s.organizations} other organizations, seeded in ${s.seed.total.toFixed(1)} s (HTTP and invitees ${s.seed.http.toFixed(1)} s, organizations ${s.seed.organizations.toFixed(1)} s, large list ${s.seed.largeList.toFixed(1)} s, scoped caller ${s.seed.scoped.toFixed(1)} s); ${s.size}`,
      )
      .join('\n')}\n\n`
  : '';
process.stdout.write(
  `\n${Object.entries(report.settings)
    .map(([k, v]) => `${k}: ${v}`)
    .join(' · ')}\n\n${seeds}${report.table}\n`,
);
