import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/db.js';
import { type Actor, actor, invite, organization } from '../support/fixtures.js';
import {
  adminView,
  codeOf,
  customRole,
  DAY,
  invitationsInEveryState,
  workspace,
} from '../support/invitations.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const RETRIEVED = 'Invitation retrieved successfully.';

for (const dialect of dialects()) {
  describe(`[${dialect}] GET /api/v1/invitations/:invitation_token (seed 002)`, () => {
    let t: TestApp;
    let alice: Actor;
    let org: string;
    before(async () => {
      t = await createTestApp(dialect);
      alice = await actor(t, 'alice@example.com', { name: 'Alice' });
      org = await organization(alice, 'Acme Corp');
    });
    after(() => t.close());

    it('answers exactly the seed 002 body for a workspace invitation, with no-store and no-referrer', async () => {
      const ws = await workspace(alice, org, 'Main Workspace');
      const roleId = await customRole(alice, org, 'developer', 'Developer', ['members:read']);
      const inv = await invite(alice, org, 'User@Example.com', 'developer', {
        workspaceId: ws,
        sendEmail: false,
      });
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/invitations/${inv.token}` });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.equal(res.headers['referrer-policy'], 'no-referrer');
      assert.match(String(res.headers['content-type']), /^application\/json/);
      const body = res.json();
      const expires = body.data.invitation.expires_at;
      assert.deepEqual(body, {
        success: true,
        data: {
          invitation: {
            id: inv.id,
            email: 'user@example.com',
            organization: { id: org, name: 'Acme Corp' },
            workspace: { id: ws, name: 'Main Workspace' },
            role: { id: roleId, name: 'Developer' },
            expires_at: expires,
          },
          message: RETRIEVED,
        },
        message: RETRIEVED,
      });
      assert.match(inv.id, UUID);
      // ISO-8601 UTC with milliseconds, 7 days (INVITATION_TTL default) after creation
      assert.equal(expires, new Date(t.clock.now() + 7 * DAY).toISOString());
      assert.ok(!res.body.includes(inv.token), 'the token is not echoed');
    });

    it('answers workspace: null without a workspace and the built-in role by its display name', async () => {
      const inv = await invite(alice, org, 'plain@example.com', 'member', { sendEmail: false });
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/invitations/${inv.token}` });
      assert.equal(res.statusCode, 200, res.body);
      const { invitation } = res.json().data;
      assert.equal(invitation.workspace, null);
      assert.equal(invitation.role.name, 'Member');
      assert.match(invitation.role.id, UUID);
      assert.deepEqual(Object.keys(invitation).sort(), [
        'email',
        'expires_at',
        'id',
        'organization',
        'role',
        'workspace',
      ]);
    });

    it('answers one uniform 404 for malformed and unknown tokens', async () => {
      const unknown = `inv_${'A'.repeat(43)}`;
      const cases = [
        unknown,
        'not-a-token',
        'inv_short',
        `inv_${'A'.repeat(44)}`,
        '%20',
        'x'.repeat(150),
        'y'.repeat(300),
        '%E0%A4%A',
      ];
      const bodies = new Set<string>();
      for (const token of cases) {
        const res = await t.app.inject({ method: 'GET', url: `/api/v1/invitations/${token}` });
        assert.equal(res.statusCode, 404, `${token}: ${res.body}`);
        bodies.add(res.body);
      }
      assert.equal(bodies.size, 1, [...bodies].join('\n'));
      const body = JSON.parse([...bodies][0] ?? '{}');
      assert.deepEqual(body, {
        success: false,
        error: { code: 'invitation_not_found', message: body.message },
        message: body.message,
      });
    });

    it('answers 410 with the state code for expired, accepted, declined and revoked invitations', async () => {
      const { accepted, declined, revoked, expiring } = await invitationsInEveryState(
        t,
        alice,
        org,
        'bob@example.com',
      );
      const expected: [string, string][] = [
        [accepted.token, 'invitation_accepted'],
        [declined.token, 'invitation_declined'],
        [revoked.token, 'invitation_revoked'],
      ];
      for (const [token, code] of expected) {
        const res = await t.app.inject({ method: 'GET', url: `/api/v1/invitations/${token}` });
        assert.equal(res.statusCode, 410, res.body);
        assert.equal(codeOf(res), code);
        assert.equal(res.json().success, false);
      }
      t.clock.advance(DAY + 1);
      try {
        const res = await t.app.inject({ method: 'GET', url: `/api/v1/invitations/${expiring.token}` });
        assert.equal(res.statusCode, 410, res.body);
        assert.equal(codeOf(res), 'invitation_expired');
      } finally {
        t.clock.advance(-(DAY + 1));
      }
    });

    it('never changes state: 100 GETs (link scanners) leave the invitation pending and acceptable', async () => {
      const frank = await actor(t, 'frank@example.com');
      const inv = await invite(alice, org, frank.email, 'member', { sendEmail: false });
      const before = await t.rt.db.kysely
        .selectFrom('invitations')
        .selectAll()
        .where('id', '=', inv.id)
        .executeTakeFirstOrThrow();
      for (let i = 0; i < 100; i++) {
        const res = await t.app.inject({ method: 'GET', url: `/api/v1/invitations/${inv.token}` });
        assert.equal(res.statusCode, 200);
      }
      const afterRow = await t.rt.db.kysely
        .selectFrom('invitations')
        .selectAll()
        .where('id', '=', inv.id)
        .executeTakeFirstOrThrow();
      assert.deepEqual(afterRow, before);
      assert.equal((await adminView(alice, org, inv.id)).status, 'pending');
      assert.equal((await frank.api.post(`/api/v1/invitations/${inv.token}/accept`)).statusCode, 200);
    });

    it('needs no authentication and ignores a garbage bearer', async () => {
      const inv = await invite(alice, org, 'gina@example.com', 'member', { sendEmail: false });
      const res = await t.app.inject({
        method: 'GET',
        url: `/api/v1/invitations/${inv.token}`,
        headers: { authorization: 'Bearer garbage' },
      });
      assert.equal(res.statusCode, 200, res.body);
    });

    it('refuses other methods on the token path without changing state', async () => {
      const inv = await invite(alice, org, 'hank@example.com', 'member', { sendEmail: false });
      for (const method of ['PUT', 'PATCH'] as const) {
        const res = await t.app.inject({ method, url: `/api/v1/invitations/${inv.token}` });
        assert.equal(res.statusCode, 404, res.body);
        assert.equal(res.json().success, false);
      }
      // DELETE takes the invitation id: a token there is a malformed id → 400, never a revoke
      const del = await alice.api.delete(`/api/v1/invitations/${inv.token}`);
      assert.equal(del.statusCode, 400, del.body);
      assert.equal((await adminView(alice, org, inv.id)).status, 'pending');
    });
  });
}
