import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/db.js';
import { actor, invite, organization } from '../support/fixtures.js';

for (const dialect of dialects()) {
  describe(`[${dialect}] invitation round trip`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(dialect);
    });
    after(() => t.close());

    it('creates, previews, accepts and lists through all three dialects', async () => {
      const alice = await actor(t, 'alice@example.com', { name: 'Alice' });
      const bob = await actor(t, 'Bob@Example.com');
      const org = await organization(alice);
      const inv = await invite(alice, org, 'BOB@example.com');
      assert.equal(inv.email, 'bob@example.com');

      const preview = await bob.api.get(`/api/v1/invitations/${inv.token}`);
      assert.equal(preview.statusCode, 200);
      assert.equal(
        preview.json<{ data: { invitation: { email: string } } }>().data.invitation.email,
        'bob@example.com',
      );

      const mine = await bob.api.get('/invitations');
      assert.equal(mine.statusCode, 200, mine.body);
      assert.equal(mine.json<unknown[]>().length, 1);

      const res = await bob.api.post(`/invitations/${inv.id}?accept=true`);
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.body, JSON.stringify(org));

      const again = await bob.api.post(`/api/v1/invitations/${inv.token}/accept`);
      assert.equal(again.statusCode, 410);
      assert.equal(again.json<{ error: { code: string } }>().error.code, 'invitation_accepted');
    });
  });
}
