// `npm run bench [-- --duration 10 --connections 50 --rate R --db sqlite|postgres --warmup 2 --only preview,create
//  --cpu-prof DIR]`: one JSON line per scenario on stdout, then a Markdown table with the ratios.
// Progress and settings go to stderr. See bench/bench.ts and BENCHMARKS.md.
import { parseArgs } from 'node:util';
import { DEFAULTS, runBench } from './bench.js';

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

const report = await runBench({
  duration: num('duration', values.duration, DEFAULTS.duration),
  connections: num('connections', values.connections, DEFAULTS.connections),
  ...(values.rate ? { rate: num('rate', values.rate, 0) } : {}),
  warmup: num('warmup', values.warmup, DEFAULTS.warmup),
  invitees: num('invitees', values.invitees, DEFAULTS.invitees),
  bigOrg: num('big-org', values['big-org'], DEFAULTS.bigOrg),
  db,
  serverEnv: Object.fromEntries(
    (values.env ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  ),
  ...(values.main ? { main: values.main } : {}),
  ...(values.only ? { only: values.only.split(',').map((s) => s.trim()) } : {}),
  ...(values['cpu-prof'] ? { cpuProfDir: values['cpu-prof'] } : {}),
});
process.stdout.write(
  `\n${Object.entries(report.settings)
    .map(([k, v]) => `${k}: ${v}`)
    .join(' · ')}\n\n${report.table}\n`,
);
