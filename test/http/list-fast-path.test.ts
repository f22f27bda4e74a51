import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { fixedTextRead } from '../../src/db/precompiled.js';
import { encodeCursor } from '../../src/modules/invitations/invitation.model.js';
import {
  type ListPageQuery,
  type ListView,
  listedPage,
  listPageSql,
} from '../../src/modules/invitations/invitation-lists.repository.js';
import { type CheckedRow, checkedPage } from '../../src/modules/invitations/list-page-order.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { dialects, STRESS } from '../support/db.js';
import { type Actor, actor, organization, tokenOf } from '../support/fixtures.js';

// The invitation lists are read as index ranges and rendered as JSON by the database
// (src/modules/invitations/invitation-lists.repository.ts). Here every page of every walk is compared,
// byte for byte, with what an independent rendering gives: each invitation as the single-invitation
// route answers it (objects mapped and serialized in JavaScript), filtered by its effective status,
// sorted newest first by (createdAt, id), cut into pages, each page's cursor the old encoding of its
// last item. Random filters, page sizes and callers; ties in createdAt, time-expired pending rows,
// accepted, declined and revoked rows, an email that needs escaping, and a caller in more
// organizations than the merged plan takes (MAX_RANGES).

type Item = Record<string, unknown> & { id: string; status: string; createdAt: string };
const STATUSES = [undefined, 'pending', 'accepted', 'declined', 'revoked', 'expired'] as const;
const DAY = 86_400_000;

/** Newest first: createdAt (ISO strings of one format sort as their instants), then id. */
const newestFirst = (a: Item, b: Item) =>
  a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1;

const cursorOf = (i: Item) => encodeCursor({ createdAt: Date.parse(i.createdAt), id: i.id });

/** /api/v1's item of an admin-API invitation in organization `org`. */
const listedOf = (org: string, i: Item) => ({
  id: i.id,
  email: i.email,
  role: i.role,
  status: i.status,
  organization_id: org,
  workspace_id: i.workspaceId,
  inviter_id: i.inviterId,
  created_at: i.createdAt,
  expires_at: i.expireAt,
});

