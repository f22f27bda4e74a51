// The seed of one --scale database, and its size on disk. Around what the lists read:
// - `orgs` organizations, each with its own owner, the built-in roles, the owner's membership and one
//   pending invitation, spread over the same stretch of time as the large list (bulk.ts);
// - the large organization: `size` pending invitations, the newest rows of the database;
// - the scoped caller's 10 organizations (scoped-list.ts), their rows older than every row of the large
//   organization: a list that walked the newest rows of all organizations to find the caller's would
//   read all of them first, so a plan that does shows at once;
// - the shared HTTP seed (seed.ts: invitees with three invitations each), made before all of these.
import { statSync } from 'node:fs';
import { sql } from 'kysely';
import type { Runtime } from '../src/runtime.js';
import { bulkOrganizations } from './bulk.js';
import type { BenchDb } from './database.js';
import type { World } from './scenario.js';
import { seedOnce } from './scenarios/admin-list.js';
import { scopedList10Orgs } from './scenarios/scoped-list.js';

/** Seconds each part of the seed took. */
export interface SeedTimes {
  http: number;
  organizations: number;
  largeList: number;
  scoped: number;
  total: number;
}

const since = (t: number) => (performance.now() - t) / 1000;

/** Bulk-seeds world (already seeded over HTTP, which took httpSeconds) for --scale. */
export async function seedScale(world: World, orgs: number, httpSeconds: number): Promise<SeedTimes> {
  const t0 = performance.now();
  const size = world.opts.bigOrg;
  const newest = Date.now();
  // the same stretch as the large list's (size rows, 10 ms apart)
  await bulkOrganizations(world.rt, {
    count: orgs,
    newest,
    spacingMs: Math.max(1, Math.floor((size * 10) / orgs)),
  });
  const organizations = since(t0);
  const t1 = performance.now();
  await seedOnce(world, 'big');
  const largeList = since(t1);
  const t2 = performance.now();
  world.scopedNewest = newest - size * 10 - 10;
  await scopedList10Orgs.seed?.(world);
  const scoped = since(t2);
  return { http: httpSeconds, organizations, largeList, scoped, total: httpSeconds + since(t0) };
}

const MB = 1024 * 1024;
const mb = (bytes: number) => Math.round(bytes / MB);

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * The database's size once seeded. SQLite: the file and its WAL as the seed left them, then the file
 * after a checkpoint that empties the WAL (the runs measure with it emptied). PostgreSQL: the bench
 * schema's tables with their indexes and TOAST, the invitations table and its indexes apart, and the
 * whole database (which holds other runs' schemas too).
 */
export async function databaseSize(rt: Runtime, db: BenchDb): Promise<string> {
  const k = rt.db.kysely;
  if (rt.db.dialect === 'sqlite') {
    const path = db.url.slice('sqlite:'.length);
    const before = `file ${mb(fileSize(path))} MB + WAL ${mb(fileSize(`${path}-wal`))} MB after the seed`;
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(k);
    return `${before}; ${mb(fileSize(path))} MB + WAL ${mb(fileSize(`${path}-wal`))} MB after a checkpoint`;
  }
  const { rows } = await sql<{ schema: string; invitations: string; indexes: string; database: string }>`
    select
      (select sum(pg_total_relation_size(c.oid)) from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = current_schema() and c.relkind = 'r') as schema,
      pg_relation_size('invitations') as invitations,
      pg_indexes_size('invitations') as indexes,
      pg_database_size(current_database()) as database`.execute(k);
  const r = rows[0];
  if (!r) return 'unknown';
  return `schema ${mb(Number(r.schema))} MB (invitations ${mb(Number(r.invitations))} MB + its indexes ${mb(Number(r.indexes))} MB); whole database ${mb(Number(r.database))} MB`;
}
