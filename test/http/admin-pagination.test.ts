import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkedActor } from '../support/admin.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/db.js';
import { type Actor, invite } from '../support/fixtures.js';

// Keyset pagination of GET /v1/organizations/:id/invitations: newest first by (createdAt, id), the next
// page in `Link: <…>; rel="next"` on PUBLIC_URL, every row exactly once even when rows share a timestamp.

const DAY = 86_400_000;
interface Row {
  id: string;
  status: string;
  createdAt: string;
}

for (const dialect of dialects()) {
  describe(`[${dialect}] invitation list pagination`, () => {
    let t: TestApp;
    let alice: Actor;
    let org: string;
    const all: string[] = [];
    const revoked: string[] = [];
    const shortLived: string[] = [];
    let n = 0;
    const add = async (extra: Record<string, unknown> = {}) => {
      const inv = await invite(alice, org, `p${++n}@example.com`, 'member', {
        sendEmail: false,
        ...extra,
      });
      all.push(inv.id);
      return inv.id;
    };

    before(async () => {
      t = await createTestApp(dialect);
      alice = await checkedActor(t, 'alice@example.com');
      org = (await alice.api.post('/v1/organizations', { name: 'Acme' })).json<{ id: string }>().id;
      await add();
      t.clock.advance(1000);
      shortLived.push(await add({ expiresInDays: 1 }));
      t.clock.advance(1000);
      // seven rows at one instant: only the id breaks the tie
      for (let i = 0; i < 7; i++) {
        const id = await add(i === 3 ? { expiresInDays: 1 } : {});
        if (i === 3) shortLived.push(id);
      }
      await alice.api.delete(`/v1/organizations/${org}/invitations/${all[all.length - 2]}`);
      revoked.push(all[all.length - 2]!);
      t.clock.advance(1);
      await add();
      t.clock.advance(60_000);
      await add();
      await add();
      await alice.api.delete(`/v1/organizations/${org}/invitations/${all[all.length - 1]}`);
      revoked.push(all[all.length - 1]!);
      await alice.api.delete(`/v1/organizations/${org}/invitations/${all[0]}`);
      revoked.push(all[0]!);
    });
    after(() => t.close());

    /** follows Link rel="next" from the first page; returns every row and the URLs visited */
    async function walk(query: string): Promise<{ rows: Row[]; urls: string[] }> {
      const rows: Row[] = [];
      const urls: string[] = [];
      let url: string | undefined = `/v1/organizations/${org}/invitations?${query}`;
      while (url) {
        urls.push(url);
        const res = await alice.api.get(url);
        assert.equal(res.statusCode, 200, res.body);
        const page = res.json<Row[]>();
        rows.push(...page);
        const link = res.headers.link as string | undefined;
        if (!link) break;
        const m = /^<([^>]+)>; rel="next"$/.exec(link);
        assert.ok(m, `Link header shape: ${link}`);
        const next = new URL(m[1]!);
        assert.equal(next.origin, 'http://admit.test', 'links are on PUBLIC_URL');
        url = next.pathname + next.search;
        assert.ok(urls.length < 50, 'pagination does not end');
      }
      return { rows, urls };
    }

    const newestFirst = (rows: Row[]) => {
      for (let i = 1; i < rows.length; i++) {
        const a = rows[i - 1]!;
        const b = rows[i]!;
        assert.ok(
          a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.id > b.id),
          'ordered by (createdAt, id) desc',
        );
      }
    };

    it('walks every row exactly once, newest first, with limit=2', async () => {
      const { rows, urls } = await walk('limit=2');
      assert.equal(rows.length, all.length);
      assert.equal(new Set(rows.map((r) => r.id)).size, all.length, 'no row twice');
      assert.deepEqual(new Set(rows.map((r) => r.id)), new Set(all), 'no row skipped');
      newestFirst(rows);
      assert.equal(urls.length, Math.ceil(all.length / 2));
      for (const u of urls.slice(1)) assert.match(u, /limit=2/);
    });

    it('walks with every limit from 1 to the total', async () => {
      for (let limit = 1; limit <= all.length; limit++) {
        const { rows } = await walk(`limit=${limit}`);
        assert.deepEqual(
          rows.map((r) => r.id),
          (await walk(`limit=${all.length}`)).rows.map((r) => r.id),
          `limit=${limit}`,
        );
      }
    });

    it('keeps the status filter across pages', async () => {
      const { rows, urls } = await walk('status=revoked&limit=1');
      assert.deepEqual(new Set(rows.map((r) => r.id)), new Set(revoked));
      assert.equal(rows.length, revoked.length);
      for (const r of rows) assert.equal(r.status, 'revoked');
      for (const u of urls.slice(1)) assert.match(u, /status=revoked/);
      newestFirst(rows);
    });

    it('?status=pending excludes time-expired rows, ?status=expired includes them', async () => {
      const pendingBefore = (await walk('status=pending&limit=3')).rows.map((r) => r.id);
      assert.equal(pendingBefore.length, all.length - revoked.length);
      t.clock.advance(DAY);
      alice = await checkedActor(t, 'alice@example.com');
      const pending = (await walk('status=pending&limit=3')).rows;
      const expired = (await walk('status=expired&limit=3')).rows;
      const expectedExpired = shortLived;
      assert.equal(expectedExpired.length, 2);
      assert.deepEqual(new Set(expired.map((r) => r.id)), new Set(expectedExpired));
      for (const r of expired) assert.equal(r.status, 'expired');
      assert.ok(!pending.some((r) => expectedExpired.includes(r.id)));
      assert.equal(pending.length + expired.length, pendingBefore.length);
      for (const r of pending) assert.equal(r.status, 'pending');
    });

    it('the last page has no Link header; an empty list is []', async () => {
      const res = await alice.api.get(`/v1/organizations/${org}/invitations?limit=200`);
      assert.equal(res.headers.link, undefined);
      const other = (await alice.api.post('/v1/organizations', { name: 'Empty' })).json<{ id: string }>().id;
      const empty = await alice.api.get(`/v1/organizations/${other}/invitations`);
      assert.equal(empty.statusCode, 200);
      assert.deepEqual(empty.json(), []);
      assert.equal(empty.headers.link, undefined);
    });
  });
}
