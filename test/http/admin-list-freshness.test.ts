import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { LIMITS_OFF } from '../../scripts/limits-off.js';
import { ensureBuilt, freePort } from '../../scripts/proc.js';
import { loadConfig } from '../../src/config.js';
import { createDb } from '../../src/db/create-db.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { assertProblem, checkedActor } from '../support/admin.js';
import { client, createTestApp, TEST_SECRET, type TestApp } from '../support/app.js';
import { dialects, freshDatabase } from '../support/db.js';
import { type Actor, invite, makeMember } from '../support/fixtures.js';
import { createMailApp, type MailApp, waitFor } from '../support/mail.js';
import { type ServerProcess, startServer } from '../support/servers.js';

// The invitation list keeps answered pages on SQLite and reuses one only while the organization's
// list version (kept by triggers, migration 0004) and the page's first pending expiry say it is
// unchanged. These tests ask for a page, change the organization in every way there is, and ask
// again: the second answer must always be the new truth. On PostgreSQL nothing is kept and the
// same tests hold. Those tests would pass just as well if no page were ever kept, so one more shows
// that a page is kept at all (src/modules/invitations/kept-list-pages.ts).

const DAY = 86_400_000;

interface Row {
  id: string;
  email: string;
  status: string;
  delivery: { status: string };
}

