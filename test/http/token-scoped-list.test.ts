import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/db.js';
import { type Actor, actor, invite, makeMember, organization } from '../support/fixtures.js';
import { adminView, codeOf, customRole } from '../support/invitations.js';

type Listed = {
  id: string;
  email: string;
  role: string;
  status: string;
  organization_id: string;
  workspace_id: string | null;
  inviter_id: string;
  created_at: string;
  expires_at: string;
};

async function listAll(who: Actor, query = ''): Promise<Listed[]> {
  const res = await who.api.get(`/api/v1/invitations${query}`);
  assert.equal(res.statusCode, 200, res.body);
  return res.json<{ data: { invitations: Listed[] } }>().data.invitations;
}

for (const dialect of dialects()) {
  describe(`[${dialect}] GET /api/v1/invitations (scoped) and DELETE /api/v1/invitations/:id`, () => {
    let t: TestApp;
    let ownerA: Actor;
    let ownerB: Actor;
    let orgA: string;
    let orgB: string;
    let sysadmin: Actor;
    let reader: Actor;
    let plain: Actor;
    let adminB: Actor;
    const idsA: string[] = [];
    const idsB: string[] = [];
    before(async () => {
      t = await createTestApp(dialect);
      ownerA = await actor(t, 'owner-a@example.com');
      ownerB = await actor(t, 'owner-b@example.com');
      sysadmin = await actor(t, 'root@example.com', { admin: true });
      orgA = await organization(ownerA, 'Org A');
      orgB = await organization(ownerB, 'Org B');
      await customRole(ownerA, orgA, 'auditor', 'Auditor', ['invitations:read']);
      reader = await actor(t, 'reader@example.com');
      plain = await actor(t, 'plain@example.com');
      adminB = await actor(t, 'admin-b@example.com');
      await makeMember(ownerA, orgA, reader, 'auditor');
      await makeMember(ownerA, orgA, plain, 'member');
      await makeMember(ownerB, orgB, adminB, 'admin');
      for (let i = 0; i < 5; i++) {
        idsA.push((await invite(ownerA, orgA, `a${i}@example.com`, 'member', { sendEmail: false })).id);
        t.clock.advance(1000);
        idsB.push((await invite(ownerB, orgB, `b${i}@example.com`, 'member', { sendEmail: false })).id);
        t.clock.advance(1000);
      }
    });
    after(() => t.close());

    it('lists with the documented item keys and the envelope', async () => {
      const res = await ownerA.api.get('/api/v1/invitations?status=pending');
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.equal(body.success, true);
      assert.equal(typeof body.message, 'string');
      assert.deepEqual(Object.keys(body.data).sort(), ['invitations', 'next_cursor']);
      assert.equal(body.data.next_cursor, null);
      const item = body.data.invitations[0] as Listed;
      assert.deepEqual(Object.keys(item).sort(), [
        'created_at',
        'email',
        'expires_at',
        'id',
        'inviter_id',
        'organization_id',
        'role',
        'status',
        'workspace_id',
      ]);
      assert.equal(item.id, idsA[4], 'newest first');
      assert.equal(item.role, 'member');
      assert.equal(item.status, 'pending');
      assert.ok(!res.body.includes('inv_'), 'no token in lists');
    });

    it('scopes: system admin all, org admin and custom role holder their org, plain member none, other admin theirs', async () => {
      const ids = (l: Listed[]) => new Set(l.map((i) => i.id));
      const pendingA = new Set(idsA);
      const pendingB = new Set(idsB);
      const sys = ids(await listAll(sysadmin, '?status=pending&limit=200'));
      for (const id of [...pendingA, ...pendingB])
        assert.ok(sys.has(id), 'system admin sees every organization');
      const a = await listAll(ownerA, '?limit=200');
      assert.ok(a.every((i) => i.organization_id === orgA));
      for (const id of pendingA) assert.ok(ids(a).has(id));
      const r = await listAll(reader, '?limit=200');
      assert.ok(
        r.length > 0 && r.every((i) => i.organization_id === orgA),
        'invitations:read holder sees org A',
      );
      assert.deepEqual(await listAll(plain), [], 'a plain member sees none');
      const b = await listAll(adminB, '?limit=200');
      assert.ok(b.length > 0 && b.every((i) => i.organization_id === orgB), 'admin of B sees only B');
      const outsider = await actor(t, 'nobody@example.com');
      assert.deepEqual(await listAll(outsider), []);
    });

    it('walks pages with next_cursor without gaps or repeats; rejects bad cursors and limits', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const q: string = `?status=pending&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const res = await sysadmin.api.get(`/api/v1/invitations${q}`);
        assert.equal(res.statusCode, 200, res.body);
        const data: { invitations: Listed[]; next_cursor: string | null } = res.json().data;
        assert.ok(data.invitations.length <= 2);
        seen.push(...data.invitations.map((i) => i.id));
        cursor = data.next_cursor;
        pages++;
      } while (cursor && pages < 50);
      const all = await listAll(sysadmin, '?status=pending&limit=200');
      assert.deepEqual(
        seen,
        all.map((i) => i.id),
      );
      assert.equal(new Set(seen).size, seen.length);
      for (const q of [
        '?cursor=%%%',
        '?cursor=bm9wZQ',
        '?limit=0',
        '?limit=201',
        '?limit=abc',
        '?status=zzz',
      ]) {
        const res = await sysadmin.api.get(`/api/v1/invitations${q}`);
        assert.equal(res.statusCode, 400, `${q}: ${res.body}`);
        assert.equal(res.json().success, false);
      }
    });

    it('needs a bearer (401 in the envelope)', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/invitations' });
      assert.equal(res.statusCode, 401);
      assert.match(String(res.headers['www-authenticate']), /^Bearer/);
      assert.equal(res.json().success, false);
    });

    it('revokes by id: 200 status revoked; 404 outside reach; 403 for a plain member; 409 when terminal', async () => {
      const target = idsA[0] ?? '';
      const outside = await adminB.api.delete(`/api/v1/invitations/${target}`);
      assert.equal(outside.statusCode, 404, outside.body);
      const unknown = await ownerA.api.delete(`/api/v1/invitations/${crypto.randomUUID()}`);
      assert.equal(unknown.statusCode, 404);
      // another organization's invitation and an unknown id answer the same body: existence is not revealed
      assert.deepEqual(outside.json(), unknown.json());
      const member = await plain.api.delete(`/api/v1/invitations/${target}`);
      assert.equal(member.statusCode, 403, member.body);
      const auditor = await reader.api.delete(`/api/v1/invitations/${target}`);
      assert.equal(auditor.statusCode, 403, 'invitations:read is not invitations:revoke');
      assert.equal((await adminView(ownerA, orgA, target)).status, 'pending');

      const res = await ownerA.api.delete(`/api/v1/invitations/${target}`);
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.equal(body.success, true);
      assert.equal(body.data.invitation.id, target);
      assert.equal(body.data.invitation.status, 'revoked');
      assert.equal((await adminView(ownerA, orgA, target)).status, 'revoked');
      const again = await ownerA.api.delete(`/api/v1/invitations/${target}`);
      assert.equal(again.statusCode, 409);
      assert.equal(codeOf(again), 'invitation_not_pending');
      // a system admin may revoke anywhere
      const sys = await sysadmin.api.delete(`/api/v1/invitations/${idsB[0]}`);
      assert.equal(sys.statusCode, 200, sys.body);
      const revokedList = await listAll(ownerA, '?status=revoked');
      assert.deepEqual(
        revokedList.map((i) => i.id),
        [target],
      );
    });
  });
}
