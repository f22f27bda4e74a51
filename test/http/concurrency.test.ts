import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LIMITS_OFF } from '../../scripts/limits-off.js';
import { ensureBuilt, freePort } from '../../scripts/proc.js';
import { loadConfig } from '../../src/config.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { createTestApp, TEST_SECRET, type TestApp } from '../support/app.js';
import { dialects, freshDatabase, STRESS } from '../support/db.js';
import { type Actor, actor, invite, organization } from '../support/fixtures.js';
import { checkInvariants } from '../support/invariants.js';
import {
  codeOf,
  membershipsOf,
  userIdOf,
  workspace,
  workspaceMembershipsOf,
} from '../support/invitations.js';
import { type ServerProcess, startServer } from '../support/servers.js';

const PARALLEL = 50;
const ITERATIONS = STRESS ? 100 : 20;

function tally(statuses: number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const s of statuses) out[s] = (out[s] ?? 0) + 1;
  return out;
}

for (const dialect of dialects()) {
  describe(`[${dialect}] concurrent accepts and races (RELIABILITY-PLAN cases 36-38)`, () => {
    let t: TestApp;
    let alice: Actor;
    let org: string;
    let ws: string;
    before(async () => {
      t = await createTestApp(dialect);
      alice = await actor(t, 'alice@example.com', { name: 'Alice' });
      org = await organization(alice);
      ws = await workspace(alice, org);
    });
    after(() => t.close());

    it(`${PARALLEL} simultaneous accepts of one token: one 200, the rest 410 invitation_accepted, one membership`, async () => {
      const bob = await actor(t, 'bob@example.com');
      const inv = await invite(alice, org, bob.email, 'admin', { workspaceId: ws, sendEmail: false });
      const results = await Promise.all(
        Array.from({ length: PARALLEL }, () => bob.api.post(`/api/v1/invitations/${inv.token}/accept`)),
      );
      const statuses = results.map((r) => r.statusCode);
      assert.deepEqual(
        tally(statuses),
        { 200: 1, 410: PARALLEL - 1 },
        results.find((r) => r.statusCode >= 500)?.body,
      );
      for (const r of results) if (r.statusCode === 410) assert.equal(codeOf(r), 'invitation_accepted');
      const bobId = await userIdOf(t, bob.email);
      const members = (await membershipsOf(t, org)).filter((m) => m.user_id === bobId);
      assert.equal(members.length, 1);
      assert.equal(members[0]?.role, 'admin');
      assert.equal((await workspaceMembershipsOf(t, ws)).filter((w) => w.user_id === bobId).length, 1);
      await checkInvariants(t.rt.db.kysely);
    });

    it(`${PARALLEL} simultaneous POST /invitations/:id?accept=true: one 200, the rest 410`, async () => {
      const cy = await actor(t, 'cy@example.com');
      const inv = await invite(alice, org, cy.email, 'member', { sendEmail: false });
      const results = await Promise.all(
        Array.from({ length: PARALLEL }, () => cy.api.post(`/invitations/${inv.id}?accept=true`)),
      );
      assert.deepEqual(tally(results.map((r) => r.statusCode)), { 200: 1, 410: PARALLEL - 1 });
      await checkInvariants(t.rt.db.kysely);
    });

    it(`accept ∥ revoke, ${ITERATIONS} trials: exactly one wins, never a membership without accepted`, async () => {
      const seen = { accepted: 0, revoked: 0 };
      for (let i = 0; i < ITERATIONS; i++) {
        const who = await actor(t, `ar${i}@example.com`);
        const inv = await invite(alice, org, who.email, 'member', { sendEmail: false });
        const [acc, rev] = await Promise.all([
          who.api.post(`/api/v1/invitations/${inv.token}/accept`),
          alice.api.delete(`/api/v1/invitations/${inv.id}`),
        ]);
        const stored = await t.rt.db.kysely
          .selectFrom('invitations')
          .select('status')
          .where('id', '=', inv.id)
          .executeTakeFirstOrThrow();
        const hasMembership = (await membershipsOf(t, org)).some((m) => m.source_invitation_id === inv.id);
        if (acc.statusCode === 200) {
          assert.equal(rev.statusCode, 409, rev.body);
          assert.equal(stored.status, 'accepted');
          assert.ok(hasMembership);
          seen.accepted++;
        } else {
          assert.equal(acc.statusCode, 410, acc.body);
          assert.equal(codeOf(acc), 'invitation_revoked');
          assert.equal(rev.statusCode, 200, rev.body);
          assert.equal(rev.json().data.invitation.status, 'revoked');
          assert.equal(stored.status, 'revoked');
          assert.ok(!hasMembership);
          seen.revoked++;
        }
      }
      assert.equal(seen.accepted + seen.revoked, ITERATIONS);
      await checkInvariants(t.rt.db.kysely);
    });

    it(`accept ∥ decline, ${ITERATIONS} trials: exactly one terminal state`, async () => {
      for (let i = 0; i < ITERATIONS; i++) {
        const who = await actor(t, `ad${i}@example.com`);
        const inv = await invite(alice, org, who.email, 'member', { sendEmail: false });
        const [acc, dec] = await Promise.all([
          who.api.post(`/api/v1/invitations/${inv.token}/accept`),
          who.api.post(`/api/v1/invitations/${inv.token}/decline`),
        ]);
        const codes = [acc.statusCode, dec.statusCode].sort();
        assert.deepEqual(codes, [200, 410], `${acc.body} / ${dec.body}`);
        const stored = await t.rt.db.kysely
          .selectFrom('invitations')
          .select('status')
          .where('id', '=', inv.id)
          .executeTakeFirstOrThrow();
        assert.equal(stored.status, acc.statusCode === 200 ? 'accepted' : 'declined');
        assert.equal(
          codeOf(acc.statusCode === 200 ? dec : acc),
          acc.statusCode === 200 ? 'invitation_accepted' : 'invitation_declined',
        );
      }
      await checkInvariants(t.rt.db.kysely);
    });
  });
}