for (const dialect of dialects()) {
  describe(`[${dialect}] admin invitation list: never an outdated page`, () => {
    let t: TestApp;
    let owner: Actor;
    let org: string;
    const list = async (who: Actor = owner, query = '') => {
      const res = await who.api.get(`/v1/organizations/${org}/invitations${query}`);
      assert.equal(res.statusCode, 200, res.body);
      return { rows: res.json<Row[]>(), link: res.headers.link, body: res.body };
    };
    const statusOf = async (email: string) => (await list()).rows.find((r) => r.email === email)?.status;

    before(async () => {
      t = await createTestApp(dialect);
      owner = await checkedActor(t, 'owner@example.com');
      const res = await owner.api.post('/v1/organizations', { name: 'Acme Corp' });
      org = res.json<{ id: string }>().id;
    });
    after(() => t.close());

    it('a repeated request answers the same page, Link header included', async () => {
      await invite(owner, org, 'first@example.com', 'member', { sendEmail: false });
      await invite(owner, org, 'second@example.com', 'member', { sendEmail: false });
      const one = await list(owner, '?limit=1');
      const two = await list(owner, '?limit=1');
      assert.equal(two.body, one.body);
      assert.equal(one.rows[0]?.email, 'second@example.com');
      assert.ok(one.link?.includes('rel="next"'), String(one.link));
      assert.equal(two.link, one.link);
      // another page size is another page
      assert.equal((await list(owner, '?limit=2')).rows.length, 2);
    });

    it('shows a created invitation, a revocation, a resend, an accept and a decline at once', async () => {
      await list();
      await invite(owner, org, 'carol@example.com', 'member', { sendEmail: false });
      assert.equal((await list()).rows[0]?.email, 'carol@example.com');

      const dave = await invite(owner, org, 'dave@example.com', 'member', { sendEmail: false });
      assert.equal(await statusOf('dave@example.com'), 'pending');
      assert.equal(
        (await owner.api.delete(`/v1/organizations/${org}/invitations/${dave.id}`)).statusCode,
        204,
      );
      assert.equal(await statusOf('dave@example.com'), 'revoked');

      const erin = await invite(owner, org, 'erin@example.com', 'member', { sendEmail: false });
      const before = (await list()).rows.find((r) => r.email === 'erin@example.com');
      assert.equal(before?.delivery.status, 'none');
      const resent = await owner.api.post(`/v1/organizations/${org}/invitations/${erin.id}/resend`, {});
      assert.equal(resent.statusCode, 200, resent.body);
      assert.equal(
        (await list()).rows.find((r) => r.email === 'erin@example.com')?.delivery.status,
        'queued',
      );

      const frank = await checkedActor(t, 'frank@example.com');
      const forFrank = await invite(owner, org, frank.email, 'member', { sendEmail: false });
      await list();
      assert.equal((await frank.api.post(`/api/v1/invitations/${forFrank.token}/accept`)).statusCode, 200);
      assert.equal(await statusOf(frank.email), 'accepted');

      const gina = await checkedActor(t, 'gina@example.com');
      const forGina = await invite(owner, org, gina.email, 'member', { sendEmail: false });
      await list();
      assert.equal((await gina.api.post(`/api/v1/invitations/${forGina.token}/decline`)).statusCode, 200);
      assert.equal(await statusOf(gina.email), 'declined');
    });

    it('shows a write made on another connection to the same database', async () => {
      const inv = await invite(owner, org, 'hank@example.com', 'member', { sendEmail: false });
      assert.equal((await list()).rows.find((r) => r.id === inv.id)?.delivery.status, 'none');
      const other = createDb(t.config.database, { error: () => undefined });
      try {
        await other.kysely
          .updateTable('invitations')
          .set({ delivery_status: 'failed' })
          .where('id', '=', inv.id)
          .execute();
      } finally {
        await other.close();
      }
      assert.equal((await list()).rows.find((r) => r.id === inv.id)?.delivery.status, 'failed');
    });

    it('turns a pending row expired when the clock passes its expiry, with no write at all', async () => {
      await invite(owner, org, 'ivy@example.com', 'member', {
        sendEmail: false,
        expiresInDays: 1,
      });
      assert.equal(await statusOf('ivy@example.com'), 'pending');
      t.clock.advance(DAY + 1);
      owner = await checkedActor(t, owner.email); // tokens are minted on the test clock
      assert.equal(await statusOf('ivy@example.com'), 'expired');
    });

    it('checks who asks on every request: a kept page is never shown past the boundary', async () => {
      await list();
      const stranger = await checkedActor(t, 'stranger@example.com');
      assertProblem(await stranger.api.get(`/v1/organizations/${org}/invitations`), 404);
      const member = await checkedActor(t, 'member@example.com');
      await makeMember(owner, org, member, 'member');
      await list(); // kept after the member's accept
      assertProblem(await member.api.get(`/v1/organizations/${org}/invitations`), 403, 'forbidden');
      const admin = await checkedActor(t, 'admin@example.com');
      const adminId = await makeMember(owner, org, admin, 'admin');
      assert.equal((await list(admin)).body, (await list()).body);
      assert.equal((await owner.api.delete(`/v1/organizations/${org}/members/${adminId}`)).statusCode, 204);
      assertProblem(await admin.api.get(`/v1/organizations/${org}/invitations`), 404);
    });
  });

  describe(`[${dialect}] admin invitation list: answered again from what was kept`, () => {
    // DECISIONS.md: SQLite keeps list versions (migration 0004), PostgreSQL keeps none
    const keeps = dialect === 'sqlite';
    let t: TestApp;
    before(async () => {
      t = await createTestApp(dialect);
    });
    after(() => t.close());

    it(`${keeps ? 'reuses' : 'never reuses'} an answered page while the list version stands`, async () => {
      const owner = await checkedActor(t, 'owner@example.com');
      const org = (await owner.api.post('/v1/organizations', { name: 'Acme Corp' })).json<{ id: string }>()
        .id;
      const inv = await invite(owner, org, 'pat@example.com', 'member', { sendEmail: false });
      const delivery = async () => {
        const res = await owner.api.get(`/v1/organizations/${org}/invitations`);
        assert.equal(res.statusCode, 200, res.body);
        return res.json<Row[]>().find((r) => r.id === inv.id)?.delivery.status;
      };
      assert.equal(await delivery(), 'none');
      // asked again: from now on the page is kept (a page is kept from its second request)
      assert.equal(await delivery(), 'none');
      // A write the list version does not count: on SQLite its trigger is dropped first, so only a
      // page read afresh can show it, and a kept one cannot.
      const other = createDb(t.config.database, { error: () => undefined });
      try {
        if (keeps) await sql`drop trigger invitations_list_version_update`.execute(other.kysely);
        await other.kysely
          .updateTable('invitations')
          .set({ delivery_status: 'failed' })
          .where('id', '=', inv.id)
          .execute();
      } finally {
        await other.close();
      }
      assert.equal(await delivery(), keeps ? 'none' : 'failed');
      // a write the version counts: the kept page goes
      await invite(owner, org, 'quinn@example.com', 'member', { sendEmail: false });
      assert.equal(await delivery(), 'failed');
    });
  });

  describe(`[${dialect}] admin invitation list: the outbox dispatcher's delivery shows`, () => {
    let m: MailApp;
    before(async () => {
      m = await createMailApp(dialect);
    });
    after(() => m.close());

    it('queued, then sent once the dispatcher has delivered it', async () => {
      const owner = client(m.app, await m.token('owner@example.com'));
      const org = (await owner.post('/v1/organizations', { name: 'Acme Corp' })).json<{ id: string }>().id;
      const listed = async () =>
        (await owner.get(`/v1/organizations/${org}/invitations`)).json<Row[]>()[0]?.delivery.status;
      const res = await owner.post(`/v1/organizations/${org}/invitations`, {
        email: 'pat@example.com',
        role: 'member',
      });
      assert.equal(res.statusCode, 201, res.body);
      await waitFor(async () => (await listed()) === 'sent', 'the list to show the delivery as sent');
    });
  });
}

