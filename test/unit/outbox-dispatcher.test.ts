import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { sql } from 'kysely';
import { cancelUndelivered } from '../../src/modules/outbox/outbox.repository.js';
import { createDispatcher, type Dispatcher } from '../../src/outbox/dispatcher.js';
import { manualClock } from '../../src/platform/clock.js';
import type { Mailer, OutgoingMail, SendOutcome } from '../../src/platform/mailer.js';
import { client } from '../support/app.js';
import { dialects } from '../support/db.js';
import { createMailApp, type MailApp } from '../support/mail.js';

// The claim / send / settle protocol with a recording fake mailer and a manual clock, on each
// dialect: no double send within a lease, leases released on stop, expired leases re-claimed, a
// cancelled row stays cancelled whatever the send in flight answers.

const LEASE = 60_000;

function recordingMailer() {
  const sent: OutgoingMail[] = [];
  const gates: ((o: SendOutcome) => void)[] = [];
  let hold = false;
  const mailer: Mailer & { sent: OutgoingMail[]; hold(on: boolean): void; release(o?: SendOutcome): void } = {
    kind: 'smtp',
    sent,
    hold(on) {
      hold = on;
    },
    release(o = { ok: true }) {
      for (const g of gates.splice(0)) g(o);
    },
    async send(mail) {
      sent.push(mail);
      if (!hold) return { ok: true };
      return new Promise<SendOutcome>((resolve) => gates.push(resolve));
    },
    async close() {},
  };
  return mailer;
}

