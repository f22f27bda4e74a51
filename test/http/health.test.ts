import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { client, createTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/db.js';
import { actor } from '../support/fixtures.js';

for (const dialect of dialects()) {
  describe(`[${dialect}] health and readiness`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(dialect);
    });
    after(() => t.close().catch(() => undefined));

    it('answers /healthz and /readyz while the database answers', async () => {
      const api = client(t.app);
      assert.deepEqual((await api.get('/healthz')).json(), { status: 'ok' });
      const ready = await api.get('/readyz');
      assert.equal(ready.statusCode, 200);
      assert.deepEqual(ready.json(), { status: 'ready' });
    });

    it('recovers when PostgreSQL terminates every connection of the app', {
      skip: dialect !== 'postgres' && 'PostgreSQL only: an embedded SQLite has no connections to lose',
    }, async () => {
      const alice = await actor(t, 'alice@example.com');
      assert.equal((await alice.api.post('/v1/organizations', { name: 'Before' })).statusCode, 201);
      // only this app's pool: its connections carry an application name of their own
      await sql`select pg_terminate_backend(pid) from pg_stat_activity
                  where application_name = current_setting('application_name')
                  and pid <> pg_backend_pid()`.execute(t.rt.db.kysely);
      // at most the requests on the killed connections fail, and never with a 500
      const statuses: number[] = [];
      for (let i = 0; i < 25 && statuses.at(-1) !== 200; i++) {
        statuses.push((await client(t.app).get('/readyz')).statusCode);
      }
      assert.equal(statuses.at(-1), 200, `readiness came back: ${statuses.join(',')}`);
      assert.ok(
        statuses.every((s) => s === 200 || s === 503),
        statuses.join(','),
      );
      assert.equal((await alice.api.post('/v1/organizations', { name: 'After' })).statusCode, 201);
    });

    it('answers 503 with Retry-After, not 500, once the database is gone', async () => {
      const alice = await actor(t, 'alice@example.com');
      await t.rt.db.close();
      const ready = await client(t.app).get('/readyz');
      assert.equal(ready.statusCode, 503, ready.body);
      assert.ok(Number(ready.headers['retry-after']) >= 1);
      assert.match(String(ready.headers['content-type']), /^application\/problem\+json/);
      const create = await alice.api.post('/v1/organizations', { name: 'Acme' });
      assert.equal(create.statusCode, 503, create.body);
      assert.equal(create.json<{ code: string }>().code, 'service_unavailable');
      const preview = await client(t.app).get(`/api/v1/invitations/inv_${'a'.repeat(43)}`);
      assert.equal(preview.statusCode, 503, preview.body);
      assert.equal(preview.json<{ error: { code: string } }>().error.code, 'service_unavailable');
    });
  });
}
