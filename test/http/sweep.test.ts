import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/db.js';
import { type Actor, actor, invite, organization } from '../support/fixtures.js';

// The retention sweep: expires what time expired (once, with its event, even with two sweeps at
// once) and deletes exactly what is past its retention, nothing else.

const DAY = 86_400_000;

for (const dialect of dialects()) {
  describe(`[${dialect}] retention sweep`, () => {
    let t: TestApp;
    let owner: Actor;
    let orgId: string;
    before(async () => {
      t = await createTestApp(dialect, { EVENT_RETENTION: '30d', OUTBOX_RETENTION: '7d' });
      owner = await actor(t, 'owner@example.com');
      orgId = await organization(owner);
    });
    after(() => t.close());

    const db = () => t.rt.db.kysely;
    const statusOf = async (id: string) =>
      (await db().selectFrom('invitations').select('status').where('id', '=', id).executeTakeFirstOrThrow())
        .status;
    const expiredEvents = async (invitationId: string) =>
      (
        await db().selectFrom('events').select('payload').where('type', '=', 'invitation.expired').execute()
      ).filter((e) => JSON.parse(e.payload).data.invitation.id === invitationId);

    it('stores expired on time-expired pending invitations once, with one event, under concurrent sweeps', async () => {
      const short = await invite(owner, orgId, 'short@example.com', 'member', { expiresInDays: 1 });
      const long = await invite(owner, orgId, 'long@example.com', 'member', { expiresInDays: 7 });
      const [first] = await Promise.all([t.services.retention.sweep(), t.services.retention.sweep()]);
      assert.ok(first);
      assert.equal(await statusOf(short.id), 'pending');
      t.clock.advance(2 * DAY);
      const reports = await Promise.all([t.services.retention.sweep(), t.services.retention.sweep()]);
      assert.equal(
        reports.reduce((n, r) => n + r.invitationsExpired, 0),
        1,
      );
      assert.equal(await statusOf(short.id), 'expired');
      assert.equal(await statusOf(long.id), 'pending');
      const events = await expiredEvents(short.id);
      assert.equal(events.length, 1);
      assert.deepEqual(JSON.parse(events[0]!.payload).actor, { type: 'system', id: null, name: 'Admit' });
      assert.equal((await t.services.retention.sweep()).invitationsExpired, 0);
      // the answer does not depend on the sweep: a stored-expired invitation still resends
      const owner2 = await actor(t, 'owner@example.com');
      const resent = await owner2.api.post(`/v1/organizations/${orgId}/invitations/${short.id}/resend`, {
        sendEmail: false,
      });
      assert.equal(resent.statusCode, 200, resent.body);
      owner = owner2;
    });

    it('deletes settled outbox rows, old events and expired credentials past retention, and nothing else', async () => {
      const now = t.clock.now();
      const user = await db().selectFrom('users').select('id').executeTakeFirstOrThrow();
      const outbox = (id: string, status: 'sent' | 'queued' | 'failed', age: number) => ({
        id,
        invitation_id: null,
        kind: 'invitation_email',
        recipient: 'x@example.com',
        status,
        attempts: 1,
        next_attempt_at: now + DAY,
        lease_owner: null,
        lease_until: null,
        sealed_token: null,
        message_id: `<${id}@test>`,
        last_attempt_at: null,
        last_error: null,
        created_at: now - age,
        sent_at: null,
      });
      await db()
        .insertInto('outbox')
        .values([
          outbox('old-sent', 'sent', 8 * DAY),
          outbox('old-failed', 'failed', 8 * DAY),
          outbox('old-queued', 'queued', 8 * DAY),
          outbox('new-sent', 'sent', DAY),
        ])
        .execute();
      const event = (id: string, age: number) => ({
        id,
        organization_id: orgId,
        type: 'membership.created',
        occurred_at: now - age,
        payload: '{}',
      });
      await db()
        .insertInto('events')
        .values([event('old-event', 31 * DAY), event('new-event', 29 * DAY)])
        .execute();
      const code = (uid: string, expires: number) => ({
        uid,
        email: 'x@example.com',
        code_hash: 'h',
        attempts: 0,
        expires_at: expires,
        created_at: now - DAY,
      });
      await db()
        .insertInto('oauth_sign_in_codes')
        .values([code('dead', now - 1), code('live', now + 60_000)])
        .execute();
      const session = (id: string, expires: number) => ({
        id_hash: id,
        user_id: user.id,
        issuer: 'i',
        subject: 's',
        email: null,
        email_verified: 0,
        name: null,
        picture: null,
        csrf_token: 'c',
        refresh_sealed: null,
        created_at: now - DAY,
        expires_at: expires,
      });
      await db()
        .insertInto('web_sessions')
        .values([session('dead', now), session('live', now + DAY)])
        .execute();
      const key = (id: string, expires: number) => ({
        id,
        request_hash: 'r',
        state: 'done' as const,
        locked_until: 0,
        response_status: 201,
        response_sealed: null,
        created_at: now - DAY,
        expires_at: expires,
      });
      await db()
        .insertInto('idempotency_keys')
        .values([key('dead', now - 1), key('live', now + DAY)])
        .execute();
      const payload = (id: string, expires: number | null) => ({
        model: 'Grant',
        id,
        payload: '{}',
        grant_id: null,
        user_code: null,
        uid: null,
        expires_at: expires,
        consumed_at: null,
      });
      await db()
        .insertInto('oauth_payloads')
        .values([payload('dead', now - 1), payload('live', now + DAY), payload('forever', null)])
        .execute();

      const report = await t.services.retention.sweep();
      const ids = async (table: 'outbox' | 'events') =>
        (await db().selectFrom(table).select('id').execute()).map((r) => r.id);
      const outboxLeft = await ids('outbox');
      assert.ok(!outboxLeft.includes('old-sent') && !outboxLeft.includes('old-failed'));
      assert.ok(outboxLeft.includes('old-queued') && outboxLeft.includes('new-sent'));
      const eventsLeft = await ids('events');
      assert.ok(!eventsLeft.includes('old-event') && eventsLeft.includes('new-event'));
      const left = async (
        table: 'oauth_sign_in_codes' | 'web_sessions' | 'idempotency_keys' | 'oauth_payloads',
      ) => (await db().selectFrom(table).selectAll().execute()).length;
      assert.deepEqual(
        (await db().selectFrom('oauth_sign_in_codes').select('uid').execute()).map((r) => r.uid),
        ['live'],
      );
      assert.deepEqual(
        (await db().selectFrom('web_sessions').select('id_hash').execute()).map((r) => r.id_hash),
        ['live'],
      );
      assert.deepEqual(
        (await db().selectFrom('idempotency_keys').select('id').execute()).map((r) => r.id),
        ['live'],
      );
      assert.deepEqual(
        (await db().selectFrom('oauth_payloads').select('id').orderBy('id').execute()).map((r) => r.id),
        ['forever', 'live'],
      );
      assert.equal(await left('oauth_payloads'), 2);
      assert.equal(report.outboxDeleted, 2);
      assert.equal(report.eventsDeleted, 1);
      assert.equal(report.signInCodesDeleted, 1);
      assert.equal(report.webSessionsDeleted, 1);
      assert.equal(report.idempotencyKeysDeleted, 1);
      assert.equal(report.oauthPayloadsDeleted, 1);
    });
  });
}
