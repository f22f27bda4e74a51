// admin-list-*: the first page (100) of an organization's invitations through the admin API, for a
// large organization and a small one, unfiltered and with ?status=pending. Unfiltered pages are kept
// while unchanged (SQLite, DECISIONS.md), so the unfiltered scenarios measure a kept page checked
// against the list version; `?status=pending` (every row here is pending: the same 100 rows) is never
// kept and reads the database on every request.
import { afterBulk, bulkInvitations } from '../bulk.js';
import type { Scenario, World } from '../scenario.js';

/**
 * Each large organization's list and the small one's it is compared with (p99 within 1.5x: a page's
 * cost must not grow with the organization's size), with the query both are asked.
 */
export const ADMIN_PAIRS = [
  { big: 'admin-list-100k', small: 'admin-list-1k', query: '' },
  { big: 'admin-list-100k-filtered', small: 'admin-list-1k-filtered', query: '&status=pending' },
] as const;

/**
 * `count` pending invitations inserted in bulk on the same database (bench/bulk.ts: one INSERT …
 * SELECT, the row shape the service writes), because creating 100,000 over HTTP would take minutes.
 * No outbox rows (as with sendEmail:false). Row i (0 = oldest) is `bulk-i@<org's first 8>.bench.example`,
 * the newest created at `newest`, each 10 ms apart. Returns the oldest row's time. The caller runs
 * afterBulk once it has inserted all it inserts.
 */
export async function seedBulk(
  world: World,
  organizationId: string,
  count: number,
  newest = Date.now(),
): Promise<number> {
  const oldest = await bulkInvitations(world.rt, {
    organizationId,
    inviterId: world.ownerId,
    count,
    newest,
    domain: `${organizationId.slice(0, 8)}.bench.example`,
  });
  return oldest;
}

/** Each organization is bulk-seeded once per world, however many scenarios list it. */
const seeded = new WeakMap<World, Map<string, Promise<void>>>();

export function seedOnce(world: World, size: 'big' | 'small'): Promise<void> {
  const done = seeded.get(world) ?? new Map<string, Promise<void>>();
  seeded.set(world, done);
  const count = size === 'big' ? world.opts.bigOrg : world.opts.smallOrg;
  let seeding = done.get(size);
  if (!seeding) {
    const t = performance.now();
    seeding = seedBulk(world, world.orgs[size], count)
      .then(() => afterBulk(world.rt))
      .then(() =>
        world.opts.log(
          `  bulk-inserted ${count} invitations in ${((performance.now() - t) / 1000).toFixed(1)} s`,
        ),
      );
    done.set(size, seeding);
  }
  return seeding;
}

function adminList(name: string, size: 'big' | 'small', query: string): Scenario {
  const count = (world: World) => (size === 'big' ? world.opts.bigOrg : world.opts.smallOrg);
  return {
    name,
    seed: (world) => seedOnce(world, size),
    load: ({ orgs, owner }) => ({
      next: () => ({
        method: 'GET',
        path: `/v1/organizations/${orgs[size]}/invitations?limit=100${query}`,
        headers: { authorization: `Bearer ${owner}` },
      }),
      expect: 200,
    }),
    check: (b, _ctx, world) => {
      const list = b as { email?: string; status?: string }[];
      const orgId = world.orgs[size];
      return (
        Array.isArray(list) &&
        list.length === Math.min(100, count(world)) &&
        list[0]?.email === `bulk-${count(world) - 1}@${orgId.slice(0, 8)}.bench.example` &&
        list.every((x) => x.status === 'pending')
      );
    },
  };
}

/** In the table's order: each pair's large organization, then its small one. */
export const adminLists: Scenario[] = ADMIN_PAIRS.flatMap(({ big, small, query }) => [
  adminList(big, 'big', query),
  adminList(small, 'small', query),
]);
