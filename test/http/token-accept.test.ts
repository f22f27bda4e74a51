import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { client, createTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/db.js';
import { type Actor, actor, invite, organization } from '../support/fixtures.js';
import { checkInvariants } from '../support/invariants.js';
import {
  adminView,
  codeOf,
  DAY,
  membershipsOf,
  userIdOf,
  workspace,
  workspaceMembershipsOf,
} from '../support/invitations.js';

for (const dialect of dialects()) {
  describe(`[${dialect}] POST /api/v1/invitations/:token/accept and /decline`, () => {
    let t: TestApp;
    let alice: Actor;
    let org: string;
    before(async () => {
      t = await createTestApp(dialect);
      alice = await actor(t, 'alice@example.com', { name: 'Alice' });
      org = await organization(alice, 'Acme Corp');
    });
    after(async () => {
      await checkInvariants(t.rt.db.kysely);
      await t.close();
    });

    it('accepts: answers data.membership and creates the membership, role and workspace membership', async () => {
      const ws = await workspace(alice, org, 'Main Workspace');
      const bob = await actor(t, 'bob@example.com');
      const inv = await invite(alice, org, bob.email, 'admin', { workspaceId: ws, sendEmail: false });
      const res = await bob.api.post(`/api/v1/invitations/${inv.token}/accept`);
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.headers['cache-control'], 'no-store');
      const bobId = await userIdOf(t, bob.email);
      assert.deepEqual(res.json(), {
        success: true,
        data: { membership: { organization_id: org, workspace_id: ws, user_id: bobId, role: 'admin' } },
        message: 'Invitation accepted successfully.',
      });
      const members = await membershipsOf(t, org);
      const mine = members.filter((m) => m.user_id === bobId);
      assert.equal(mine.length, 1);
      assert.equal(mine[0]?.role, 'admin');
      assert.equal(mine[0]?.source_invitation_id, inv.id);
      const wsm = await workspaceMembershipsOf(t, ws);
      assert.deepEqual(
        wsm.map((w) => [w.user_id, w.source_invitation_id]),
        [[bobId, inv.id]],
      );
      assert.equal((await adminView(alice, org, inv.id)).status, 'accepted');
      // the new member now sees the organization
      assert.equal((await bob.api.get(`/v1/organizations/${org}`)).statusCode, 200);
    });

    it('accepts without a workspace: workspace_id null; ignores body fields trying to pick role, org or user', async () => {
      const bob = await actor(t, 'bob3@example.com');
      const inv = await invite(alice, org, bob.email, 'member', { sendEmail: false });
      const res = await bob.api.post(`/api/v1/invitations/${inv.token}/accept`, {
        role: 'owner',
        organization_id: org,
        user_id: await userIdOf(t, alice.email),
      });
      // either refused as a schema violation or ignored; never honoured
      if (res.statusCode === 200) {
        assert.deepEqual(res.json().data.membership, {
          organization_id: org,
          workspace_id: null,
          user_id: await userIdOf(t, bob.email),
          role: 'member',
        });
      } else {
        assert.equal(res.statusCode, 400, res.body);
        assert.equal((await bob.api.post(`/api/v1/invitations/${inv.token}/accept`)).statusCode, 200);
      }
      const roles = (await membershipsOf(t, org)).filter((m) => m.role === 'owner');
      assert.equal(roles.length, 1, 'still one owner');
    });

    it('declines: answers data.invitation with status declined; then accept is 410 invitation_declined', async () => {
      const carol = await actor(t, 'carol@example.com');
      const inv = await invite(alice, org, carol.email, 'member', { sendEmail: false });
      const res = await carol.api.post(`/api/v1/invitations/${inv.token}/decline`);
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.equal(body.success, true);
      assert.equal(body.message, 'Invitation declined successfully.');
      assert.equal(body.data.invitation.id, inv.id);
      assert.equal(body.data.invitation.status, 'declined');
      assert.equal(body.data.invitation.organization_id, org);
      const accept = await carol.api.post(`/api/v1/invitations/${inv.token}/accept`);
      assert.equal(accept.statusCode, 410, accept.body);
      assert.equal(codeOf(accept), 'invitation_declined');
      const again = await carol.api.post(`/api/v1/invitations/${inv.token}/decline`);
      assert.equal(codeOf(again), 'invitation_declined');
      assert.ok(!(await membershipsOf(t, org)).some((m) => m.source_invitation_id === inv.id));
    });

    it('checks token state (404/410) before authentication (401)', async () => {
      const anon = client(t.app);
      const unknown = await anon.post(`/api/v1/invitations/inv_${'B'.repeat(43)}/accept`);
      assert.equal(unknown.statusCode, 404);
      assert.equal(codeOf(unknown), 'invitation_not_found');
      const malformed = await anon.post('/api/v1/invitations/garbage/decline');
      assert.equal(malformed.statusCode, 404);
      assert.equal(malformed.body, unknown.body);

      const revoked = await invite(alice, org, 'rev@example.com', 'member', { sendEmail: false });
      await alice.api.delete(`/v1/organizations/${org}/invitations/${revoked.id}`);
      const gone = await anon.post(`/api/v1/invitations/${revoked.token}/accept`);
      assert.equal(gone.statusCode, 410);
      assert.equal(codeOf(gone), 'invitation_revoked');

      const pending = await invite(alice, org, 'pend@example.com', 'member', { sendEmail: false });
      for (const headers of [
        {},
        { authorization: 'Bearer not.a.jwt' },
        { authorization: 'Basic abc' },
      ] as Record<string, string>[]) {
        for (const action of ['accept', 'decline']) {
          const res = await anon.post(`/api/v1/invitations/${pending.token}/${action}`, undefined, headers);
          assert.equal(res.statusCode, 401, res.body);
          assert.match(String(res.headers['www-authenticate']), /^Bearer/);
          assert.equal(res.json().success, false);
        }
      }
      assert.equal((await adminView(alice, org, pending.id)).status, 'pending');
    });

    it('refuses an unverified email (403 email_unverified) and another account (403 email_mismatch), leaving it pending', async () => {
      const dave = 'dave@example.com';
      const inv = await invite(alice, org, dave, 'member', { sendEmail: false });
      const unverified = await actor(t, dave, { emailVerified: false });
      const other = await actor(t, 'eve@example.com');
      for (const action of ['accept', 'decline']) {
        const u = await unverified.api.post(`/api/v1/invitations/${inv.token}/${action}`);
        assert.equal(u.statusCode, 403, u.body);
        assert.equal(codeOf(u), 'email_unverified');
        const m = await other.api.post(`/api/v1/invitations/${inv.token}/${action}`);
        assert.equal(m.statusCode, 403, m.body);
        assert.equal(codeOf(m), 'email_mismatch');
      }
      assert.equal(
        (await t.app.inject({ method: 'GET', url: `/api/v1/invitations/${inv.token}` })).statusCode,
        200,
      );
      assert.equal((await adminView(alice, org, inv.id)).status, 'pending');
      assert.equal((await membershipsOf(t, org)).filter((m) => m.source_invitation_id === inv.id).length, 0);
      const verified = await actor(t, dave);
      assert.equal((await verified.api.post(`/api/v1/invitations/${inv.token}/accept`)).statusCode, 200);
    });

    it('matches the canonical email only (RELIABILITY-PLAN case 34)', async () => {
      const inv = await invite(alice, org, 'Mike@Example.COM', 'member', { sendEmail: false });
      assert.equal(inv.email, 'mike@example.com');
      // ✗ rows: dotless ı, +tag, Cyrillic а in the domain (another punycode), another local part
      for (const email of [
        'mıke@example.com',
        'mike+x@example.com',
        'mike@exаmple.com',
        'mike.@example.com',
        'mikе@example.com',
      ]) {
        const who = await actor(t, email);
        const res = await who.api.post(`/api/v1/invitations/${inv.token}/accept`);
        assert.equal(res.statusCode, 403, `${email}: ${res.body}`);
        assert.ok(
          ['email_mismatch', 'email_unverified'].includes(codeOf(res) ?? ''),
          `${email}: ${codeOf(res)}`,
        );
        assert.equal((await adminView(alice, org, inv.id)).status, 'pending', email);
      }
      // ✓: the canonical form (SPEC §2: trim, NFC, lowercase applied alike to token emails)
      const mike = await actor(t, 'MIKE@example.com ');
      const res = await mike.api.post(`/api/v1/invitations/${inv.token}/accept`);
      assert.equal(res.statusCode, 200, res.body);
      assert.equal((await adminView(alice, org, inv.id)).status, 'accepted');
    });

    it('answers 410 invitation_revoked after a revoke and 404 for the old token after a resend', async () => {
      const gus = await actor(t, 'gus@example.com');
      const revoked = await invite(alice, org, gus.email, 'member', { sendEmail: false });
      assert.equal(
        (await alice.api.delete(`/v1/organizations/${org}/invitations/${revoked.id}`)).statusCode,
        204,
      );
      const r = await gus.api.post(`/api/v1/invitations/${revoked.token}/accept`);
      assert.equal(r.statusCode, 410, r.body);
      assert.equal(codeOf(r), 'invitation_revoked');

      const inv = await invite(alice, org, gus.email, 'member', { sendEmail: false });
      const resent = await alice.api.post(`/v1/organizations/${org}/invitations/${inv.id}/resend`, {
        sendEmail: false,
      });
      assert.equal(resent.statusCode, 200, resent.body);
      const url = resent.json<{ url: string }>().url;
      const newToken = url.slice(url.lastIndexOf('/') + 1);
      assert.notEqual(newToken, inv.token);
      const old = await gus.api.post(`/api/v1/invitations/${inv.token}/accept`);
      assert.equal(old.statusCode, 404, old.body);
      assert.equal(codeOf(old), 'invitation_not_found');
      assert.equal(
        (await t.app.inject({ method: 'GET', url: `/api/v1/invitations/${inv.token}` })).statusCode,
        404,
      );
      assert.equal((await gus.api.post(`/api/v1/invitations/${newToken}/accept`)).statusCode, 200);
    });

    it('expires after 7 days (410 invitation_expired everywhere); re-inviting creates a new pending one', async () => {
      const hal = 'hal@example.com';
      const inv = await invite(alice, org, hal, 'member', { sendEmail: false });
      const start = t.clock.now();
      t.clock.advance(7 * DAY + 1000);
      try {
        // tokens are verified by the same clock: mint after moving it
        const h = await actor(t, hal);
        const owner = await actor(t, alice.email);
        for (const action of ['accept', 'decline']) {
          const res = await h.api.post(`/api/v1/invitations/${inv.token}/${action}`);
          assert.equal(res.statusCode, 410, res.body);
          assert.equal(codeOf(res), 'invitation_expired');
        }
        const byId = await h.api.post(`/invitations/${inv.id}?accept=true`);
        assert.equal(byId.statusCode, 410, byId.body);
        assert.equal((await h.api.get('/invitations')).json<unknown[]>().length, 0);
        assert.equal((await adminView(owner, org, inv.id)).status, 'expired');

        const again = await invite(owner, org, hal, 'member', { sendEmail: false });
        assert.notEqual(again.id, inv.id);
        assert.equal(again.status, 'pending');
        const expired = await owner.api.get(`/v1/organizations/${org}/invitations?status=expired`);
        assert.ok(expired.json<{ id: string }[]>().some((i) => i.id === inv.id));
        const stored = await t.rt.db.kysely
          .selectFrom('invitations')
          .select('status')
          .where('id', '=', inv.id)
          .executeTakeFirstOrThrow();
        assert.equal(stored.status, 'expired', 'the old row was marked expired in the create transaction');
        assert.equal((await h.api.post(`/api/v1/invitations/${again.token}/accept`)).statusCode, 200);
      } finally {
        t.clock.set(start);
      }
    });

    it('accepts for an invitee who became a member by another path: 200 with the existing membership unchanged', async () => {
      const ivy = await actor(t, 'ivy@example.com');
      const inv = await invite(alice, org, ivy.email, 'admin', { sendEmail: false });
      // another path (e.g. a second identity's invitation, SCIM): a direct membership as plain member
      await ivy.api.get('/invitations');
      const ivyId = await userIdOf(t, ivy.email);
      const memberRole = await t.rt.db.kysely
        .selectFrom('roles')
        .select('id')
        .where('organization_id', '=', org)
        .where('key', '=', 'member')
        .executeTakeFirstOrThrow();
      await t.rt.db.kysely
        .insertInto('memberships')
        .values({
          id: crypto.randomUUID(),
          organization_id: org,
          user_id: ivyId,
          role_id: memberRole.id,
          source_invitation_id: null,
          created_at: t.clock.now(),
        })
        .execute();
      // an endpoint subscribed to every event: a membership.created recorded would queue a delivery
      const hookId = crypto.randomUUID();
      await t.rt.db.kysely
        .insertInto('webhooks')
        .values({
          id: hookId,
          organization_id: org,
          url: 'https://hooks.example/all',
          description: null,
          events: null,
          enabled: 0,
          disabled_reason: null,
          secret_sealed: 'unused',
          previous_secret_sealed: null,
          previous_secret_until: null,
          failing_since: null,
          created_at: t.clock.now(),
          updated_at: t.clock.now(),
        })
        .execute();
      // enabled only now, so no event before this accept queued anything to it
      await t.rt.db.kysely.updateTable('webhooks').set({ enabled: 1 }).where('id', '=', hookId).execute();
      const res = await ivy.api.post(`/api/v1/invitations/${inv.token}/accept`);
      assert.equal(res.statusCode, 200, res.body);
      // the accept is announced; no membership was created, so none is announced or delivered
      const announced = await t.rt.db.kysely
        .selectFrom('events')
        .select(['id', 'type'])
        .where('organization_id', '=', org)
        .where('payload', 'like', `%${ivyId}%`)
        .execute();
      assert.deepEqual(
        announced.map((e) => e.type),
        ['invitation.accepted'],
      );
      const queued = await t.rt.db.kysely
        .selectFrom('outbox')
        .select('event_id')
        .where('webhook_id', '=', hookId)
        .execute();
      assert.deepEqual(
        queued.map((q) => q.event_id),
        announced.map((e) => e.id),
      );
      await t.rt.db.kysely.deleteFrom('outbox').where('webhook_id', '=', hookId).execute();
      await t.rt.db.kysely.deleteFrom('webhooks').where('id', '=', hookId).execute();
      assert.deepEqual(res.json().data.membership, {
        organization_id: org,
        workspace_id: null,
        user_id: ivyId,
        role: 'member',
      });
      const mine = (await membershipsOf(t, org)).filter((m) => m.user_id === ivyId);
      assert.equal(mine.length, 1);
      assert.equal(mine[0]?.role, 'member');
      assert.equal(mine[0]?.source_invitation_id, null);
      assert.equal((await adminView(alice, org, inv.id)).status, 'accepted');
    });
  });
}
