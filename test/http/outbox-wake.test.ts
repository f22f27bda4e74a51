import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { client } from '../support/app.js';
import { dialects } from '../support/db.js';
import { type Actor, invite, organization } from '../support/fixtures.js';
import { waitFor } from '../support/mail.js';
import { createWebhookApp, Receiver, type WebhookApp } from '../support/webhooks.js';

// Every transaction that queues an outbox row wakes the process's dispatcher once it commits, not only
// an invitation's create: with OUTBOX_POLL at 60 s, each transition's webhook (and each mail) reaches
// a real receiver on loopback well before the next poll would have sent it. Each step waits on the
// receiver with a generous bound; without the wake it would wait for the poll and fail.

const POLL = '60s';
const DAY = 86_400_000;
const SETTLE_MS = 250;

for (const dialect of dialects()) {
  describe(`[${dialect}] the dispatcher wakes after every commit that queued a delivery or mail`, () => {
    const receiver = new Receiver();
    let t: WebhookApp;
    let owner: Actor;
    let orgId: string;

    before(async () => {
      await receiver.up();
      t = await createWebhookApp(dialect, { OUTBOX_POLL: POLL, WEBHOOK_ALLOWED_HOSTS: receiver.host });
      const token = await t.token('owner@example.com', { name: 'Olive' });
      owner = { email: 'owner@example.com', token, api: client(t.app, token) };
      orgId = await organization(owner);
      const hook = await owner.api.post(`/v1/organizations/${orgId}/webhooks`, { url: receiver.url() });
      assert.equal(hook.statusCode, 201, hook.body);
    });
    after(async () => {
      await t.close();
      await receiver.close();
    });

    /** the types delivered after the first `from` requests, in arrival order */
    const delivered = (from: number) =>
      receiver.received.slice(from).map((r) => (JSON.parse(r.body) as { type: string }).type);
    /**
     * Nothing left to send and the dispatcher back asleep: a dispatcher finishing a send claims once
     * more at once, and would pick up the next step's row without being woken. The pause lets that
     * last claim end; were it too short, a missing wake could go unnoticed, never a present one fail.
     */
    async function idle(): Promise<void> {
      await waitFor(async () => {
        const open = await t.rt.db.kysely
          .selectFrom('outbox')
          .select('id')
          .where('status', 'in', ['queued', 'sending', 'retrying'])
          .execute();
        return open.length === 0 && t.outbox.dispatcher.inFlight === 0;
      }, 'the outbox drained');
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    }
    /** runs the action, then waits for its deliveries (and only its own: those arriving after it began) */
    async function step<T>(action: () => Promise<T>, ...types: string[]): Promise<T> {
      await idle();
      const from = receiver.received.length;
      const result = await action();
      await waitFor(
        () => types.every((type) => delivered(from).includes(type)),
        `${types.join(', ')} delivered before the ${POLL} poll (delivered: ${delivered(from).join(', ')})`,
      );
      return result;
    }
    const person = async (email: string) => client(t.app, await t.token(email, { name: email }));
    const org = (path: string) => `/v1/organizations/${orgId}${path}`;

    it('mail queued by a create and by a resend', async () => {
      const mailbox = t.outbox.mailbox;
      assert.ok(mailbox, 'the dev mailbox (no SMTP_URL)');
      const inbox = (to: string) => () => mailbox.list().filter((m) => m.to.includes(to)).length;
      const fay = await invite(owner, orgId, 'fay@example.com');
      await waitFor(() => inbox('fay@example.com')() === 1, `the invitation mail before the ${POLL} poll`);
      const resent = await owner.api.post(org(`/invitations/${fay.id}/resend`), {});
      assert.equal(resent.statusCode, 200, resent.body);
      await waitFor(() => inbox('fay@example.com')() === 2, `the resent mail before the ${POLL} poll`);
    });

    it('create without mail, accept, decline, revoke, resend, role change, removal and the sweep', async () => {
      const bob = await step(
        () => invite(owner, orgId, 'bob@example.com', 'member', { sendEmail: false }),
        'invitation.created',
      );

      const bobApi = await person('bob@example.com');
      const accepted = await step(
        () => bobApi.post(`/api/v1/invitations/${bob.token}/accept`),
        'invitation.accepted',
        'membership.created',
      );
      assert.equal(accepted.statusCode, 200, accepted.body);
      const bobId = accepted.json<{ data: { membership: { user_id: string } } }>().data.membership.user_id;

      const carol = await invite(owner, orgId, 'carol@example.com', 'member', { sendEmail: false });
      const carolApi = await person('carol@example.com');
      const declined = await step(
        () => carolApi.post(`/api/v1/invitations/${carol.token}/decline`),
        'invitation.declined',
      );
      assert.equal(declined.statusCode, 200, declined.body);

      const dave = await invite(owner, orgId, 'dave@example.com', 'member', { sendEmail: false });
      const revoked = await step(
        () => owner.api.delete(org(`/invitations/${dave.id}`)),
        'invitation.revoked',
      );
      assert.equal(revoked.statusCode, 204, revoked.body);

      const erin = await invite(owner, orgId, 'erin@example.com', 'member', { sendEmail: false });
      const resent = await step(
        () => owner.api.post(org(`/invitations/${erin.id}/resend`), { sendEmail: false }),
        'invitation.resent',
      );
      assert.equal(resent.statusCode, 200, resent.body);

      const changed = await step(
        () => owner.api.patch(org(`/members/${bobId}`), { role: 'admin' }),
        'membership.updated',
      );
      assert.equal(changed.statusCode, 200, changed.body);

      const removed = await step(() => owner.api.delete(org(`/members/${bobId}`)), 'membership.removed');
      assert.equal(removed.statusCode, 204, removed.body);

      // the retention sweep the server runs every SWEEP_INTERVAL, once erin's invitation has run out
      t.clock.advance(8 * DAY);
      const swept = await step(() => t.services.retention.sweep(), 'invitation.expired');
      assert.ok(swept.invitationsExpired >= 1);
    });
  });
}
