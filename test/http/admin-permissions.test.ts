import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertProblem, checkedActor } from '../support/admin.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/db.js';
import { type Actor, invite, makeMember } from '../support/fixtures.js';

// SPEC §2's permission table, through HTTP: each built-in role, a custom role (invitations:read only),
// a non-member and a system administrator × each operation. Plus demotion, role ceiling, last owner.

type Who = 'owner' | 'admin' | 'member' | 'reader' | 'stranger' | 'sysadmin';
const WHO: Who[] = ['owner', 'admin', 'member', 'reader', 'stranger', 'sysadmin'];

interface Call {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  body?: unknown;
}

for (const dialect of dialects()) {
  describe(`[${dialect}] SPEC §2 permission table`, () => {
    let t: TestApp;
    let org: string;
    const actors = {} as Record<Who, Actor>;
    let seq = 0;
    const uniq = () => `${++seq}`;

    before(async () => {
      t = await createTestApp(dialect);
      actors.owner = await checkedActor(t, 'owner@example.com', { name: 'Owner' });
      actors.admin = await checkedActor(t, 'admin@example.com');
      actors.member = await checkedActor(t, 'member@example.com');
      actors.reader = await checkedActor(t, 'reader@example.com');
      actors.stranger = await checkedActor(t, 'stranger@example.com');
      actors.sysadmin = await checkedActor(t, 'root@example.com', { admin: true });
      org = (await actors.owner.api.post('/v1/organizations', { name: 'Acme' })).json<{ id: string }>().id;
      const role = await actors.owner.api.post(`/v1/organizations/${org}/roles`, {
        key: 'reader',
        name: 'Reader',
        permissions: ['invitations:read'],
      });
      assert.equal(role.statusCode, 201, role.body);
      await makeMember(actors.owner, org, actors.admin, 'admin');
      await makeMember(actors.owner, org, actors.member, 'member');
      await makeMember(actors.owner, org, actors.reader, 'reader');
      // the stranger has their own organization, so they are a provisioned, active user
      await actors.stranger.api.post('/v1/organizations', { name: 'Elsewhere' });
    });
    after(() => t.close());

    const o = () => `/v1/organizations/${org}`;
    const freshInvitation = async () =>
      (await invite(actors.owner, org, `x${uniq()}@example.com`, 'member', { sendEmail: false })).id;
    const freshMember = async () =>
      makeMember(actors.owner, org, await checkedActor(t, `m${uniq()}@example.com`));
    const customRole = async () => {
      const res = await actors.owner.api.post(`${o()}/roles`, {
        key: `r${uniq()}`,
        name: 'R',
        permissions: [],
      });
      return res.json<{ id: string }>().id;
    };

    // expected statuses in WHO order: owner, admin, member, reader, stranger, sysadmin
    const table: [op: string, prepare: () => Promise<Call>, expected: number[]][] = [
      [
        'create organization',
        async () => ({ method: 'POST', url: '/v1/organizations', body: { name: 'New' } }),
        [201, 201, 201, 201, 201, 201],
      ],
      [
        'list my organizations',
        async () => ({ method: 'GET', url: '/v1/organizations' }),
        [200, 200, 200, 200, 200, 200],
      ],
      ['get organization', async () => ({ method: 'GET', url: o() }), [200, 200, 200, 200, 404, 200]],
      [
        'list workspaces',
        async () => ({ method: 'GET', url: `${o()}/workspaces` }),
        [200, 200, 200, 200, 404, 200],
      ],
      ['list roles', async () => ({ method: 'GET', url: `${o()}/roles` }), [200, 200, 200, 200, 404, 200]],
      [
        'update organization',
        async () => ({ method: 'PATCH', url: o(), body: { name: 'Acme' } }),
        [200, 200, 403, 403, 404, 200],
      ],
      [
        'create workspace',
        async () => ({ method: 'POST', url: `${o()}/workspaces`, body: { name: 'W' } }),
        [201, 201, 403, 403, 404, 201],
      ],
      [
        'create role',
        async () => ({
          method: 'POST',
          url: `${o()}/roles`,
          body: { key: `k${uniq()}`, name: 'K', permissions: [] },
        }),
        [201, 201, 403, 403, 404, 201],
      ],
      [
        'update role',
        async () => ({
          method: 'PATCH',
          url: `${o()}/roles/${await customRole()}`,
          body: { name: 'Renamed' },
        }),
        [200, 200, 403, 403, 404, 200],
      ],
      [
        'list members',
        async () => ({ method: 'GET', url: `${o()}/members` }),
        [200, 200, 200, 403, 404, 200],
      ],
      [
        "change a member's role",
        async () => ({
          method: 'PATCH',
          url: `${o()}/members/${await freshMember()}`,
          body: { role: 'member' },
        }),
        [200, 200, 403, 403, 404, 200],
      ],
      [
        'remove a member',
        async () => ({ method: 'DELETE', url: `${o()}/members/${await freshMember()}` }),
        [204, 204, 403, 403, 404, 204],
      ],
      [
        'list invitations',
        async () => ({ method: 'GET', url: `${o()}/invitations` }),
        [200, 200, 403, 200, 404, 200],
      ],
      [
        'get invitation',
        async () => ({ method: 'GET', url: `${o()}/invitations/${await freshInvitation()}` }),
        [200, 200, 403, 200, 404, 200],
      ],
      [
        'create invitation',
        async () => ({
          method: 'POST',
          url: `${o()}/invitations`,
          body: { email: `n${uniq()}@example.com`, role: 'member', sendEmail: false },
        }),
        [201, 201, 403, 403, 404, 201],
      ],
      [
        'resend invitation',
        async () => ({
          method: 'POST',
          url: `${o()}/invitations/${await freshInvitation()}/resend`,
          body: { sendEmail: false },
        }),
        [200, 200, 403, 403, 404, 200],
      ],
      [
        'revoke invitation',
        async () => ({ method: 'DELETE', url: `${o()}/invitations/${await freshInvitation()}` }),
        [204, 204, 403, 403, 404, 204],
      ],
    ];

    for (const [op, prepare, expected] of table) {
      for (const [i, who] of WHO.entries()) {
        const status = expected[i]!;
        it(`${op}: ${who} → ${status}`, async () => {
          const call = await prepare();
          const api = actors[who].api;
          const res =
            call.method === 'GET'
              ? await api.get(call.url)
              : call.method === 'DELETE'
                ? await api.delete(call.url)
                : call.method === 'PATCH'
                  ? await api.patch(call.url, call.body)
                  : await api.post(call.url, call.body);
          assert.equal(res.statusCode, status, res.body);
          if (status === 403) assertProblem(res, 403, 'forbidden');
          if (status === 404) assertProblem(res, 404, 'organization_not_found');
        });
      }
    }
  });

  describe(`[${dialect}] demotion, role ceiling and the last owner`, () => {
    let t: TestApp;
    let owner: Actor;
    let admin: Actor;
    let org: string;
    let ownerId: string;
    let adminId: string;
    const o = () => `/v1/organizations/${org}`;
    before(async () => {
      t = await createTestApp(dialect);
      owner = await checkedActor(t, 'owner@example.com');
      admin = await checkedActor(t, 'admin@example.com');
      org = (await owner.api.post('/v1/organizations', { name: 'Acme' })).json<{ id: string }>().id;
      adminId = await makeMember(owner, org, admin, 'admin');
      const members = (await owner.api.get(`${o()}/members`)).json<{ userId: string; role: string }[]>();
      ownerId = members.find((m) => m.role === 'owner')!.userId;
    });
    after(() => t.close());

    it('an admin cannot invite as owner, promote to owner, or demote or remove an owner', async () => {
      assertProblem(
        await admin.api.post(`${o()}/invitations`, { email: 'o2@example.com', role: 'owner' }),
        403,
        'role_ceiling',
      );
      const carl = await checkedActor(t, 'carl@example.com');
      const carlId = await makeMember(owner, org, carl);
      assertProblem(
        await admin.api.patch(`${o()}/members/${carlId}`, { role: 'owner' }),
        403,
        'role_ceiling',
      );
      assertProblem(
        await admin.api.patch(`${o()}/members/${ownerId}`, { role: 'member' }),
        403,
        'role_ceiling',
      );
      assertProblem(await admin.api.delete(`${o()}/members/${ownerId}`), 403, 'role_ceiling');
      // an admin may grant admin and member
      assert.equal((await admin.api.patch(`${o()}/members/${carlId}`, { role: 'admin' })).statusCode, 200);
      assert.equal((await admin.api.patch(`${o()}/members/${carlId}`, { role: 'member' })).statusCode, 200);
      // resending an owner invitation is granting owner again
      const ownerInvite = await invite(owner, org, 'future-owner@example.com', 'owner');
      assertProblem(await admin.api.post(`${o()}/invitations/${ownerInvite.id}/resend`), 403, 'role_ceiling');
      const members = (await owner.api.get(`${o()}/members`)).json<{ userId: string; role: string }[]>();
      assert.equal(members.find((m) => m.userId === ownerId)?.role, 'owner', 'the owner is unchanged');
    });

    it('custom roles are limited to the creator’s own permissions', async () => {
      assertProblem(
        await admin.api.post(`${o()}/roles`, {
          key: 'deleter',
          name: 'D',
          permissions: ['organization:delete'],
        }),
        403,
        'role_ceiling',
      );
      const ok = await admin.api.post(`${o()}/roles`, {
        key: 'inviter',
        name: 'Inviter',
        permissions: ['invitations:read', 'invitations:create'],
      });
      assert.equal(ok.statusCode, 201, ok.body);
      const roleId = ok.json<{ id: string }>().id;
      assertProblem(
        await admin.api.patch(`${o()}/roles/${roleId}`, { permissions: ['organization:delete'] }),
        403,
        'role_ceiling',
      );
      // a role writer holding only roles:write and invitations:read
      const rw = await owner.api.post(`${o()}/roles`, {
        key: 'rolewriter',
        name: 'RW',
        permissions: ['roles:write', 'invitations:read'],
      });
      assert.equal(rw.statusCode, 201);
      const dana = await checkedActor(t, 'dana@example.com');
      await makeMember(owner, org, dana, 'rolewriter');
      assertProblem(
        await dana.api.post(`${o()}/roles`, { key: 'w2', name: 'W', permissions: ['members:write'] }),
        403,
        'role_ceiling',
      );
      assert.equal(
        (await dana.api.post(`${o()}/roles`, { key: 'r2', name: 'R', permissions: ['invitations:read'] }))
          .statusCode,
        201,
      );
      // and cannot touch a role holding more than they do
      assertProblem(await dana.api.patch(`${o()}/roles/${roleId}`, { permissions: [] }), 403, 'role_ceiling');
      // a member with a custom role inviting with a role above theirs
      const inviterUser = await checkedActor(t, 'ivan@example.com');
      await makeMember(owner, org, inviterUser, 'inviter');
      assertProblem(
        await inviterUser.api.post(`${o()}/invitations`, { email: 'z@example.com', role: 'admin' }),
        403,
        'role_ceiling',
      );
      assert.equal(
        (await inviterUser.api.post(`${o()}/invitations`, { email: 'z@example.com', role: 'inviter' }))
          .statusCode,
        201,
      );
    });

    it('demotion takes effect at once', async () => {
      const eve = await checkedActor(t, 'eve@example.com');
      const eveId = await makeMember(owner, org, eve, 'admin');
      assert.equal(
        (await eve.api.post(`${o()}/invitations`, { email: 'e1@example.com', role: 'member' })).statusCode,
        201,
      );
      assert.equal((await owner.api.patch(`${o()}/members/${eveId}`, { role: 'member' })).statusCode, 200);
      assertProblem(
        await eve.api.post(`${o()}/invitations`, { email: 'e2@example.com', role: 'member' }),
        403,
        'forbidden',
      );
      assertProblem(await eve.api.get(`${o()}/invitations`), 403, 'forbidden');
      // removal takes effect at once too
      assert.equal((await owner.api.delete(`${o()}/members/${eveId}`)).statusCode, 204);
      assertProblem(await eve.api.get(o()), 404, 'organization_not_found');
    });

    it('the last owner can be neither demoted nor removed; with two owners one can be', async () => {
      assertProblem(await owner.api.patch(`${o()}/members/${ownerId}`, { role: 'admin' }), 409, 'last_owner');
      assertProblem(await owner.api.delete(`${o()}/members/${ownerId}`), 409, 'last_owner');
      const root = await checkedActor(t, 'root@example.com', { admin: true });
      assertProblem(await root.api.delete(`${o()}/members/${ownerId}`), 409, 'last_owner');
      // keeping the owner role is no demotion
      assert.equal((await owner.api.patch(`${o()}/members/${ownerId}`, { role: 'owner' })).statusCode, 200);

      assert.equal((await owner.api.patch(`${o()}/members/${adminId}`, { role: 'owner' })).statusCode, 200);
      const demoted = await owner.api.patch(`${o()}/members/${ownerId}`, { role: 'admin' });
      assert.equal(demoted.statusCode, 200, demoted.body);
      assert.equal(demoted.json().role, 'admin');
      // the former owner, now admin, cannot touch the remaining owner
      assertProblem(await owner.api.delete(`${o()}/members/${adminId}`), 403, 'role_ceiling');
      assertProblem(await admin.api.delete(`${o()}/members/${adminId}`), 409, 'last_owner');
      assertProblem(
        await admin.api.patch(`${o()}/members/${adminId}`, { role: 'member' }),
        409,
        'last_owner',
      );
      // with two owners again, one may leave
      assert.equal((await admin.api.patch(`${o()}/members/${ownerId}`, { role: 'owner' })).statusCode, 200);
      assert.equal((await admin.api.delete(`${o()}/members/${ownerId}`)).statusCode, 204);
      const members = (await admin.api.get(`${o()}/members`)).json<{ role: string }[]>();
      assert.equal(members.filter((m) => m.role === 'owner').length, 1);
    });
  });
}
