import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../support/app.js';
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
  describe(`[${dialect}] /invitations for the invitee (seed 001)`, () => {
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

    it('lists and gets the caller’s pending invitations with exactly the seed 001 keys', async () => {
      const bob = await actor(t, 'bob@example.com');
      const inv = await invite(alice, org, bob.email, 'member', { sendEmail: false });
      const list = await bob.api.get('/invitations');
      assert.equal(list.statusCode, 200, list.body);
      assert.match(String(list.headers['content-type']), /^application\/json/);
      const expected = {
        id: inv.id,
        organization_name: 'Acme Corp',
        organization_logo_url: null,
        organization_member_count: 1,
        inviting_user_name: 'Alice',
        inviting_user_avatar_url: null,
        expiration_date: new Date(t.clock.now() + 7 * DAY).toISOString(),
      };
      assert.deepEqual(list.json(), [expected]);
      const one = await bob.api.get(`/invitations/${inv.id}`);
      assert.equal(one.statusCode, 200, one.body);
      assert.deepEqual(one.json(), expected);
    });

    it('names an inviter without a name by their email (inviting_user_name)', async () => {
      const nameless = await actor(t, 'nameless@example.com');
      const own = await organization(nameless, 'Nameless Corp');
      const erin = await actor(t, 'invitee-of-nameless@example.com');
      await invite(nameless, own, erin.email, 'member', { sendEmail: false });
      const list = await erin.api.get('/invitations');
      assert.equal(list.statusCode, 200, list.body);
      assert.deepEqual(
        list.json<{ inviting_user_name: string }[]>().map((i) => i.inviting_user_name),
        ['nameless@example.com'],
      );
    });

    it('404 (problem+json) for someone else’s or an unknown invitation; 400 for a malformed id', async () => {
      const carol = await actor(t, 'carol@example.com');
      const inv = await invite(alice, org, 'dan@example.com', 'member', { sendEmail: false });
      for (const res of [
        await carol.api.get(`/invitations/${inv.id}`),
        await carol.api.post(`/invitations/${inv.id}?accept=true`),
        await carol.api.post(`/invitations/${inv.id}?accept=false`),
        await carol.api.get(`/invitations/${crypto.randomUUID()}`),
      ]) {
        assert.equal(res.statusCode, 404, res.body);
        assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
        assert.equal(codeOf(res), 'invitation_not_found');
      }
      const bad = await carol.api.get('/invitations/not-a-uuid');
      assert.equal(bad.statusCode, 400);
      assert.match(String(bad.headers['content-type']), /^application\/problem\+json/);
      assert.equal((await adminView(alice, org, inv.id)).status, 'pending');
    });

    it('accept=true answers the organization id as a JSON string and creates the memberships', async () => {
      const ws = await workspace(alice, org, 'WS');
      const erin = await actor(t, 'erin@example.com');
      const inv = await invite(alice, org, erin.email, 'admin', { workspaceId: ws, sendEmail: false });
      const res = await erin.api.post(`/invitations/${inv.id}?accept=true`);
      assert.equal(res.statusCode, 200, res.body);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      assert.equal(res.body, JSON.stringify(org));
      assert.equal(JSON.parse(res.body), org);
      const erinId = await userIdOf(t, erin.email);
      assert.equal((await membershipsOf(t, org)).find((m) => m.user_id === erinId)?.role, 'admin');
      assert.equal((await workspaceMembershipsOf(t, ws)).length, 1);
      const again = await erin.api.post(`/invitations/${inv.id}?accept=true`);
      assert.equal(again.statusCode, 410, again.body);
      assert.match(String(again.headers['content-type']), /^application\/problem\+json/);
      assert.equal(codeOf(again), 'invitation_accepted');
      assert.deepEqual((await erin.api.get('/invitations')).json(), []);
      assert.equal((await erin.api.get(`/invitations/${inv.id}`)).statusCode, 404);
    });

    it('accept=false answers null and declines; a later accept is 410', async () => {
      const fay = await actor(t, 'fay@example.com');
      const inv = await invite(alice, org, fay.email, 'member', { sendEmail: false });
      const res = await fay.api.post(`/invitations/${inv.id}?accept=false`);
      assert.equal(res.statusCode, 200, res.body);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      assert.equal(res.body, 'null');
      assert.equal((await adminView(alice, org, inv.id)).status, 'declined');
      const later = await fay.api.post(`/invitations/${inv.id}?accept=true`);
      assert.equal(later.statusCode, 410);
      assert.equal(codeOf(later), 'invitation_declined');
    });

    it('missing or invalid accept → 400; no bearer → 401; unverified email → 403; all leave it pending', async () => {
      const gil = await actor(t, 'gil@example.com');
      const inv = await invite(alice, org, gil.email, 'member', { sendEmail: false });
      for (const q of ['', '?accept=', '?accept=maybe', '?accept=1x', '?accepted=true']) {
        const res = await gil.api.post(`/invitations/${inv.id}${q}`);
        assert.equal(res.statusCode, 400, `${q}: ${res.body}`);
        assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
      }
      const anon = await t.app.inject({ method: 'POST', url: `/invitations/${inv.id}?accept=true` });
      assert.equal(anon.statusCode, 401);
      assert.match(String(anon.headers['www-authenticate']), /^Bearer/);
      assert.equal((await t.app.inject({ method: 'GET', url: '/invitations' })).statusCode, 401);
      const unverified = await actor(t, gil.email, { emailVerified: false });
      for (const res of [
        await unverified.api.get('/invitations'),
        await unverified.api.get(`/invitations/${inv.id}`),
        await unverified.api.post(`/invitations/${inv.id}?accept=true`),
      ]) {
        assert.equal(res.statusCode, 403, res.body);
        assert.equal(codeOf(res), 'email_unverified');
      }
      assert.equal((await adminView(alice, org, inv.id)).status, 'pending');
    });

    it('omits expired and revoked invitations from the list; POST on them is 410', async () => {
      const hu = await actor(t, 'hu@example.com');
      const revoked = await invite(alice, org, hu.email, 'member', { sendEmail: false });
      await alice.api.delete(`/v1/organizations/${org}/invitations/${revoked.id}`);
      const other = await organization(alice, 'Other Org');
      const expiring = await invite(alice, other, hu.email, 'member', { sendEmail: false, expiresInDays: 1 });
      assert.deepEqual(
        (await hu.api.get('/invitations')).json<{ id: string }[]>().map((i) => i.id),
        [expiring.id],
      );
      const r = await hu.api.post(`/invitations/${revoked.id}?accept=true`);
      assert.equal(r.statusCode, 410);
      assert.equal(codeOf(r), 'invitation_revoked');
      const start = t.clock.now();
      t.clock.advance(DAY + 1);
      try {
        const h = await actor(t, hu.email);
        assert.deepEqual((await h.api.get('/invitations')).json(), []);
        const e = await h.api.post(`/invitations/${expiring.id}?accept=true`);
        assert.equal(e.statusCode, 410);
        assert.equal(codeOf(e), 'invitation_expired');
      } finally {
        t.clock.set(start);
      }
    });
  });
}
