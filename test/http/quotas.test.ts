import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { assertProblem } from '../support/admin.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/db.js';
import { actor, invite, organization } from '../support/fixtures.js';

// Quotas count only what commits (SPEC §1, RELIABILITY-PLAN case 56): a create that fails with 409
// gives its units back, so nobody can block an address for every other organization by creating
// doomed invitations; each quota has its own subject.

for (const dialect of dialects()) {
  describe(`[${dialect}] invitation and organization quotas`, () => {
    const apps: TestApp[] = [];
    const app = async (env: Record<string, string>) => {
      const t = await createTestApp(dialect, env);
      apps.push(t);
      return t;
    };
    after(() => Promise.all(apps.map((t) => t.close())));

    it('a create refused with 409 counts nothing: the attacker cannot block the address elsewhere', async () => {
      const t = await app({ INVITE_QUOTA_RECIPIENT: '2/1d', INVITE_QUOTA_RECIPIENT_ALL: '3/1d' });
      const mallory = await actor(t, 'mallory@example.com');
      const evil = await organization(mallory, 'Evil');
      await invite(mallory, evil, 'ceo@victim.example', 'member', { sendEmail: false });
      for (let i = 0; i < 10; i++) {
        const res = await mallory.api.post(`/v1/organizations/${evil}/invitations`, {
          email: 'ceo@victim.example',
          role: 'member',
          sendEmail: false,
        });
        assertProblem(res, 409, 'invitation_pending');
      }
      // two other organizations can still invite the address (3 across organizations)
      for (const name of ['Victim', 'Partner']) {
        const owner = await actor(t, `owner@${name.toLowerCase()}.example`);
        const org = await organization(owner, name);
        await invite(owner, org, 'ceo@victim.example', 'member', { sendEmail: false });
      }
      const fourth = await actor(t, 'owner@fourth.example');
      const res = await fourth.api.post(
        `/v1/organizations/${await organization(fourth, 'Fourth')}/invitations`,
        {
          email: 'CEO@victim.example',
          role: 'member',
        },
      );
      assertProblem(res, 429, 'invitation_quota_exceeded');
      assert.ok(Number(res.headers['retry-after']) > 0);
    });

    it('INVITE_QUOTA_RECIPIENT counts per (organization, recipient): creates and resends', async () => {
      const t = await app({ INVITE_QUOTA_RECIPIENT: '2/1d' });
      const alice = await actor(t, 'alice@example.com');
      const [a, b] = [await organization(alice, 'A'), await organization(alice, 'B')];
      const inv = await invite(alice, a, 'bob@example.com', 'member', { sendEmail: false });
      const resend = () =>
        alice.api.post(`/v1/organizations/${a}/invitations/${inv.id}/resend`, { sendEmail: false });
      assert.equal((await resend()).statusCode, 200);
      assertProblem(await resend(), 429, 'invitation_quota_exceeded');
      // the same address in another organization has its own count
      await invite(alice, b, 'bob@example.com', 'member', { sendEmail: false });
    });

    it('a resend of a terminal invitation (409) gives its units back', async () => {
      const t = await app({ INVITE_QUOTA_RECIPIENT: '2/1d' });
      const alice = await actor(t, 'alice@example.com');
      const org = await organization(alice);
      const inv = await invite(alice, org, 'carol@example.com', 'member', { sendEmail: false });
      assert.equal(
        (await alice.api.delete(`/v1/organizations/${org}/invitations/${inv.id}`)).statusCode,
        204,
      );
      for (let i = 0; i < 5; i++) {
        const res = await alice.api.post(`/v1/organizations/${org}/invitations/${inv.id}/resend`, {});
        assertProblem(res, 409, 'invitation_not_pending');
      }
      await invite(alice, org, 'carol@example.com', 'member', { sendEmail: false });
    });

    it('INVITE_QUOTA_INVITER counts one inviter across organizations and addresses', async () => {
      const t = await app({ INVITE_QUOTA_INVITER: '2/1d' });
      const alice = await actor(t, 'alice@example.com');
      const [a, b] = [await organization(alice, 'A'), await organization(alice, 'B')];
      await invite(alice, a, 'x1@example.com', 'member', { sendEmail: false });
      await invite(alice, b, 'x2@example.com', 'member', { sendEmail: false });
      const res = await alice.api.post(`/v1/organizations/${a}/invitations`, {
        email: 'x3@example.com',
        role: 'member',
      });
      assertProblem(res, 429, 'invitation_quota_exceeded');
      // another inviter of the same organization is not affected
      const bob = await actor(t, 'bob@example.com');
      const bobs = await organization(bob, 'Bob Co');
      await invite(bob, bobs, 'x3@example.com', 'member', { sendEmail: false });
    });

    it('ORG_CREATE_QUOTA limits organizations created per user', async () => {
      const t = await app({ ORG_CREATE_QUOTA: '2/1d' });
      const alice = await actor(t, 'alice@example.com');
      await organization(alice, 'One');
      await organization(alice, 'Two');
      assertProblem(
        await alice.api.post('/v1/organizations', { name: 'Three' }),
        429,
        'organization_quota_exceeded',
      );
      await organization(await actor(t, 'bob@example.com'), 'Bob One');
    });

    it('concurrent creates for one address: one wins, the others give their units back', async () => {
      const t = await app({ INVITE_QUOTA_RECIPIENT: '3/1d' });
      const alice = await actor(t, 'alice@example.com');
      const org = await organization(alice);
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          alice.api.post(`/v1/organizations/${org}/invitations`, {
            email: 'dave@example.com',
            role: 'member',
            sendEmail: false,
          }),
        ),
      );
      const statuses = results.map((r) => r.statusCode);
      assert.equal(statuses.filter((s) => s === 201).length, 1, JSON.stringify(statuses));
      assert.ok(
        statuses.every((s) => s === 201 || s === 409 || s === 429),
        JSON.stringify(statuses),
      );
      const created = results.find((r) => r.statusCode === 201)?.json<{ id: string }>();
      assert.ok(created);
      // only the winner counted: two more sends fit in the quota of 3, the third does not
      const resend = () =>
        alice.api.post(`/v1/organizations/${org}/invitations/${created.id}/resend`, { sendEmail: false });
      assert.equal((await resend()).statusCode, 200);
      assert.equal((await resend()).statusCode, 200);
      assertProblem(await resend(), 429, 'invitation_quota_exceeded');
    });
  });
}
