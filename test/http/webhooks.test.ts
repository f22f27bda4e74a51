import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { client } from '../support/app.js';
import { dialects } from '../support/db.js';
import { type Actor, invite, organization, tokenOf } from '../support/fixtures.js';
import { waitFor } from '../support/mail.js';
import { createWebhookApp, Receiver, verifyStandardWebhook, type WebhookApp } from '../support/webhooks.js';

// Webhooks against a real HTTP receiver on loopback (allowed through WEBHOOK_ALLOWED_HOSTS), with the
// real dispatcher. Signatures are checked with a verifier written from the Standard Webhooks spec.

interface Hook {
  id: string;
  url: string;
  events: string[] | null;
  enabled: boolean;
  disabledReason: string | null;
  secret?: string;
}
interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  status: string;
  attempts: number;
  lastResponseCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
}
interface EventRecord {
  id: string;
  type: string;
}

const HOUR = 3_600_000;

for (const dialect of dialects()) {
  describe(`[${dialect}] webhooks`, () => {
    const receiver = new Receiver();
    let t: WebhookApp;
    let owner: Actor;
    let orgId: string;
    const base = () => `/v1/organizations/${orgId}/webhooks`;

    before(async () => {
      await receiver.up();
      t = await createWebhookApp(
        dialect,
        { WEBHOOK_ALLOWED_HOSTS: receiver.host },
        {
          // a public-looking name that resolves to loopback: what DNS rebinding would do
          resolve: async (host) => (host === 'rebind.example' ? [{ address: '127.0.0.1', family: 4 }] : []),
        },
      );
      await refreshOwner();
      orgId = await organization(owner);
    });
    after(async () => {
      const errors = t.logs.filter((l) => l.includes('"level":50'));
      if (errors.length) console.log(errors.slice(0, 2).join('\n').slice(0, 3000));
      await t.close();
      await receiver.close();
    });
    afterEach(() => {
      receiver.answer = () => 200;
    });

    async function refreshOwner() {
      const token = await t.token('owner@example.com', { name: 'Olive' });
      owner = { email: 'owner@example.com', token, api: client(t.app, token) };
    }

    async function createHook(body: Record<string, unknown>): Promise<Hook> {
      const res = await owner.api.post(base(), body);
      assert.equal(res.statusCode, 201, res.body);
      return res.json<Hook>();
    }

    async function deliveries(hookId: string): Promise<Delivery[]> {
      const res = await owner.api.get(`${base()}/${hookId}/deliveries?limit=200`);
      assert.equal(res.statusCode, 200, res.body);
      return res.json<Delivery[]>();
    }

    async function events(): Promise<EventRecord[]> {
      return (await owner.api.get(`/v1/organizations/${orgId}/events?limit=200`)).json<EventRecord[]>();
    }

    const now = () => Math.floor(t.clock.now() / 1000);

    it('delivers each event once per subscribed endpoint, signed, with the audit-log record as data', async () => {
      const all = await createHook({ url: receiver.url('/all') });
      assert.match(all.secret ?? '', /^whsec_[A-Za-z0-9+/]+=*$/);
      assert.equal(all.events, null);
      const accepted = await createHook({ url: receiver.url('/accepted'), events: ['invitation.accepted'] });
      const got = await owner.api.get(`${base()}/${all.id}`);
      assert.equal(got.statusCode, 200);
      assert.equal('secret' in got.json(), false, 'GET shows the secret');

      const bob = { email: 'bob@example.com', token: await t.token('bob@example.com', { name: 'Bob' }) };
      const inv = await invite(owner, orgId, bob.email, 'member', { sendEmail: false });
      const res = await client(t.app, bob.token).post(`/api/v1/invitations/${inv.token}/accept`);
      assert.equal(res.statusCode, 200, res.body);
      const log = await events();
      assert.deepEqual(log.map((e) => e.type).sort(), [
        'invitation.accepted',
        'invitation.created',
        'membership.created',
      ]);
      await waitFor(() => receiver.received.length >= 4, 'four deliveries');
      // three to the endpoint of every type, one to the endpoint of invitation.accepted
      const toAll = receiver.received.filter((r) => r.body && r.headers['webhook-id'] && true);
      assert.equal(toAll.length, 4);
      for (const e of log) {
        const copies = receiver.of(e.id);
        assert.equal(copies.length, e.type === 'invitation.accepted' ? 2 : 1, e.type);
        for (const r of copies) {
          const body = JSON.parse(r.body) as { type: string; timestamp: string; data: EventRecord };
          assert.deepEqual(Object.keys(body), ['type', 'timestamp', 'data']);
          assert.equal(body.type, e.type);
          assert.deepEqual(body.data, e);
          assert.ok(!r.body.includes(inv.token), 'token in a webhook');
        }
      }
      for (const r of receiver.received) {
        const secret = r.headers['webhook-signature'] && (await whichSecret(r));
        assert.ok(secret, 'a delivery verifies with its endpoint secret');
      }
      async function whichSecret(r: (typeof receiver.received)[number]) {
        return [all.secret, accepted.secret].find(
          (s) => s && verifyStandardWebhook(s, r.headers, r.body, now()),
        );
      }
      const tampered = receiver.received[0]!;
      assert.equal(verifyStandardWebhook(all.secret!, tampered.headers, `${tampered.body} `, now()), false);
      const ds = await waitFor(async () => {
        const list = await deliveries(all.id);
        return list.length === 3 && list.every((d) => d.status === 'sent') ? list : undefined;
      }, 'three sent deliveries');
      assert.ok(ds.every((d) => d.lastResponseCode === 200 && d.attempts === 1 && d.nextAttemptAt === null));
      assert.equal((await deliveries(accepted.id)).length, 1);
      await owner.api.delete(`${base()}/${all.id}`);
      await owner.api.delete(`${base()}/${accepted.id}`);
      receiver.received.length = 0;
    });

    it('retries a receiver that answers 500, and it gets every event; replay resends with the same id', async () => {
      const hook = await createHook({ url: receiver.url('/flaky'), events: ['invitation.created'] });
      let failures = 0;
      receiver.answer = () => (failures++ < 3 ? 500 : 204);
      const ids: string[] = [];
      for (const n of [1, 2]) {
        await invite(owner, orgId, `flaky${n}@example.com`, 'member', { sendEmail: false });
      }
      for (const e of (await events()).filter((e) => e.type === 'invitation.created').slice(0, 2))
        ids.push(e.id);
      await waitFor(async () => {
        t.clock.advance(1000);
        return (
          ids.every((id) => receiver.of(id).some((r) => receiver.answer(r) && true)) &&
          (await deliveries(hook.id)).every((d) => d.status === 'sent')
        );
      }, 'every event delivered after the failures');
      const ds = await deliveries(hook.id);
      assert.equal(ds.length, 2);
      assert.ok(
        ds.some((d) => d.attempts > 1),
        'a delivery was retried',
      );
      assert.ok(ids.every((id) => receiver.of(id).length >= 1));
      const replay = await owner.api.post(`${base()}/${hook.id}/deliveries/${ds[0]!.id}/replay`);
      assert.equal(replay.statusCode, 202, replay.body);
      const before = receiver.of(ds[0]!.eventId).length;
      await waitFor(() => receiver.of(ds[0]!.eventId).length > before, 'the replay arrives');
      await owner.api.delete(`${base()}/${hook.id}`);
    });

    it('signs with both secrets for 24 h after a rotation, then with the new one only', async () => {
      const hook = await createHook({ url: receiver.url('/rotate'), events: ['invitation.created'] });
      const rotated = await owner.api.post(`${base()}/${hook.id}/rotate-secret`);
      assert.equal(rotated.statusCode, 200, rotated.body);
      const fresh = rotated.json<Hook>().secret!;
      assert.notEqual(fresh, hook.secret);
      const inv = await invite(owner, orgId, 'rot1@example.com', 'member', { sendEmail: false });
      const first = await waitFor(
        async () => receiver.received.find((r) => JSON.parse(r.body).data.data.invitation?.id === inv.id),
        'delivery during the overlap',
      );
      assert.equal(String(first.headers['webhook-signature']).split(' ').length, 2);
      assert.ok(verifyStandardWebhook(hook.secret!, first.headers, first.body, now()));
      assert.ok(verifyStandardWebhook(fresh, first.headers, first.body, now()));
      t.clock.advance(25 * HOUR);
      await refreshOwner();
      const later = await invite(owner, orgId, 'rot2@example.com', 'member', { sendEmail: false });
      const second = await waitFor(
        async () => receiver.received.find((r) => JSON.parse(r.body).data.data.invitation?.id === later.id),
        'delivery after the overlap',
      );
      assert.ok(verifyStandardWebhook(fresh, second.headers, second.body, now()));
      assert.equal(verifyStandardWebhook(hook.secret!, second.headers, second.body, now()), false);
      await owner.api.delete(`${base()}/${hook.id}`);
    });

    it('refuses non-public URLs at creation and addresses that resolve to them at delivery', async () => {
      for (const url of [
        'http://example.com/hook',
        'https://127.0.0.1/hook',
        'https://localhost/hook',
        'https://api.localhost/hook',
        'https://[::1]/hook',
        'https://10.1.2.3/hook',
        'https://169.254.169.254/latest',
        'https://[::ffff:192.168.0.1]/',
        'https://0.0.0.0/',
        'https://user:pw@example.com/',
      ]) {
        const res = await owner.api.post(base(), { url });
        assert.equal(res.statusCode, 400, `${url}: ${res.body}`);
        assert.equal(res.json<{ code: string }>().code, 'webhook_url_not_allowed', url);
      }
      assert.equal((await owner.api.post(base(), { url: 'https://x.example/', events: [] })).statusCode, 400);
      const hook = await createHook({ url: 'https://rebind.example/hook', events: ['invitation.created'] });
      const before = receiver.received.length;
      await invite(owner, orgId, 'rebind@example.com', 'member', { sendEmail: false });
      const [d] = await waitFor(async () => {
        const list = await deliveries(hook.id);
        return list[0]?.lastError ? list : undefined;
      }, 'a refused attempt');
      assert.equal(d?.lastError, 'address_not_allowed');
      assert.equal(d?.status, 'retrying');
      assert.equal(receiver.received.length, before);
      await owner.api.delete(`${base()}/${hook.id}`);
    });

    it('disables an endpoint that fails for 3 days, and says so', async () => {
      const hook = await createHook({ url: receiver.url('/down'), events: ['invitation.created'] });
      receiver.answer = () => 503;
      await invite(owner, orgId, 'down@example.com', 'member', { sendEmail: false });
      await waitFor(async () => (await deliveries(hook.id))[0]?.attempts, 'a first failure');
      t.clock.advance(73 * HOUR);
      await refreshOwner();
      const got = await waitFor(async () => {
        t.clock.advance(60_000);
        await refreshOwner();
        const h = (await owner.api.get(`${base()}/${hook.id}`)).json<Hook>();
        // the delivery's settlement is written by the dispatcher's batch just after the endpoint is
        // disabled: wait for both rather than read the delivery while it is still being settled
        const [d] = await deliveries(hook.id);
        return h.enabled || d?.status === 'sending' ? undefined : h;
      }, 'the endpoint disabled');
      assert.match(got.disabledReason ?? '', /3 days/);
      const [d] = await deliveries(hook.id);
      assert.equal(d?.status, 'failed');
      assert.equal(d?.lastResponseCode, 503);
      // enabling it again is the administrator's call
      const on = await owner.api.patch(`${base()}/${hook.id}`, { enabled: true });
      assert.equal(on.json<Hook>().enabled, true);
      assert.equal(on.json<Hook>().disabledReason, null);
    });

    it('needs organization:write; another organization answers 404', async () => {
      const member = await t.token('mem@example.com');
      const m = client(t.app, member);
      const inv = await invite(owner, orgId, 'mem@example.com', 'member', { sendEmail: false });
      assert.equal((await m.post(`/api/v1/invitations/${tokenOf(inv.url)}/accept`)).statusCode, 200);
      assert.equal((await m.get(base())).statusCode, 403);
      const other = client(t.app, await t.token('other@example.com'));
      const otherOrg = (await other.post('/v1/organizations', { name: 'Other' })).json<{ id: string }>().id;
      assert.equal((await other.get(base())).statusCode, 404);
      const hook = await createHook({ url: receiver.url('/x') });
      assert.equal((await other.get(`/v1/organizations/${otherOrg}/webhooks/${hook.id}`)).statusCode, 404);
      await owner.api.delete(`${base()}/${hook.id}`);
    });
  });
}