describe('[postgres] 50 accepts split across two server processes sharing the database', {
  skip: !process.env.TEST_DATABASE_URL && 'needs TEST_DATABASE_URL',
}, () => {
  let rt: Runtime;
  let servers: ServerProcess[] = [];
  before(async () => {
    ensureBuilt();
    const { url } = await freshDatabase('postgres');
    const env = {
      DATABASE_URL: url,
      ADMIT_SECRET: TEST_SECRET,
      PUBLIC_URL: 'http://admit.test',
      ...LIMITS_OFF,
      LOG_LEVEL: 'warn',
    };
    // the first process migrates; then the second joins the same schema
    servers.push(await startServer(env, await freePort()));
    servers.push(await startServer(env, await freePort()));
    rt = await createRuntime(loadConfig(env), { migrate: false });
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    servers = [];
    await rt?.close();
  });

  it('one 200, 49 × 410, one membership and one workspace membership', async () => {
    const [a, b] = servers;
    assert.ok(a && b);
    const issuer = rt.issuer;
    assert.ok(issuer);
    const owner = await issuer.sign({ email: 'owner@example.com', ttlSeconds: 600 });
    const invitee = await issuer.sign({ email: 'pat@example.com', ttlSeconds: 600 });
    const call = async (base: string, method: string, path: string, token: string, body?: unknown) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: await res.text() };
    };
    const org = JSON.parse(
      (await call(a.base, 'POST', '/v1/organizations', owner, { name: 'Acme Corp' })).body,
    ).id;
    const ws = JSON.parse(
      (await call(b.base, 'POST', `/v1/organizations/${org}/workspaces`, owner, { name: 'Main' })).body,
    ).id;
    const created = await call(a.base, 'POST', `/v1/organizations/${org}/invitations`, owner, {
      email: 'pat@example.com',
      role: 'admin',
      workspaceId: ws,
      sendEmail: false,
    });
    assert.equal(created.status, 201, created.body);
    const url: string = JSON.parse(created.body).url;
    const token = url.slice(url.lastIndexOf('/') + 1);

    const results = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) =>
        call(i % 2 === 0 ? a.base : b.base, 'POST', `/api/v1/invitations/${token}/accept`, invitee),
      ),
    );
    assert.deepEqual(
      tally(results.map((r) => r.status)),
      { 200: 1, 410: PARALLEL - 1 },
      results.find((r) => r.status >= 500)?.body,
    );
    for (const r of results)
      if (r.status === 410) assert.equal(JSON.parse(r.body).error.code, 'invitation_accepted');

    const k = rt.db.kysely;
    const members = await k
      .selectFrom('memberships')
      .selectAll()
      .where('organization_id', '=', org)
      .execute();
    assert.equal(members.length, 2, 'the owner and the invitee');
    assert.equal(members.filter((m) => m.source_invitation_id !== null).length, 1);
    const wsMembers = await k
      .selectFrom('workspace_memberships')
      .selectAll()
      .where('workspace_id', '=', ws)
      .execute();
    assert.equal(wsMembers.length, 1);
    await checkInvariants(k);
  });
});

for (const dialect of dialects()) {
  describe(`[${dialect}] two owners demoting or removing each other at once`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(dialect);
    });
    after(() => t.close());

    for (const action of ['demote', 'remove'] as const) {
      it(`${action}: one wins, the other is refused as the last owner; never ownerless`, async () => {
        for (let i = 0; i < ITERATIONS; i++) {
          const a = await actor(t, `a${i}-${action}@example.com`);
          const b = await actor(t, `b${i}-${action}@example.com`);
          const org = await organization(a, `Two owners ${i}`);
          const inv = await invite(a, org, b.email, 'owner', { sendEmail: false });
          assert.equal((await b.api.post(`/api/v1/invitations/${inv.token}/accept`)).statusCode, 200);
          const [idA, idB] = [await userIdOf(t, a.email), await userIdOf(t, b.email)];
          const hit = (who: Actor, target: string) =>
            action === 'demote'
              ? who.api.patch(`/v1/organizations/${org}/members/${target}`, { role: 'member' })
              : who.api.delete(`/v1/organizations/${org}/members/${target}`);
          const results = await Promise.all([hit(a, idB), hit(b, idA)]);
          const statuses = results.map((r) => r.statusCode).sort();
          // the loser is refused as the last owner (409), or, when the winner committed before the
          // loser's access check, as no longer holding members:write (403) or no longer a member (404)
          assert.equal(statuses[0], action === 'demote' ? 200 : 204, JSON.stringify(tally(statuses)));
          assert.ok([403, 404, 409].includes(statuses[1] ?? 0), JSON.stringify(tally(statuses)));
          const owners = (await membershipsOf(t, org)).filter((m) => m.role === 'owner');
          assert.equal(owners.length, 1, 'exactly one owner remains');
        }
      });
    }
  });
}