for (const dialect of dialects()) {
  describe(`[${dialect}] invitation lists against an independent rendering`, () => {
    let t: TestApp;
    const who: Record<string, Actor> = {};
    /** organization → its owner's name and its invitations as GET answers them */
    const orgs = new Map<string, { owner: string; items: Item[] }>();
    /** caller → the organizations whose invitations the scoped list shows them (undefined: all) */
    const scopes: Record<string, string[] | undefined> = {};
    const ids = new Map<string, string[]>();

    const add = async (owner: string, org: string, email: string, extra: Record<string, unknown> = {}) => {
      const res = await who[owner]!.api.post(`/v1/organizations/${org}/invitations`, {
        email,
        role: 'member',
        sendEmail: false,
        ...extra,
      });
      if (res.statusCode !== 201) return undefined;
      const created = res.json<{ id: string; url: string }>();
      ids.get(org)!.push(created.id);
      return created;
    };

    before(async () => {
      t = await createTestApp(dialect);
      for (const name of ['alice', 'bob', 'carol', 'dave']) who[name] = await actor(t, `${name}@example.com`);
      who.root = await actor(t, 'root@example.com', { admin: true });
      const mk = async (owner: string, name: string) => {
        const id = await organization(who[owner]!, name);
        orgs.set(id, { owner, items: [] });
        ids.set(id, []);
        return id;
      };
      const [o1, o2, o3] = [await mk('alice', 'O1'), await mk('alice', 'O2'), await mk('alice', 'O3')];
      const o4 = await mk('carol', 'O4');
      // bob reads O1 and O2 (admin), not O3 (member): accepted invitations, by the public API
      for (const [org, role] of [
        [o1, 'admin'],
        [o2, 'admin'],
        [o3, 'member'],
      ] as const) {
        const inv = await add('alice', org, 'bob@example.com', { role });
        const res = await who.bob!.api.post(`/api/v1/invitations/${tokenOf(inv?.url ?? '')}/accept`);
        assert.equal(res.statusCode, 200, res.body);
      }
      let n = 0;
      for (let round = 0; round < 6; round++) {
        for (const org of [o1, o2, o3, o4]) {
          const owner = orgs.get(org)!.owner;
          // a tie in createdAt every other row; short-lived rows that will have expired
          const inv = await add(owner, org, `u${n++}@example.com`, n % 3 === 0 ? { expiresInDays: 1 } : {});
          if (n % 2 === 0) t.clock.advance(1 + (n % 5) * 250);
          if (inv && n % 7 === 0)
            await who[owner]!.api.delete(`/v1/organizations/${org}/invitations/${inv.id}`);
          if (inv && n % 11 === 0) {
            const invitee = await actor(t, `u${n - 1}@example.com`);
            const res = await invitee.api.post(`/api/v1/invitations/${tokenOf(inv.url)}/decline`);
            assert.equal(res.statusCode, 200, res.body);
          }
        }
      }
      // values JSON must escape, where the validator lets them in
      await add('alice', o1, "o'brien+x@example.com");
      await add('alice', o1, '"quoted\\\\back"@example.com');
      await add('alice', o2, 'zoë@example.com');
      // dave is in more organizations than the merged plan takes: one invitation in each
      const daves: string[] = [];
      for (let i = 0; i < 70; i++) {
        const org = await mk('dave', `D${i}`);
        daves.push(org);
        await add('dave', org, `d${i}@example.com`, i % 4 === 0 ? { expiresInDays: 1 } : {});
        if (i % 9 === 0) t.clock.advance(1);
      }
      t.clock.advance(1.5 * DAY);
      // new bearers: the first ones have expired with the clock
      for (const name of ['alice', 'bob', 'carol', 'dave']) who[name] = await actor(t, `${name}@example.com`);
      who.root = await actor(t, 'root@example.com', { admin: true });
      // the row expires by the clock for the lists and this GET alike
      for (const [org, o] of orgs) {
        for (const id of ids.get(org)!) {
          const res = await who[o.owner]!.api.get(`/v1/organizations/${org}/invitations/${id}`);
          assert.equal(res.statusCode, 200, res.body);
          o.items.push(res.json<Item>());
        }
      }
      scopes.alice = [o1, o2, o3];
      scopes.bob = [o1, o2];
      scopes.carol = [o4];
      scopes.dave = daves;
      scopes.root = undefined;
    });
    after(() => t.close());

    const filtered = (items: Item[], status: string | undefined) =>
      items.filter((i) => status === undefined || i.status === status).sort(newestFirst);

    it('has the rows it is meant to compare', () => {
      const all = [...orgs.values()].flatMap((o) => o.items.map((i) => i.status));
      for (const s of ['pending', 'accepted', 'declined', 'revoked', 'expired'])
        assert.ok(all.includes(s), s);
    });

    it('the admin list: every page, byte for byte, for any filter and page size', async () => {
      const orgIds = [...orgs.keys()].slice(0, 5);
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...orgIds),
          fc.constantFrom(...STATUSES),
          fc.integer({ min: 1, max: 9 }),
          async (org, status, limit) => {
            const { owner, items } = orgs.get(org)!;
            const expected = filtered(items, status);
            const q = new URLSearchParams({ limit: String(limit), ...(status ? { status } : {}) });
            let url: string | undefined = `/v1/organizations/${org}/invitations?${q}`;
            for (let at = 0; ; at += limit) {
              const res = await who[owner]!.api.get(url);
              assert.equal(res.statusCode, 200, res.body);
              const page = expected.slice(at, at + limit);
              assert.equal(res.body, JSON.stringify(page), url);
              const more = at + limit < expected.length;
              const link = res.headers.link as string | undefined;
              assert.equal(link !== undefined, more, url);
              if (!more) break;
              const next = new URL(/^<([^>]+)>/.exec(link ?? '')?.[1] ?? '');
              assert.equal(next.searchParams.get('cursor'), cursorOf(page[page.length - 1]!));
              url = next.pathname + next.search;
            }
          },
        ),
        { numRuns: STRESS ? 200 : 40 },
      );
    });

    it('the scoped list: every page, byte for byte, for any caller, filter and page size', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('alice', 'bob', 'carol', 'dave', 'root'),
          fc.constantFrom(...STATUSES),
          fc.integer({ min: 1, max: 40 }),
          async (name, status, limit) => {
            const scope = scopes[name];
            const visible = [...orgs].filter(([org]) => scope === undefined || scope.includes(org));
            const expected = filtered(
              visible.flatMap(([, o]) => o.items),
              status,
            );
            const orgOf = new Map(visible.flatMap(([org, o]) => o.items.map((i) => [i.id, org] as const)));
            let cursor: string | undefined;
            for (let at = 0; ; at += limit) {
              const q = new URLSearchParams({
                limit: String(limit),
                ...(status ? { status } : {}),
                ...(cursor ? { cursor } : {}),
              });
              const res = await who[name]!.api.get(`/api/v1/invitations?${q}`);
              assert.equal(res.statusCode, 200, res.body);
              const page = expected.slice(at, at + limit);
              const more = at + limit < expected.length;
              const body = {
                success: true,
                data: {
                  invitations: page.map((i) => listedOf(orgOf.get(i.id)!, i)),
                  next_cursor: more ? cursorOf(page[page.length - 1]!) : null,
                },
                message: 'Invitations retrieved successfully.',
              };
              assert.equal(res.body, JSON.stringify(body), `${name} ${q}`);
              if (!more) break;
              cursor = body.data.next_cursor ?? undefined;
            }
          },
        ),
        { numRuns: STRESS ? 200 : 30 },
      );
    });

    it('the ordered form, asked when a page cannot be shown in order, reads the same pages', async () => {
      const orgIds = [...orgs.keys()];
      await fc.assert(
        fc.asyncProperty(
          fc.subarray(orgIds, { minLength: 1 }),
          fc.constantFrom(...STATUSES),
          fc.integer({ min: 1, max: 9 }),
          fc.constantFrom<ListView>('admin', 'listed'),
          async (scope, status, limit, view) => {
            const q: ListPageQuery = {
              view,
              scope: { organizationIds: scope },
              ...(status ? { status } : {}),
              limit,
              now: t.clock.now(),
            };
            for (let pages = 0; ; pages++) {
              // the databases fold in arrival order (were it to change, pages stay right, only slower)
              const sql = listPageSql(q, t.rt.db.dialect, 'checked');
              const [row] = await fixedTextRead<CheckedRow>(t.rt.db.reads, sql.text, sql.parameters);
              assert.ok(row && checkedPage(row, limit), 'the checked form shows its order');
              const checked = await listedPage(t.rt.db.reads, q, 'checked');
              const ordered = await listedPage(t.rt.db.reads, q, 'ordered');
              assert.equal(checked.marked, ordered.marked);
              assert.deepEqual(checked.next, ordered.next);
              // the checked form's expiry also counts the look-ahead row's: never later
              if (checked.pendingUntil === null) assert.equal(ordered.pendingUntil, null);
              else assert.ok(ordered.pendingUntil === null || checked.pendingUntil <= ordered.pendingUntil);
              if (!checked.next) break;
              q.cursor = checked.next;
              assert.ok(pages < 100);
            }
          },
        ),
        { numRuns: STRESS ? 200 : 30 },
      );
    });
  });
}
