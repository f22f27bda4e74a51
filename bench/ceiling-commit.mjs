// The write ceiling: raw single-row committed inserts through the service's driver and durability
// settings, in its own process. SQLite: better-sqlite3, WAL, synchronous=FULL, one connection (as the
// service has), one prepared INSERT per commit. PostgreSQL: node-postgres pool of 10 (the service's
// default), `connections` concurrent autocommit INSERTs.
// An INSERT that fails is counted as an error and the run goes on; so is a commit that is not in the
// table afterwards (the rows are counted before and after the run).
// Usage: node bench/ceiling-commit.mjs <sqlite:PATH | postgres://…> <seconds> <connections>
// Prints one JSON object: {commits, errors, seconds, commitsPerSec, p50Ms, p99Ms, rssMb}.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

const [url = '', secondsArg = '5', connectionsArg = '50'] = process.argv.slice(2);
const seconds = Number(secondsArg);
const connections = Number(connectionsArg);
const latencies = [];
let failed = 0;

const row = () => [randomUUID(), randomBytes(32).toString('hex'), 'ceiling@example.com', Date.now()];

function peakRssMb() {
  const status = readFileSync('/proc/self/status', 'utf8');
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Math.round(Number(m[1]) / 1024) : Math.round(process.memoryUsage().rss / 1048576);
}

function pct(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function sqlite(path) {
  const { default: SQLite } = await import('better-sqlite3');
  const db = new SQLite(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.exec(
    'create table if not exists ceiling (id text primary key, token_hash text not null unique, email text not null, created_at bigint not null)',
  );
  const insert = db.prepare('insert into ceiling (id, token_hash, email, created_at) values (?, ?, ?, ?)');
  const count = db.prepare('select count(*) as n from ceiling');
  // the file is kept between the run before the scenarios and the one after them
  const before = count.get().n;
  const end = performance.now() + seconds * 1000;
  let n = 0;
  while (performance.now() < end) {
    const t = performance.now();
    try {
      insert.run(...row()); // autocommit: one committed transaction per row
    } catch {
      failed++;
      continue;
    }
    latencies.push(performance.now() - t);
    n++;
  }
  const stored = count.get().n - before;
  db.close();
  return { commits: n, stored };
}

async function postgres(connectionString) {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString, max: 10 });
  await pool.query(
    'create table if not exists ceiling (id text primary key, token_hash text not null unique, email text not null, created_at bigint not null)',
  );
  const counted = async () => (await pool.query('select count(*)::int as n from ceiling')).rows[0].n;
  const before = await counted();
  const end = performance.now() + seconds * 1000;
  let n = 0;
  const worker = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      try {
        await pool.query(
          'insert into ceiling (id, token_hash, email, created_at) values ($1, $2, $3, $4)',
          row(),
        );
      } catch {
        failed++;
        continue;
      }
      latencies.push(performance.now() - t);
      n++;
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const stored = (await counted()) - before;
  await pool.query('drop table ceiling');
  await pool.end();
  return { commits: n, stored };
}

const started = performance.now();
const { commits, stored } = url.startsWith('sqlite:')
  ? await sqlite(url.slice('sqlite:'.length))
  : await postgres(url);
const elapsed = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({
    commits,
    errors: failed + Math.abs(commits - stored),
    seconds: elapsed,
    commitsPerSec: Math.round(commits / elapsed),
    p50Ms: Number(pct(latencies, 50).toFixed(3)),
    p99Ms: Number(pct(latencies, 99).toFixed(3)),
    rssMb: peakRssMb(),
  })}\n`,
);
