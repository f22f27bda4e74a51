#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's test runner (through tsx). When TEST_DATABASE_URL is set,
// PostgreSQL must answer first: the PostgreSQL half of the suite fails loudly, it never skips.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return find(p);
    return name.endsWith('.test.ts') ? [p] : [];
  });
}

const only = process.argv.slice(2);
const files = only.length > 0 ? only : find('test').sort();

if (process.env.TEST_DATABASE_URL) {
  const probe = spawnSync(
    process.execPath,
    [
      '-e',
      `const pg=require('pg');const c=new pg.Client({connectionString:process.env.TEST_DATABASE_URL,connectionTimeoutMillis:5000});c.connect().then(()=>c.query('select 1')).then(()=>c.end()).then(()=>process.exit(0),e=>{console.error(e.message);process.exit(1)})`,
    ],
    { stdio: 'inherit' },
  );
  if (probe.status !== 0) {
    console.error(
      `TEST_DATABASE_URL is set but PostgreSQL does not answer: ${process.env.TEST_DATABASE_URL}`,
    );
    process.exit(1);
  }
  if (process.env.CI === 'true') {
    // each test app migrates into its own t_* schema; a CI run starts by dropping earlier runs' leftovers
    spawnSync(
      process.execPath,
      [
        '-e',
        `const pg=require('pg');const c=new pg.Client({connectionString:process.env.TEST_DATABASE_URL});c.connect().then(async()=>{const r=await c.query("select nspname from pg_namespace where left(nspname,2)='t_' and length(nspname)=14");for(const {nspname} of r.rows)await c.query('drop schema '+nspname+' cascade');await c.end()})`,
      ],
      { stdio: 'inherit' },
    );
  }
  console.log(`PostgreSQL half enabled: ${process.env.TEST_DATABASE_URL.replace(/:[^:@/]*@/, ':***@')}`);
} else {
  console.log('TEST_DATABASE_URL is not set: SQLite only.');
}

const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
  // NODE_ENV=test turns on the storage layer's checks (src/db/checks.ts) unless the caller chose otherwise
  { stdio: 'inherit', env: { NODE_ENV: 'test', ...process.env } },
);
process.exit(result.status ?? 1);
