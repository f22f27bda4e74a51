import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertProblem, checkedActor } from '../support/admin.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/db.js';
import { type Actor, invite, makeMember, organization } from '../support/fixtures.js';

// Events (SPEC §10): one per transition, in the admin API's shapes, and the audit log that lists them.

interface EventRecord {
  id: string;
  type: string;
  occurredAt: string;
  organizationId: string;
  actor: { type: string; id: string | null; name: string | null };
  data: {
    invitation?: { id: string; status: string; email: string };
    membership?: { userId: string; role: string };
    previousRole?: string;
  };
}

const DAY = 86_400_000;

for (const dialect of dialects()) {
  describe(`[${dialect}] events and the audit log`, () => {
    let t: TestApp;
    let owner: Actor;
    let orgId: string;
    before(async () => {
      t = await createTestApp(dialect);
      owner = await checkedActor(t, 'owner@example.com', { name: 'Olive Owner' });
      orgId = await organization(owner);
    });
    after(() => t.close());

    /** Moves the clock on; the owner's token (1 h) is minted again at the new time. */
    async function later(ms: number): Promise<void> {
      t.clock.advance(ms);
      owner = await checkedActor(t, 'owner@example.com', { name: 'Olive Owner' });
    }

    /** Every event of the organization, paging through the log; asserts each id appears once. */
    async function allEvents(who: Actor = owner, query = ''): Promise<EventRecord[]> {
      const seen: EventRecord[] = [];
      let url: string | undefined = `/v1/organizations/${orgId}/events?limit=2${query}`;
      while (url) {
        const res = await who.api.get(url);
        assert.equal(res.statusCode, 200, res.body);
        seen.push(...res.json<EventRecord[]>());
        const link = res.headers.link as string | undefined;
        url = link ? (/^<http:\/\/admit\.test([^>]+)>; rel="next"$/.exec(link)?.[1] ?? undefined) : undefined;
      }
      assert.equal(new Set(seen.map((e) => e.id)).size, seen.length, 'an event appeared twice');
      return seen;
    }

    /** The events written since `before` (newest first), by type. */
    async function since(count: number): Promise<EventRecord[]> {
      return (await allEvents()).slice(0, count);
    }

    it('writes exactly one event per transition, with the actor and the admin shapes', async () => {
      const start = (await allEvents()).length;
      const bob = await checkedActor(t, 'bob@example.com', { name: 'Bob' });
      const inv = await invite(owner, orgId, bob.email, 'member', { sendEmail: false });
      let events = await allEvents();
      assert.equal(events.length, start + 1);
      const created = events[0]!;
      assert.equal(created.type, 'invitation.created');
      assert.equal(created.organizationId, orgId);
      assert.deepEqual(created.actor.type, 'user');
      assert.equal(created.actor.name, 'Olive Owner');
      assert.equal(created.data.invitation?.id, inv.id);
      assert.equal(created.data.invitation?.status, 'pending');
      const asListed = await owner.api.get(`/v1/organizations/${orgId}/invitations/${inv.id}`);
      assert.deepEqual(created.data.invitation, asListed.json());
      assert.ok(!JSON.stringify(created).includes(inv.token), 'the token reached an event');

      const resent = await owner.api.post(`/v1/organizations/${orgId}/invitations/${inv.id}/resend`, {
        sendEmail: false,
      });
      assert.equal(resent.statusCode, 200, resent.body);
      const token = resent.json<{ url: string }>().url.split('/').pop()!;
      const accepted = await bob.api.post(`/api/v1/invitations/${token}/accept`);
      assert.equal(accepted.statusCode, 200, accepted.body);
      const changed = await owner.api.patch(
        `/v1/organizations/${orgId}/members/${accepted.json<{ data: { membership: { user_id: string } } }>().data.membership.user_id}`,
        { role: 'admin' },
      );
      assert.equal(changed.statusCode, 200, changed.body);
      const removed = await owner.api.delete(
        `/v1/organizations/${orgId}/members/${changed.json<{ userId: string }>().userId}`,
      );
      assert.equal(removed.statusCode, 204);
      events = await since(5);
      assert.deepEqual(
        events.map((e) => e.type).sort(),
        [
          'invitation.accepted',
          'invitation.resent',
          'membership.created',
          'membership.removed',
          'membership.updated',
        ].sort(),
      );
      const byType = new Map(events.map((e) => [e.type, e]));
      assert.equal(byType.get('invitation.accepted')?.actor.name, 'Bob');
      assert.equal(byType.get('invitation.accepted')?.data.invitation?.status, 'accepted');
      assert.equal(byType.get('membership.created')?.data.membership?.role, 'member');
      assert.equal(byType.get('membership.updated')?.data.membership?.role, 'admin');
      assert.equal(byType.get('membership.updated')?.data.previousRole, 'member');
      assert.equal(byType.get('membership.removed')?.actor.name, 'Olive Owner');
    });

    it('declined and revoked each write one event; a failed transition writes none', async () => {
      const carol = await checkedActor(t, 'carol@example.com');
      const a = await invite(owner, orgId, carol.email, 'member', { sendEmail: false });
      assert.equal((await carol.api.post(`/api/v1/invitations/${a.token}/decline`)).statusCode, 200);
      const b = await invite(owner, orgId, 'dave@example.com', 'member', { sendEmail: false });
      assert.equal(
        (await owner.api.delete(`/v1/organizations/${orgId}/invitations/${b.id}`)).statusCode,
        204,
      );
      const count = (await allEvents()).length;
      assertProblem(await owner.api.delete(`/v1/organizations/${orgId}/invitations/${b.id}`), 409);
      assert.equal((await carol.api.post(`/api/v1/invitations/${a.token}/accept`)).statusCode, 410);
      assert.equal((await allEvents()).length, count);
      const [revoked, , declined] = await since(3);
      assert.equal(revoked?.type, 'invitation.revoked');
      assert.equal(revoked?.data.invitation?.status, 'revoked');
      assert.equal(declined?.type, 'invitation.declined');
      assert.equal(declined?.actor.type, 'user');
    });

    it('a create that stores its time-expired predecessor as expired announces invitation.expired', async () => {
      const old = await invite(owner, orgId, 'erin@example.com', 'member', { sendEmail: false });
      await later(8 * DAY);
      const fresh = await invite(owner, orgId, 'erin@example.com', 'member', { sendEmail: false });
      const [created, expired] = await since(2);
      assert.equal(created?.type, 'invitation.created');
      assert.equal(created?.data.invitation?.id, fresh.id);
      assert.equal(expired?.type, 'invitation.expired');
      assert.equal(expired?.data.invitation?.id, old.id);
      assert.equal(expired?.data.invitation?.status, 'expired');
      assert.deepEqual(expired?.actor, { type: 'system', id: null, name: 'Admit' });
      // a stored-expired invitation is revoked exactly like a time-expired one
      assert.equal(
        (await owner.api.delete(`/v1/organizations/${orgId}/invitations/${old.id}`)).statusCode,
        204,
      );
      assert.equal((await since(1))[0]?.type, 'invitation.revoked');
    });

    it('a stored-expired invitation resends while no other is pending, else 409 invitation_pending', async () => {
      const first = await invite(owner, orgId, 'fay@example.com', 'member', { sendEmail: false });
      await later(8 * DAY);
      const second = await invite(owner, orgId, 'fay@example.com', 'member', { sendEmail: false });
      const url = `/v1/organizations/${orgId}/invitations/${first.id}/resend`;
      assertProblem(await owner.api.post(url, { sendEmail: false }), 409, 'invitation_pending');
      assert.equal(
        (await owner.api.delete(`/v1/organizations/${orgId}/invitations/${second.id}`)).statusCode,
        204,
      );
      const again = await owner.api.post(url, { sendEmail: false });
      assert.equal(again.statusCode, 200, again.body);
      assert.equal(again.json<{ status: string }>().status, 'pending');
    });

    it('filters by type and time; a member sees membership.* only, never invitees', async () => {
      const mia = await checkedActor(t, 'mia@example.com');
      await makeMember(owner, orgId, mia);
      const resent = await allEvents(owner, '&type=invitation.resent');
      assert.ok(resent.length >= 1 && resent.every((e) => e.type === 'invitation.resent'));
      const all = await allEvents();
      const oldest = all[all.length - 1]!;
      const later = await allEvents(owner, `&occurredAfter=${oldest.occurredAt}`);
      assert.ok(later.every((e) => e.occurredAt > oldest.occurredAt));
      const earlier = await allEvents(owner, `&occurredBefore=${all[0]!.occurredAt}`);
      assert.ok(earlier.every((e) => e.occurredAt < all[0]!.occurredAt));

      const asMember = await allEvents(mia);
      assert.ok(asMember.length > 0);
      assert.ok(asMember.every((e) => e.type.startsWith('membership.')));
      assert.equal(asMember.length, all.filter((e) => e.type.startsWith('membership.')).length);
      assertProblem(await mia.api.get(`/v1/organizations/${orgId}/events?type=invitation.created`), 403);
      const stranger = await checkedActor(t, 'stranger@example.com');
      assertProblem(await stranger.api.get(`/v1/organizations/${orgId}/events`), 404);
      assertProblem(await owner.api.get(`/v1/organizations/${orgId}/events?type=nope`), 400);
      assertProblem(await owner.api.get(`/v1/organizations/${orgId}/events?cursor=zzz`), 400);
      assertProblem(await owner.api.get(`/v1/organizations/${orgId}/events?occurredAfter=yesterday`), 400);
    });
  });
}
