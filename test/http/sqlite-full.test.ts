import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createTestApp, type TestApp } from '../support/app.js';
import { actor, organization } from '../support/fixtures.js';

// RELIABILITY-PLAN case 52: a full disk (forced with max_page_count) answers 503, rolls the
// transaction back, and the service is healthy again once there is room.

describe('[sqlite] a full database', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp('sqlite');
  });
  after(() => t.close());

  it('answers 503 with Retry-After (never 500), keeps no partial write, and recovers', async () => {
    const alice = await actor(t, 'alice@example.com');
    const org = await organization(alice);
    const k = t.rt.db.kysely;
    const pages = Number(
      (await sql<{ page_count: number }>`pragma page_count`.execute(k)).rows[0]?.page_count,
    );
    await sql.raw(`pragma max_page_count = ${pages + 2}`).execute(k);

    const statuses: number[] = [];
    for (let i = 0; i < 400 && !statuses.includes(503); i++) {
      const res = await alice.api.post(`/v1/organizations/${org}/invitations`, {
        email: `person-${i}-${'x'.repeat(40)}@example.com`,
        role: 'member',
      });
      statuses.push(res.statusCode);
      if (res.statusCode === 503) {
        assert.ok(Number(res.headers['retry-after']) >= 1);
        assert.equal(res.json<{ code: string }>().code, 'service_unavailable');
      }
    }
    assert.ok(statuses.includes(503), `the database filled up: ${statuses.length} creates`);
    assert.ok(
      statuses.every((s) => s === 201 || s === 503),
      statuses.filter((s) => s !== 201).join(','),
    );

    // every 201 is stored with its outbox row; nothing of a refused create is
    const created = statuses.filter((s) => s === 201).length;
    const rows = await k
      .selectFrom('invitations')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const outbox = await k
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    assert.equal(Number(rows.n), created);
    assert.equal(Number(outbox.n), created);

    await sql.raw('pragma max_page_count = 1073741823').execute(k);
    const again = await alice.api.post(`/v1/organizations/${org}/invitations`, {
      email: 'after@example.com',
      role: 'member',
    });
    assert.equal(again.statusCode, 201, again.body);
    assert.equal((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
    const integrity = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(k);
    assert.equal(integrity.rows[0]?.integrity_check, 'ok');
  });
});
