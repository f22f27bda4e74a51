import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { client, createTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/db.js';

// The first start's "empty database" question (main.ts prints a bootstrap token when it is true) is
// the system service's, answered from the database: a user alone, or an organization, makes it false.

for (const dialect of dialects()) {
  describe(`[${dialect}] system service: isEmpty`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(dialect);
    });
    after(() => t.close());

    it('is true on a migrated database nobody has used, false once a user signed in', async () => {
      assert.equal(await t.services.system.isEmpty(), true);
      // an authenticated request provisions the caller's user row, nothing else
      const res = await client(t.app, await t.token('alice@example.com')).get('/v1/organizations');
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(await t.services.system.isEmpty(), false);
    });

    it('is false when only an organization exists', async () => {
      await t.rt.db.kysely.deleteFrom('users').execute();
      await t.rt.db.kysely
        .insertInto('organizations')
        .values({ id: t.rt.ids.uuid(), name: 'Acme', logo_url: null, created_at: 1, updated_at: 1 })
        .execute();
      assert.equal(await t.services.system.isEmpty(), false);
      await t.rt.db.kysely.deleteFrom('organizations').execute();
      assert.equal(await t.services.system.isEmpty(), true);
    });
  });
}