for (const dialect of dialects()) {
  describe(`[${dialect}] dispatcher protocol`, () => {
    let t: MailApp | undefined;
    const dispatchers: Dispatcher[] = [];
    afterEach(async () => {
      for (const d of dispatchers.splice(0)) await d.stop(100);
      await t?.close();
      t = undefined;
    });

    async function world(n: number) {
      t = await createMailApp(dialect, {}, { dispatch: false });
      const owner = client(t.app, await t.token('owner@example.com', { name: 'Owner' }));
      const orgId = (await owner.post('/v1/organizations', { name: 'Acme' })).json<{ id: string }>().id;
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const res = await owner.post(`/v1/organizations/${orgId}/invitations`, {
          email: `p${i}@example.com`,
          role: 'member',
        });
        assert.equal(res.statusCode, 201, res.body);
        ids.push(res.json<{ id: string }>().id);
      }
      const clock = manualClock(Date.now() + 1_000);
      const make = (mailer: Mailer, concurrency = 4) => {
        const d = createDispatcher({
          db: t!.rt.db,
          clock,
          sealer: t!.rt.sealer,
          mailer,
          logger: t!.rt.logger,
          publicUrl: 'http://admit.test',
          mailFrom: 'Admit <no-reply@admit.test>',
          timings: {
            outboxBackoffBaseMs: 10,
            outboxBackoffMaxMs: 100,
            outboxLeaseMs: LEASE,
            outboxPollMs: 10,
          },
          concurrency,
        });
        dispatchers.push(d);
        return d;
      };
      const rows = () => t!.rt.db.kysely.selectFrom('outbox').selectAll().orderBy('created_at').execute();
      return { owner, orgId, ids, clock, make, rows };
    }

    it('two dispatchers claiming at once never take the same row', async () => {
      const w = await world(30);
      const a = recordingMailer();
      const b = recordingMailer();
      const da = w.make(a, 3);
      const db = w.make(b, 3);
      for (let round = 0; round < 20; round++) await Promise.all([da.runOnce(), db.runOnce()]);
      const all = [...a.sent, ...b.sent].map((m) => m.messageId);
      assert.equal(all.length, 30);
      assert.equal(new Set(all).size, 30, 'each message once');
      assert.ok((await w.rows()).every((r) => r.status === 'sent' && r.attempts === 1));
    });

    it('stop() hands an unfinished send back; the late answer of the stopped send changes nothing', async () => {
      const w = await world(1);
      const slow = recordingMailer();
      slow.hold(true);
      const first = w.make(slow);
      first.start();
      const deadline = Date.now() + 5_000;
      while (slow.sent.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(slow.sent.length, 1);
      assert.equal((await w.rows())[0]?.status, 'sending');
      await first.stop(50); // the send does not finish within the grace
      const [released] = await w.rows();
      assert.equal(released?.status, 'queued');
      assert.equal(released?.lease_owner, null);

      const next = recordingMailer();
      assert.equal(await w.make(next).runOnce(), 1, 'claimable at once, without waiting for the lease');
      assert.equal(next.sent[0]?.messageId, slow.sent[0]?.messageId, 'same Message-ID');
      slow.release({ ok: false, permanent: true, errorClass: 'smtp_5xx 550' });
      await new Promise((r) => setTimeout(r, 50));
      const [row] = await w.rows();
      assert.equal(row?.status, 'sent');
      assert.equal(row?.attempts, 1);
    });

    it('re-claims a row whose lease ran out (a dispatcher died) and ignores the old owner', async () => {
      const w = await world(1);
      const dead = recordingMailer();
      dead.hold(true);
      const d1 = w.make(dead);
      const pending = d1.runOnce();
      const deadline = Date.now() + 5_000;
      while (dead.sent.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      const other = recordingMailer();
      const d2 = w.make(other);
      assert.equal(await d2.runOnce(), 0, 'leased: not claimable');
      w.clock.advance(LEASE + 1);
      assert.equal(await d2.runOnce(), 1, 'lease expired: claimable');
      dead.release({ ok: true });
      await pending;
      const [row] = await w.rows();
      assert.equal(row?.status, 'sent');
      assert.equal(row?.attempts, 1, 'settled once, by the new owner');
      const inv = await t!.rt.db.kysely
        .selectFrom('invitations')
        .select(['delivery_status', 'delivery_attempts'])
        .executeTakeFirst();
      assert.deepEqual(inv, { delivery_status: 'sent', delivery_attempts: 1 });
    });

    it('a row cancelled while its send is in flight stays cancelled', async () => {
      const w = await world(1);
      const slow = recordingMailer();
      slow.hold(true);
      const d = w.make(slow);
      const pending = d.runOnce();
      const deadline = Date.now() + 5_000;
      while (slow.sent.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      const revoked = await w.owner.delete(`/v1/organizations/${w.orgId}/invitations/${w.ids[0]}`);
      assert.equal(revoked.statusCode, 204);
      slow.release({ ok: true });
      await pending;
      const [row] = await w.rows();
      assert.equal(row?.status, 'cancelled');
      assert.equal(row?.sealed_token, null);
    });

    // Services lock an invitation, then its outbox rows (resend, revoke, accept cancel undelivered
    // mail). A settle must not hold an outbox row while it waits for that invitation, or the two
    // deadlock (seen in CI: a resend answered 500 while its first mail was being settled).
    it('a settle waiting behind a resend holds no outbox row the resend needs', {
      skip: dialect !== 'postgres' && 'PostgreSQL only: SQLite has no row locks',
    }, async () => {
      const w = await world(1);
      const slow = recordingMailer();
      slow.hold(true);
      const pending = w.make(slow).runOnce();
      const deadline = Date.now() + 5_000;
      while (slow.sent.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      const kysely = t!.rt.db.kysely;
      const id = w.ids[0]!;
      await kysely.transaction().execute(async (trx) => {
        // the service's order: the invitation first …
        await trx.updateTable('invitations').set({ updated_at: Date.now() }).where('id', '=', id).execute();
        const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
        const me = rows[0]!.pid;
        slow.release({ ok: true }); // the settle starts and has to wait for our invitation lock
        const until = Date.now() + 10_000;
        for (;;) {
          const r = await sql<{ n: string }>`select count(*) as n from pg_stat_activity
            where ${me} = any(pg_blocking_pids(pid))`.execute(kysely);
          if (Number(r.rows[0]!.n) > 0) break;
          assert.ok(Date.now() < until, 'the settle never waited on the invitation lock');
          await new Promise((r) => setTimeout(r, 10));
        }
        // … then its outbox rows, at once: the waiting settle must not be holding them
        await sql`set local lock_timeout = '500ms'`.execute(trx);
        await cancelUndelivered(trx, id);
      });
      await pending;
      const [row] = await w.rows();
      assert.equal(row?.status, 'cancelled', 'the settle found the row cancelled and left it so');
    });

    it('retries with backoff by the clock and gives up on a permanent reply', async () => {
      const w = await world(2);
      let calls = 0;
      const flaky: Mailer = {
        kind: 'smtp',
        async send(mail) {
          calls++;
          if (mail.to === 'p0@example.com')
            return { ok: false, permanent: false, errorClass: 'smtp_4xx 451' };
          return { ok: false, permanent: true, errorClass: 'smtp_5xx 550' };
        },
        async close() {},
      };
      const d = w.make(flaky);
      assert.equal(await d.runOnce(), 2);
      let rows = await w.rows();
      const retry = rows.find((r) => r.recipient === 'p0@example.com');
      const failed = rows.find((r) => r.recipient === 'p1@example.com');
      assert.equal(retry?.status, 'retrying');
      assert.equal(retry?.last_error, 'smtp_4xx 451');
      assert.ok(retry!.next_attempt_at >= w.clock.now() && retry!.next_attempt_at <= w.clock.now() + 10);
      assert.notEqual(retry?.sealed_token, null);
      assert.equal(failed?.status, 'failed');
      assert.equal(failed?.sealed_token, null);
      w.clock.advance(1_000);
      assert.equal(await d.runOnce(), 1, 'only the retrying row comes back');
      rows = await w.rows();
      assert.equal(rows.find((r) => r.recipient === 'p0@example.com')?.attempts, 2);
      assert.equal(calls, 3);
    });
  });
}
