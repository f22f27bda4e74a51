import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Config } from '../../src/config.js';

export type TestDialect = 'sqlite' | 'postgres';

/** SQLite always; PostgreSQL too when TEST_DATABASE_URL is set (CI sets it). */
export function dialects(): TestDialect[] {
  return process.env.TEST_DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];
}

export const STRESS = process.env.STRESS === '1';

/**
 * A fresh, empty database of the dialect: a temporary SQLite file, or a new schema in the
 * TEST_DATABASE_URL database (selected through search_path, so migrations run into it).
 */
export async function freshDatabase(
  dialect: TestDialect,
): Promise<{ database: Config['database']; url: string }> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'admit-test-'));
    const path = join(dir, 'admit.db');
    return { database: { kind: 'sqlite', path }, url: `sqlite:${path}` };
  }
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error('TEST_DATABASE_URL is not set');
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  try {
    await client.query(`create schema ${schema}`);
  } finally {
    await client.end();
  }
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { database: { kind: 'postgres', url: url.toString() }, url: url.toString() };
}
