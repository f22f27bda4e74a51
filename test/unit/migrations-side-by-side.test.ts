import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDb } from '../../src/db/create-db.js';
import { migrateTo, migrateToLatest } from '../../src/db/migrate.js';
import { freshDatabase } from '../support/db.js';

// Several schemas of one PostgreSQL database migrate side by side (tenants, or test files run at
// once). Kysely's migrator lists every table and column of the database before it starts; a column
// another schema's migration drops during that listing must not fail this schema's migration.

const M0009 = '0009_webhooks'; // taking 0010 down drops signing_keys.activates_at
const RUNS = 15;

describe('[postgres] migrations in schemas side by side', () => {
  it(`migrates ${RUNS} fresh schemas while another schema takes a column-dropping migration down and up`, {
    skip: !process.env.TEST_DATABASE_URL && 'PostgreSQL only: needs TEST_DATABASE_URL',
  }, async () => {
    const logger = { error: () => undefined };
    const flipping = createDb((await freshDatabase('postgres')).database, logger);
    await migrateToLatest(flipping.kysely);
    let stop = false;
    let flips = 0;
    const flipper = (async () => {
      while (!stop) {
        await migrateTo(flipping.kysely, M0009);
        await migrateToLatest(flipping.kysely);
        flips++;
      }
    })();
    const failures: string[] = [];
    try {
      for (let i = 0; i < RUNS; i++) {
        const db = createDb((await freshDatabase('postgres')).database, logger);
        try {
          await migrateToLatest(db.kysely);
        } catch (err) {
          failures.push(String(err));
        } finally {
          await db.close();
        }
      }
    } finally {
      stop = true;
      await flipper;
      await flipping.close();
    }
    assert.ok(flips > 0, 'the other schema went down and up at least once meanwhile');
    assert.deepEqual(failures, []);
  });
});
