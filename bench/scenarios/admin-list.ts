// admin-list-*: the first page (100) of an organization's invitations through the admin API, for a
// large organization and a small one, unfiltered and with ?status=pending. Unfiltered pages are kept
// while unchanged (SQLite, DECISIONS.md), so the unfiltered scenarios measure a kept page checked
// against the list version; `?status=pending` (every row here is pending: the same 100 rows) is never
// kept and reads the database on every request.
import { sql } from 'kysely';
import { newPendingInvitation } from '../../src/modules/invitations/invitation.model.js';
import { newInvitationToken, sha256Hex } from '../../src/platform/crypto.js';
import { cryptoIds } from '../../src/platform/ids.js';
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
 * `count` pending invitations inserted in bulk on the same database, with the row shape the service
 * writes (random `inv_` token → SHA-256 token_hash, the organization's member role, the owner as
 * inviter, distinct created_at), because creating 100,000 over HTTP would take minutes. No outbox rows
 * (as with sendEmail:false).
 */
export async function seedBulk(world: World, organizationId: string, count: number): Promise<void> {
  const k = world.rt.db.kysely;
  const role = await k
    .selectFrom('roles')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('key', '=', 'member')
    .executeTakeFirstOrThrow();
  const now = Date.now();
  const BATCH = 500;
  for (let start = 0; start < count; start += 10 * BATCH) {
    await k.transaction().execute(async (trx) => {
      for (let b = start; b < Math.min(count, start + 10 * BATCH); b += BATCH) {
        const rows = [];
        for (let i = b; i < Math.min(count, b + BATCH); i++) {
          rows.push(
            newPendingInvitation({
              id: cryptoIds.uuid(),
              organization_id: organizationId,
              workspace_id: null,
              email: `bulk-${i}@${organizationId.slice(0, 8)}.bench.example`,
              role_id: role.id,
              inviter_id: world.ownerId,
              token_hash: sha256Hex(newInvitationToken()),
              created_at: now - (count - i) * 10,
              expire_at: now + 7 * 86_400_000,
              delivery_status: 'none',
            }),
          );
        }
        await trx.insertInto('invitations').values(rows).execute();
      }
    });
  }
  // What an operator does after a bulk load, and what autovacuum would do within a minute (it is off
  // on some machines): without statistics PostgreSQL guesses one row for (organization, status) and
  // sorted all 100,000 rows of the filtered list (8 req/s).
  if (world.rt.db.dialect === 'postgres') await sql`analyze invitations`.execute(k);
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
    seeding = seedBulk(world, world.orgs[size], count).then(() =>
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