describe('[sqlite] admin invitation list across two server processes on one database file', () => {
  let rt: Runtime;
  let servers: ServerProcess[] = [];
  before(async () => {
    ensureBuilt();
    const { url } = await freshDatabase('sqlite');
    const env = {
      DATABASE_URL: url,
      ADMIT_SECRET: TEST_SECRET,
      PUBLIC_URL: 'http://admit.test',
      ...LIMITS_OFF,
      LOG_LEVEL: 'warn',
      OUTBOX_POLL: '1h',
      // nothing listens there: the mail stays queued (retrying) until the revoke cancels it, so the
      // delivery status the other process shows does not depend on whether the dispatcher won a race
      SMTP_URL: 'smtp://127.0.0.1:9',
    };
    servers.push(await startServer(env, await freePort()));
    servers.push(await startServer(env, await freePort()));
    rt = await createRuntime(loadConfig(env), { migrate: false });
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    servers = [];
    await rt?.close();
  });

  it("one process's list shows what the other wrote", async () => {
    const [a, b] = servers;
    assert.ok(a && b && rt.issuer);
    const owner = await rt.issuer.sign({ email: 'owner@example.com', ttlSeconds: 600 });
    const call = async (base: string, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${owner}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: await res.text() };
    };
    const org = JSON.parse((await call(a.base, 'POST', '/v1/organizations', { name: 'Acme Corp' })).body).id;
    const path = `/v1/organizations/${org}/invitations`;
    const rowsOn = async (base: string) => {
      const res = await call(base, 'GET', path);
      assert.equal(res.status, 200, res.body);
      return JSON.parse(res.body) as Row[];
    };
    assert.deepEqual(await rowsOn(a.base), []);
    assert.deepEqual(await rowsOn(a.base), []);

    const created = await call(b.base, 'POST', path, { email: 'pat@example.com', role: 'member' });
    assert.equal(created.status, 201, created.body);
    const id = JSON.parse(created.body).id as string;
    assert.deepEqual(
      (await rowsOn(a.base)).map((r) => [r.email, r.status]),
      [['pat@example.com', 'pending']],
    );

    assert.equal((await call(b.base, 'DELETE', `${path}/${id}`)).status, 204);
    assert.deepEqual(
      (await rowsOn(a.base)).map((r) => [r.email, r.status, r.delivery.status]),
      [['pat@example.com', 'revoked', 'cancelled']],
    );
  });
});
