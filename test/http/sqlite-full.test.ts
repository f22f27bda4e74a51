import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createTestApp, type TestApp } from '../support/app.js';
import { actor, organization } from '../support/fixtures.js';
import { checkInvariants } from '../support/invariants.js';

// RELIABILITY-PLAN case 52: a full disk (forced with max_page_count on the server's own connection:
// the pragma is per connection, so a second one could not stage it) answers 503, rolls the
// transaction back, keeps every acknowledged write, keeps serving reads, and is healthy again once
// there is room.

describe('[sqlite] a full database', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp('sqlite');
  });
  after(() => t.close());

  it('answers 503 with Retry-After (never 500), keeps reads and every acknowledged write, and recovers', async () => {
    const alice = await actor(t, 'alice@example.com');
    const org = await organization(alice);
    const k = t.rt.db.kysely;
    const pages = Number(
      (await sql<{ page_count: number }>`pragma page_count`.execute(k)).rows[0]?.page_count,
    );
    await sql.raw(`pragma max_page_count = ${pages + 2}`).execute(k);

    const statuses: number[] = [];
    const acknowledged: { id: string; url: string }[] = [];
    for (let i = 0; i < 400 && !statuses.includes(503); i++) {
      const res = await alice.api.post(`/v1/organizations/${org}/invitations`, {
        email: `person-${i}-${'x'.repeat(40)}@example.com`,
        role: 'member',
      });
      statuses.push(res.statusCode);
      if (res.statusCode === 201) acknowledged.push(res.json<{ id: string; url: string }>());
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

    // still full: reads are served (admin list and get, the public preview by token)
    const list = await alice.api.get(`/v1/organizations/${org}/invitations?limit=100`);
    assert.equal(list.statusCode, 200, list.body);
    const listed = new Set(list.json<{ id: string }[]>().map((i) => i.id));
    for (const a of acknowledged.slice(0, 100)) assert.ok(listed.has(a.id), `acknowledged ${a.id} is listed`);
    const last = acknowledged.at(-1)!;
    assert.equal((await alice.api.get(`/v1/organizations/${org}/invitations/${last.id}`)).statusCode, 200);
    const token = last.url.slice(last.url.lastIndexOf('/') + 1);
    assert.equal(
      (await t.app.inject({ method: 'GET', url: `/api/v1/invitations/${token}` })).statusCode,
      200,
    );
    const stored = await k.selectFrom('invitations').select('id').execute();
    assert.deepEqual(new Set(stored.map((r) => r.id)), new Set(acknowledged.map((a) => a.id)));

    await sql.raw('pragma max_page_count = 1073741823').execute(k);
    const again = await alice.api.post(`/v1/organizations/${org}/invitations`, {
      email: 'after@example.com',
      role: 'member',
    });
    assert.equal(again.statusCode, 201, again.body);
    assert.equal((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
    await checkInvariants(k, { dialect: 'sqlite' });
    console.log(
      `[faults] SQLITE_FULL: 1 fault, ${statuses.length + 4} requests, ${created} acknowledged writes all kept, ` +
        `reads served while full, writes 503 then 201 once there was room`,
    );
  });
});
