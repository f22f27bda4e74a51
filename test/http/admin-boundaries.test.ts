import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertProblem, checkedActor } from '../support/admin.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/db.js';
import { type Actor, type Created, invite, makeMember } from '../support/fixtures.js';

// Organization boundaries (BOLA): org A's paths with org B's ids answer 404 and leave B's data alone,
// even for a caller who is owner of A and a plain member of B.

for (const dialect of dialects()) {
  describe(`[${dialect}] organization boundaries`, () => {
    let t: TestApp;
    let alice: Actor; // owner of A, member of B
    let bob: Actor; // owner of B
    let orgA: string;
    let orgB: string;
    let invB: Created;
    let memberB: string;
    let roleB: string;
    let workspaceB: string;
    let snapshot: string;

    const stateOfB = async () => {
      const [org, members, roles, workspaces, invitations, one] = await Promise.all(
        [
          `/v1/organizations/${orgB}`,
          `/v1/organizations/${orgB}/members`,
          `/v1/organizations/${orgB}/roles`,
          `/v1/organizations/${orgB}/workspaces`,
          `/v1/organizations/${orgB}/invitations`,
          `/v1/organizations/${orgB}/invitations/${invB.id}`,
        ].map(async (url) => {
          const res = await bob.api.get(url);
          assert.equal(res.statusCode, 200, res.body);
          return res.json();
        }),
      );
      return JSON.stringify({ org, members, roles, workspaces, invitations, one });
    };

    before(async () => {
      t = await createTestApp(dialect);
      alice = await checkedActor(t, 'alice@example.com');
      bob = await checkedActor(t, 'bob@example.com');
      orgA = (await alice.api.post('/v1/organizations', { name: 'A' })).json<{ id: string }>().id;
      orgB = (await bob.api.post('/v1/organizations', { name: 'B' })).json<{ id: string }>().id;
      await makeMember(bob, orgB, alice, 'member');
      memberB = await makeMember(bob, orgB, await checkedActor(t, 'carol@example.com'), 'member');
      roleB = (
        await bob.api.post(`/v1/organizations/${orgB}/roles`, { key: 'dev', name: 'Dev', permissions: [] })
      ).json<{ id: string }>().id;
      workspaceB = (await bob.api.post(`/v1/organizations/${orgB}/workspaces`, { name: 'WB' })).json<{
        id: string;
      }>().id;
      invB = await invite(bob, orgB, 'dave@example.com', 'member');
      snapshot = await stateOfB();
    });
    after(() => t.close());

    it("org A's paths with org B's ids answer 404", async () => {
      const a = `/v1/organizations/${orgA}`;
      const calls: [string, () => ReturnType<Actor['api']['get']>, string][] = [
        ['get invitation', () => alice.api.get(`${a}/invitations/${invB.id}`), 'invitation_not_found'],
        ['revoke invitation', () => alice.api.delete(`${a}/invitations/${invB.id}`), 'invitation_not_found'],
        [
          'resend invitation',
          () => alice.api.post(`${a}/invitations/${invB.id}/resend`),
          'invitation_not_found',
        ],
        [
          'change role',
          () => alice.api.patch(`${a}/members/${memberB}`, { role: 'admin' }),
          'member_not_found',
        ],
        ['remove member', () => alice.api.delete(`${a}/members/${memberB}`), 'member_not_found'],
        ['update role', () => alice.api.patch(`${a}/roles/${roleB}`, { name: 'Hacked' }), 'role_not_found'],
        ['get org B as A', () => alice.api.get(`/v1/organizations/${orgB}/invitations`), 'forbidden'],
      ];
      for (const [name, call, code] of calls) {
        const res = await call();
        if (code === 'forbidden') assertProblem(res, 403, code);
        else assertProblem(res, 404, code);
        assert.ok(!res.body.includes('dave@example.com'), `${name} leaked B's data`);
      }
      // B's role key is not a role of A; B's workspace is not a workspace of A
      assertProblem(
        await alice.api.post(`${a}/invitations`, { email: 'e@example.com', role: 'dev' }),
        400,
        'unknown_role',
      );
      assertProblem(
        await alice.api.post(`${a}/invitations`, {
          email: 'e@example.com',
          role: 'member',
          workspaceId: workspaceB,
        }),
        400,
        'unknown_workspace',
      );
    });

    it("a plain member of B cannot act on B's invitations, members or roles (403), a stranger gets 404", async () => {
      const b = `/v1/organizations/${orgB}`;
      assertProblem(await alice.api.delete(`${b}/invitations/${invB.id}`), 403, 'forbidden');
      assertProblem(await alice.api.post(`${b}/invitations/${invB.id}/resend`), 403, 'forbidden');
      assertProblem(await alice.api.delete(`${b}/members/${memberB}`), 403, 'forbidden');
      assertProblem(await alice.api.patch(`${b}/roles/${roleB}`, { name: 'X' }), 403, 'forbidden');
      const stranger = await checkedActor(t, 'stranger@example.com');
      for (const res of [
        await stranger.api.get(b),
        await stranger.api.get(`${b}/invitations/${invB.id}`),
        await stranger.api.delete(`${b}/invitations/${invB.id}`),
        await stranger.api.post(`${b}/invitations/${invB.id}/resend`),
        await stranger.api.patch(`${b}/members/${memberB}`, { role: 'admin' }),
        await stranger.api.delete(`${b}/members/${memberB}`),
        await stranger.api.patch(`${b}/roles/${roleB}`, { name: 'X' }),
        await stranger.api.get(`${b}/members`),
        await stranger.api.get(`${b}/workspaces`),
        await stranger.api.get(`${b}/roles`),
        await stranger.api.patch(b, { name: 'Owned' }),
      ]) {
        assertProblem(res, 404, 'organization_not_found');
      }
    });

    it("B's data is unchanged and its invitation link still works", async () => {
      assert.equal(await stateOfB(), snapshot);
      const preview = await bob.api.get(`/api/v1/invitations/${invB.token}`);
      assert.equal(preview.statusCode, 200);
      const ids = (await alice.api.get(`/v1/organizations/${orgA}/invitations`)).json<{ id: string }[]>();
      assert.ok(!ids.some((i) => i.id === invB.id), "A's list never shows B's invitations");
    });
  });
}
