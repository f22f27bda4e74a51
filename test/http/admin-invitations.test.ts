import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertProblem, checkedActor, ISO, UUID_RE } from '../support/admin.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/db.js';
import { type Actor, invite, makeMember, tokenOf } from '../support/fixtures.js';

// SPEC §4.1 and seed 003: the invitations API — create, list, get, revoke (DELETE), resend.

const DAY = 86_400_000;
const keys = (o: object) => Object.keys(o).sort();
const INVITATION_KEYS = [
  'createdAt',
  'delivery',
  'email',
  'expireAt',
  'id',
  'inviterId',
  'role',
  'status',
  'workspaceId',
];

interface Inv {
  id: string;
  email: string;
  role: string;
  workspaceId: string | null;
  status: string;
  inviterId: string;
  createdAt: string;
  expireAt: string;
  delivery: { status: string; attempts: number; lastAttemptAt: string | null; lastError: string | null };
  url?: string;
}

for (const dialect of dialects()) {
  describe(`[${dialect}] admin API: invitations`, () => {
    let t: TestApp;
    let alice: Actor;
    let org: string;
    let aliceId: string;
    const base = () => `/v1/organizations/${org}/invitations`;
    before(async () => {
      t = await createTestApp(dialect);
      alice = await checkedActor(t, 'alice@example.com', { name: 'Alice' });
      const res = await alice.api.post('/v1/organizations', { name: 'Acme Corp' });
      org = res.json<{ id: string }>().id;
      aliceId = (await alice.api.get(`/v1/organizations/${org}/members`)).json<{ userId: string }[]>()[0]!
        .userId;
    });
    after(() => t.close());

    /** tokens are minted on the test clock: after moving it, callers need fresh ones */
    async function refresh(): Promise<void> {
      alice = await checkedActor(t, 'alice@example.com', { name: 'Alice' });
    }

    it('creates an invitation: 201, the seed 003 shape plus url and delivery', async () => {
      const ws = (await alice.api.post(`/v1/organizations/${org}/workspaces`, { name: 'Main' })).json<{
        id: string;
      }>();
      const res = await alice.api.post(base(), {
        email: '  Carol@Example.COM ',
        role: 'admin',
        workspaceId: ws.id,
        expiresInDays: 3,
      });
      assert.equal(res.statusCode, 201, res.body);
      const inv = res.json<Inv>();
      assert.deepEqual(keys(inv), [...INVITATION_KEYS, 'url'].sort());
      assert.match(inv.id, UUID_RE);
      assert.equal(inv.email, 'carol@example.com');
      assert.equal(inv.role, 'admin');
      assert.equal(inv.workspaceId, ws.id);
      assert.equal(inv.status, 'pending');
      assert.equal(inv.inviterId, aliceId);
      assert.match(inv.createdAt, ISO);
      assert.match(inv.expireAt, ISO);
      assert.equal(Date.parse(inv.expireAt) - Date.parse(inv.createdAt), 3 * DAY);
      assert.deepEqual(inv.delivery, { status: 'queued', attempts: 0, lastAttemptAt: null, lastError: null });
      assert.match(inv.url ?? '', /^http:\/\/admit\.test\/invite\/inv_[A-Za-z0-9_-]{43}$/);
    });

    it('defaults: no workspace, INVITATION_TTL (7d), sendEmail false → delivery none', async () => {
      const inv = await invite(alice, org, 'dave@example.com', 'member', { sendEmail: false });
      const full = inv as unknown as Inv;
      assert.equal(full.workspaceId, null);
      assert.equal(Date.parse(full.expireAt) - Date.parse(full.createdAt), 7 * DAY);
      assert.equal(full.delivery.status, 'none');
    });

    it('gets one invitation without url', async () => {
      const inv = await invite(alice, org, 'erin@example.com');
      const res = await alice.api.get(`${base()}/${inv.id}`);
      assert.equal(res.statusCode, 200);
      const body = res.json<Inv>();
      assert.deepEqual(keys(body), INVITATION_KEYS);
      assert.equal(body.id, inv.id);
      assert.equal(body.email, 'erin@example.com');
      assert.equal(body.status, 'pending');
      assertProblem(
        await alice.api.get(`${base()}/00000000-0000-4000-8000-000000000000`),
        404,
        'invitation_not_found',
      );
    });

    it('lists invitations newest first without url', async () => {
      t.clock.advance(1000);
      const newest = await invite(alice, org, 'frank@example.com');
      const res = await alice.api.get(base());
      assert.equal(res.statusCode, 200);
      const list = res.json<Inv[]>();
      assert.ok(list.length >= 4);
      assert.equal(list[0]?.id, newest.id);
      for (const i of list) assert.deepEqual(keys(i), INVITATION_KEYS);
      for (let k = 1; k < list.length; k++) {
        assert.ok(list[k - 1]!.createdAt >= list[k]!.createdAt, 'newest first');
      }
      assert.equal(res.headers.link, undefined, 'one page: no Link header');
    });

    it('refuses a second pending invitation for the same email (409 invitation_pending), in any letter case', async () => {
      await invite(alice, org, 'gina@example.com');
      assertProblem(
        await alice.api.post(base(), { email: 'GINA@example.com', role: 'member' }),
        409,
        'invitation_pending',
      );
    });

    it('refuses to invite a member (409 already_member)', async () => {
      const hank = await checkedActor(t, 'hank@example.com');
      await makeMember(alice, org, hank);
      assertProblem(
        await alice.api.post(base(), { email: 'Hank@example.com', role: 'member' }),
        409,
        'already_member',
      );
      assertProblem(
        await alice.api.post(base(), { email: 'alice@example.com', role: 'admin' }),
        409,
        'already_member',
      );
    });

    it('refuses an unknown role (400 unknown_role), workspace of nowhere (400), expiresInDays over the max (400)', async () => {
      assertProblem(
        await alice.api.post(base(), { email: 'x1@example.com', role: 'wizard' }),
        400,
        'unknown_role',
      );
      assertProblem(
        await alice.api.post(base(), {
          email: 'x1@example.com',
          role: 'member',
          workspaceId: '00000000-0000-4000-8000-000000000000',
        }),
        400,
        'unknown_workspace',
      );
      assertProblem(
        await alice.api.post(base(), { email: 'x1@example.com', role: 'member', expiresInDays: 31 }),
        400,
        'invalid_expiry',
      );
      assertProblem(
        await alice.api.post(base(), { email: 'x1@example.com', role: 'member', expiresInDays: 0 }),
        400,
        'validation_failed',
      );
    });

    it('revokes a pending invitation: 204, then GET shows revoked, a second DELETE is 409', async () => {
      const inv = await invite(alice, org, 'ivy@example.com');
      const res = await alice.api.delete(`${base()}/${inv.id}`);
      assert.equal(res.statusCode, 204);
      assert.equal(res.body, '');
      const after = await alice.api.get(`${base()}/${inv.id}`);
      assert.equal(after.json<Inv>().status, 'revoked');
      assertProblem(await alice.api.delete(`${base()}/${inv.id}`), 409, 'invitation_not_pending');
      assertProblem(await alice.api.post(`${base()}/${inv.id}/resend`, {}), 409, 'invitation_not_pending');
      // the link is dead and the email may be invited again
      const preview = await alice.api.get(`/api/v1/invitations/${inv.token}`);
      assert.equal(preview.statusCode, 410);
      await invite(alice, org, 'ivy@example.com');
    });

    it('an accepted or declined invitation is terminal: revoke and resend answer 409', async () => {
      const jo = await checkedActor(t, 'jo@example.com');
      const accepted = await invite(alice, org, jo.email);
      assert.equal((await jo.api.post(`/api/v1/invitations/${accepted.token}/accept`)).statusCode, 200);
      assert.equal((await alice.api.get(`${base()}/${accepted.id}`)).json<Inv>().status, 'accepted');
      assertProblem(await alice.api.delete(`${base()}/${accepted.id}`), 409, 'invitation_not_pending');
      assertProblem(await alice.api.post(`${base()}/${accepted.id}/resend`), 409, 'invitation_not_pending');

      const kim = await checkedActor(t, 'kim@example.com');
      const declined = await invite(alice, org, kim.email);
      assert.equal((await kim.api.post(`/api/v1/invitations/${declined.token}/decline`)).statusCode, 200);
      assert.equal((await alice.api.get(`${base()}/${declined.id}`)).json<Inv>().status, 'declined');
      assertProblem(await alice.api.delete(`${base()}/${declined.id}`), 409, 'invitation_not_pending');
      assertProblem(
        await alice.api.post(`${base()}/${declined.id}/resend`, {}),
        409,
        'invitation_not_pending',
      );
    });

    it('resends: new url, the old token dies, expiry reset, delivery re-queued', async () => {
      const inv = await invite(alice, org, 'lee@example.com', 'member', { expiresInDays: 2 });
      t.clock.advance(DAY);
      await refresh();
      const res = await alice.api.post(`${base()}/${inv.id}/resend`, { expiresInDays: 5 });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json<Inv>();
      assert.deepEqual(keys(body), [...INVITATION_KEYS, 'url'].sort());
      assert.equal(body.id, inv.id);
      assert.equal(body.status, 'pending');
      assert.notEqual(body.url, inv.url);
      assert.equal(Date.parse(body.expireAt), t.clock.now() + 5 * DAY);
      assert.equal(body.createdAt, (inv as unknown as Inv).createdAt, 'createdAt stays');
      assert.equal(body.delivery.status, 'queued');

      const old = await alice.api.get(`/api/v1/invitations/${inv.token}`);
      assert.equal(old.statusCode, 404, 'the old link is dead');
      const fresh = await alice.api.get(`/api/v1/invitations/${tokenOf(body.url ?? '')}`);
      assert.equal(fresh.statusCode, 200);

      // without a body: the default lifetime; sendEmail false → delivery none
      const again = await alice.api.post(`${base()}/${inv.id}/resend`, { sendEmail: false });
      assert.equal(again.statusCode, 200);
      assert.equal(Date.parse(again.json<Inv>().expireAt), t.clock.now() + 7 * DAY);
      assert.equal(again.json<Inv>().delivery.status, 'none');
      const bare = await alice.api.post(`${base()}/${inv.id}/resend`);
      assert.equal(bare.statusCode, 200, bare.body);
    });

    it('a time-expired invitation reads as expired, can be resent (back to pending) or revoked', async () => {
      const a = await invite(alice, org, 'max@example.com', 'member', { expiresInDays: 1 });
      const b = await invite(alice, org, 'ned@example.com', 'member', { expiresInDays: 1 });
      t.clock.advance(DAY + 1);
      await refresh();
      assert.equal((await alice.api.get(`${base()}/${a.id}`)).json<Inv>().status, 'expired');
      const preview = await alice.api.get(`/api/v1/invitations/${a.token}`);
      assert.equal(preview.statusCode, 410);

      const resent = await alice.api.post(`${base()}/${a.id}/resend`, {});
      assert.equal(resent.statusCode, 200, resent.body);
      assert.equal(resent.json<Inv>().status, 'pending');
      assert.equal(Date.parse(resent.json<Inv>().expireAt), t.clock.now() + 7 * DAY);
      assert.equal((await alice.api.get(`${base()}/${a.id}`)).json<Inv>().status, 'pending');

      assert.equal((await alice.api.delete(`${base()}/${b.id}`)).statusCode, 204);
      assert.equal((await alice.api.get(`${base()}/${b.id}`)).json<Inv>().status, 'revoked');
    });

    it('inviting again after time expiry stores the old row as expired and creates a new one', async () => {
      const old = await invite(alice, org, 'oz@example.com', 'member', { expiresInDays: 1 });
      t.clock.advance(DAY + 1);
      await refresh();
      const fresh = await invite(alice, org, 'oz@example.com');
      assert.notEqual(fresh.id, old.id);
      assert.equal((await alice.api.get(`${base()}/${old.id}`)).json<Inv>().status, 'expired');
      // stored-expired is expired like time-expired (SPEC §4.1): resending it would make a second
      // pending invitation for the address, and revoking it works
      assertProblem(await alice.api.post(`${base()}/${old.id}/resend`), 409, 'invitation_pending');
      assert.equal((await alice.api.delete(`${base()}/${old.id}`)).statusCode, 204);
      assert.equal((await alice.api.get(`${base()}/${old.id}`)).json<Inv>().status, 'revoked');
    });
  });

  describe(`[${dialect}] admin API: invitation quota`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(dialect, { INVITE_QUOTA_ORG: '2/1d' });
    });
    after(() => t.close());

    it('the third create within the window answers 429 with Retry-After', async () => {
      const alice = await checkedActor(t, 'alice@example.com');
      const org = (await alice.api.post('/v1/organizations', { name: 'Q' })).json<{ id: string }>().id;
      await invite(alice, org, 'q1@example.com');
      await invite(alice, org, 'q2@example.com');
      const res = await alice.api.post(`/v1/organizations/${org}/invitations`, {
        email: 'q3@example.com',
        role: 'member',
      });
      assertProblem(res, 429, 'invitation_quota_exceeded');
      const retry = Number(res.headers['retry-after']);
      assert.ok(retry > 0 && retry <= 86_400, `Retry-After ${res.headers['retry-after']}`);
      // another organization has its own quota
      const other = (await alice.api.post('/v1/organizations', { name: 'Q2' })).json<{ id: string }>().id;
      await invite(alice, other, 'q3@example.com');
    });
  });

  describe(`[${dialect}] admin API: recipient quota`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(dialect, { INVITE_QUOTA_RECIPIENT: '2/1d' });
    });
    after(() => t.close());

    it('counts creates and resends per (organization, recipient)', async () => {
      const alice = await checkedActor(t, 'alice@example.com');
      const org = (await alice.api.post('/v1/organizations', { name: 'R' })).json<{ id: string }>().id;
      const inv = await invite(alice, org, 'r@example.com');
      assert.equal(
        (await alice.api.post(`/v1/organizations/${org}/invitations/${inv.id}/resend`)).statusCode,
        200,
      );
      const third = await alice.api.post(`/v1/organizations/${org}/invitations/${inv.id}/resend`);
      assertProblem(third, 429, 'invitation_quota_exceeded');
      assert.ok(Number(third.headers['retry-after']) > 0);
    });
  });
}
