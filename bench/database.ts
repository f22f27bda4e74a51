// A fresh database for each bench run: a temporary SQLite file, or a new schema in PostgreSQL.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface BenchDb {
  url: string;
  describe: string;
  /**
   * PostgreSQL: what every connection to this run's schema is named in pg_stat_activity (the URL's
   * application_name, which node-postgres puts before the service's own), so the run can tell its
   * statements from other runs' in the same database
   */
  applicationName?: string;
  cleanup(): Promise<void>;
}

export async function freshDb(kind: 'sqlite' | 'postgres', postgresUrl?: string): Promise<BenchDb> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'admit-bench-'));
    return {
      url: `sqlite:${join(dir, 'admit.db')}`,
      describe: `SQLite ${join(dir, 'admit.db')} (WAL, synchronous=FULL)`,
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const base =
    postgresUrl ?? process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/admit_bench';
  const target = new URL(base);
  const dbName = decodeURIComponent(target.pathname.slice(1)) || 'admit_bench';
  const admin = new URL(base);
  admin.pathname = '/postgres';
  const c = new pg.Client({ connectionString: admin.toString() });
  await c.connect();
  try {
    const exists = await c.query('select 1 from pg_database where datname = $1', [dbName]);
    if (exists.rowCount === 0) await c.query(`create database "${dbName.replace(/"/g, '""')}"`);
  } finally {
    await c.end();
  }
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  const q = async (text: string) => {
    const client = new pg.Client({ connectionString: base });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  };
  await q(`create schema ${schema}`);
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const applicationName = `admit-${schema}`;
  url.searchParams.set('application_name', applicationName);
  return {
    url: url.toString(),
    applicationName,
    describe: `PostgreSQL ${target.host}/${dbName}, fresh schema ${schema}`,
    cleanup: () => q(`drop schema ${schema} cascade`),
  };
}
