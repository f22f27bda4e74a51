import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertProblem, checkedActor, ISO, UUID_RE } from '../support/admin.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/db.js';
import { type Actor, makeMember } from '../support/fixtures.js';

// SPEC §4.1: organizations, members, workspaces and roles, success shapes exactly (every response is
// also checked against its OpenAPI schema by the checked client).

const keys = (o: object) => Object.keys(o).sort();

for (const dialect of dialects()) {
  describe(`[${dialect}] admin API: organizations, members, workspaces, roles`, () => {
    let t: TestApp;
    let alice: Actor;
    let bob: Actor;
    let org: string;
    before(async () => {
      t = await createTestApp(dialect);
      alice = await checkedActor(t, 'alice@example.com', { name: 'Alice' });
      bob = await checkedActor(t, 'bob@example.com', { name: 'Bob' });
    });
    after(() => t.close());

    it('creates an organization (201) and makes the creator its owner', async () => {
      const res = await alice.api.post('/v1/organizations', {
        name: 'Acme Corp',
        logoUrl: 'https://acme.test/l.png',
      });
      assert.equal(res.statusCode, 201, res.body);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      const body = res.json<{ id: string; name: string; logoUrl: string | null; createdAt: string }>();
      assert.deepEqual(keys(body), ['createdAt', 'id', 'logoUrl', 'name']);
      assert.match(body.id, UUID_RE);
      assert.equal(body.name, 'Acme Corp');
      assert.equal(body.logoUrl, 'https://acme.test/l.png');
      assert.match(body.createdAt, ISO);
      assert.equal(body.createdAt, new Date(t.clock.now()).toISOString());
      org = body.id;

      const members = await alice.api.get(`/v1/organizations/${org}/members`);
      assert.equal(members.statusCode, 200);
      const list = members.json<{ email: string; role: string }[]>();
      assert.equal(list.length, 1);
      assert.equal(list[0]?.email, 'alice@example.com');
      assert.equal(list[0]?.role, 'owner');
    });

    it('logoUrl defaults to null', async () => {
      const res = await bob.api.post('/v1/organizations', { name: 'Bob Co' });
      assert.equal(res.statusCode, 201);
      assert.equal(res.json().logoUrl, null);
    });

    it("lists only the caller's organizations", async () => {
      const mine = await alice.api.get('/v1/organizations');
      assert.equal(mine.statusCode, 200);
      const list = mine.json<{ id: string; name: string }[]>();
      assert.deepEqual(
        list.map((o) => o.name),
        ['Acme Corp'],
      );
      assert.deepEqual(keys(list[0] ?? {}), ['createdAt', 'id', 'logoUrl', 'name']);
      const bobs = await bob.api.get('/v1/organizations');
      assert.deepEqual(
        bobs.json<{ name: string }[]>().map((o) => o.name),
        ['Bob Co'],
      );
    });

    it('gets an organization with memberCount', async () => {
      const res = await alice.api.get(`/v1/organizations/${org}`);
      assert.equal(res.statusCode, 200);
      const body = res.json();
      assert.deepEqual(keys(body), ['createdAt', 'id', 'logoUrl', 'memberCount', 'name']);
      assert.equal(body.memberCount, 1);
      await makeMember(alice, org, bob);
      assert.equal((await alice.api.get(`/v1/organizations/${org}`)).json().memberCount, 2);
      assert.equal((await bob.api.get(`/v1/organizations/${org}`)).statusCode, 200, 'members may read it');
    });

    it('updates an organization (PATCH, 200 with memberCount); logoUrl may be cleared', async () => {
      const res = await alice.api.patch(`/v1/organizations/${org}`, { name: 'Acme Inc', logoUrl: null });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.deepEqual(keys(body), ['createdAt', 'id', 'logoUrl', 'memberCount', 'name']);
      assert.equal(body.name, 'Acme Inc');
      assert.equal(body.logoUrl, null);
      assert.equal(body.memberCount, 2);
      assert.equal((await alice.api.get(`/v1/organizations/${org}`)).json().name, 'Acme Inc');
      assertProblem(await alice.api.patch(`/v1/organizations/${org}`, {}), 400, 'validation_failed');
      assertProblem(
        await alice.api.patch(`/v1/organizations/${org}`, { logoUrl: 'javascript:alert(1)' }),
        400,
        'validation_failed',
      );
    });

    it('lists members as {userId, email, name, role, joinedAt}', async () => {
      const res = await alice.api.get(`/v1/organizations/${org}/members`);
      assert.equal(res.statusCode, 200);
      const list =
        res.json<{ userId: string; email: string; name: string; role: string; joinedAt: string }[]>();
      assert.equal(list.length, 2);
      for (const m of list) {
        assert.deepEqual(keys(m), ['email', 'joinedAt', 'name', 'role', 'userId']);
        assert.match(m.userId, UUID_RE);
        assert.match(m.joinedAt, ISO);
      }
      const b = list.find((m) => m.email === 'bob@example.com');
      assert.equal(b?.name, 'Bob');
      assert.equal(b?.role, 'member');
    });

    it("changes a member's role (200 member) and removes a member (204)", async () => {
      const list = (await alice.api.get(`/v1/organizations/${org}/members`)).json<
        { userId: string; email: string }[]
      >();
      const bobId = list.find((m) => m.email === 'bob@example.com')?.userId ?? '';
      const res = await alice.api.patch(`/v1/organizations/${org}/members/${bobId}`, { role: 'admin' });
      assert.equal(res.statusCode, 200, res.body);
      const m = res.json();
      assert.deepEqual(keys(m), ['email', 'joinedAt', 'name', 'role', 'userId']);
      assert.equal(m.role, 'admin');
      assert.equal(m.userId, bobId);
      assertProblem(
        await alice.api.patch(`/v1/organizations/${org}/members/${bobId}`, { role: 'nope' }),
        400,
        'unknown_role',
      );
      const del = await alice.api.delete(`/v1/organizations/${org}/members/${bobId}`);
      assert.equal(del.statusCode, 204);
      assert.equal(del.body, '');
      assertProblem(
        await alice.api.delete(`/v1/organizations/${org}/members/${bobId}`),
        404,
        'member_not_found',
      );
      assertProblem(await bob.api.get(`/v1/organizations/${org}`), 404, 'organization_not_found');
      assert.equal((await alice.api.get(`/v1/organizations/${org}`)).json().memberCount, 1);
    });

    it('creates and lists workspaces as {id, name}', async () => {
      const res = await alice.api.post(`/v1/organizations/${org}/workspaces`, { name: 'Main Workspace' });
      assert.equal(res.statusCode, 201, res.body);
      const ws = res.json();
      assert.deepEqual(keys(ws), ['id', 'name']);
      assert.match(String(ws.id), UUID_RE);
      assert.equal(ws.name, 'Main Workspace');
      await alice.api.post(`/v1/organizations/${org}/workspaces`, { name: 'Second' });
      const list = await alice.api.get(`/v1/organizations/${org}/workspaces`);
      assert.equal(list.statusCode, 200);
      assert.deepEqual(
        list
          .json<{ name: string }[]>()
          .map((w) => w.name)
          .sort(),
        ['Main Workspace', 'Second'],
      );
    });

    it('lists the built-in roles and creates, lists and updates a custom role', async () => {
      const res = await alice.api.get(`/v1/organizations/${org}/roles`);
      assert.equal(res.statusCode, 200);
      const roles = res.json<{ id: string; key: string; name: string; permissions: string[] }[]>();
      const byKey = Object.fromEntries(roles.map((r) => [r.key, r]));
      for (const r of roles) {
        assert.deepEqual(keys(r), ['id', 'key', 'name', 'permissions']);
        assert.match(r.id, UUID_RE);
      }
      assert.equal(byKey.owner?.name, 'Owner');
      assert.equal(byKey.owner?.permissions.length, 8);
      assert.equal(byKey.admin?.name, 'Admin');
      assert.deepEqual(byKey.admin?.permissions.includes('organization:delete'), false);
      assert.equal(byKey.admin?.permissions.length, 7);
      assert.deepEqual(byKey.member?.permissions, ['members:read']);

      const created = await alice.api.post(`/v1/organizations/${org}/roles`, {
        key: 'developer',
        name: 'Developer',
        permissions: ['invitations:read', 'members:read'],
      });
      assert.equal(created.statusCode, 201, created.body);
      const dev = created.json<{ id: string; key: string; name: string; permissions: string[] }>();
      assert.deepEqual(keys(dev), ['id', 'key', 'name', 'permissions']);
      assert.equal(dev.key, 'developer');
      assert.deepEqual([...dev.permissions].sort(), ['invitations:read', 'members:read']);
      assertProblem(
        await alice.api.post(`/v1/organizations/${org}/roles`, {
          key: 'developer',
          name: 'Dup',
          permissions: [],
        }),
        409,
        'role_exists',
      );
      assertProblem(
        await alice.api.post(`/v1/organizations/${org}/roles`, {
          key: 'x',
          name: 'X',
          permissions: ['nope:read'],
        }),
        400,
      );

      const updated = await alice.api.patch(`/v1/organizations/${org}/roles/${dev.id}`, {
        name: 'Engineer',
        permissions: ['invitations:read'],
      });
      assert.equal(updated.statusCode, 200, updated.body);
      assert.deepEqual(updated.json(), {
        id: dev.id,
        key: 'developer',
        name: 'Engineer',
        permissions: ['invitations:read'],
      });
      const listed = (await alice.api.get(`/v1/organizations/${org}/roles`)).json<
        { key: string; name: string }[]
      >();
      assert.equal(listed.find((r) => r.key === 'developer')?.name, 'Engineer');

      for (const key of ['owner', 'admin', 'member']) {
        assertProblem(
          await alice.api.patch(`/v1/organizations/${org}/roles/${byKey[key]?.id}`, { name: 'Renamed' }),
          409,
          'role_builtin',
        );
      }
      assertProblem(
        await alice.api.patch(`/v1/organizations/${org}/roles/00000000-0000-4000-8000-000000000000`, {
          name: 'X',
        }),
        404,
        'role_not_found',
      );
    });
  });
}
