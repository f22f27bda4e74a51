// admin-list-cursor: pages deep in the large organization's list, by cursor — what an admin paging
// through (or a client exporting) the list asks — 100 rows each, through the admin API, never a kept
// answer. Unfiltered pages are kept while unchanged (SQLite, kept-list-pages.ts), each cursor its own
// key, from the second time a key is asked for; the requests go round the cursors of more pages than
// the store keeps (LIST_PAGES_KEPT, oldest evicted first), so each one reads its page afresh. With
// the default 2,000 pages a round is also longer than the keys the store remembers as asked once (4 ×
// LIST_PAGES_KEPT), so the pages are not kept either, as in a walk through the list or an export.
import { encodeCursor } from '../../src/modules/invitations/invitation.model.js';
import { LIST_PAGES_KEPT } from '../../src/modules/invitations/kept-list-pages.js';
import type { Scenario, World } from '../scenario.js';
import { seedOnce } from './admin-list.js';

const PAGE = 100;

/** A page starting at position `at` (0 = newest) of the large organization's list, and its cursor. */
interface DeepPage {
  at: number;
  cursor: string;
}

/** At most this many distinct pages, evenly spread (a 1,000,000-row list has ~500,000 to choose from). */
const MAX_PAGES = 2_000;

/**
 * Pages starting in the back half of the list (more than are kept even at the smoke test's 2,000
 * rows), each with the cursor of the row just before it, read from the database.
 */
async function deepPages(world: World): Promise<DeepPage[]> {
  const count = world.opts.bigOrg;
  const from = Math.floor(count / 2);
  const last = count - PAGE;
  const step = Math.max(1, Math.floor((last - from + 1) / MAX_PAGES));
  const starts: number[] = [];
  for (let at = from; at <= last && starts.length < MAX_PAGES; at += step) starts.push(at);
  const domain = `${world.orgs.big.slice(0, 8)}.bench.example`;
  // the page starting at position `at` (0 = newest) follows bulk row count-at
  const emailOf = (at: number) => `bulk-${count - at}@${domain}`;
  const rows = await world.rt.db.kysely
    .selectFrom('invitations')
    .select(['email', 'created_at', 'id'])
    .where('organization_id', '=', world.orgs.big)
    .where(
      'email',
      'in',
      starts.map((at) => emailOf(at)),
    )
    .execute();
  const byEmail = new Map(rows.map((r) => [r.email, r]));
  const pages = starts.map((at) => {
    const r = byEmail.get(emailOf(at));
    if (!r) throw new Error(`admin-list-cursor: no row ${emailOf(at)}`);
    return { at, cursor: encodeCursor({ createdAt: Number(r.created_at), id: r.id }) };
  });
  if (pages.length <= LIST_PAGES_KEPT) {
    throw new Error(
      `admin-list-cursor needs more than ${LIST_PAGES_KEPT} distinct pages (--big-org of at least ${2 * (LIST_PAGES_KEPT + PAGE + 1)})`,
    );
  }
  return pages;
}

export const adminListCursor: Scenario = {
  name: 'admin-list-cursor',
  seed: (world) => seedOnce(world, 'big'),
  load: async (world) => {
    const pages = await deepPages(world);
    let i = 0;
    return {
      next: (ctx) => {
        const p = pages[i++ % pages.length] as DeepPage;
        ctx.p = p;
        return {
          method: 'GET',
          path: `/v1/organizations/${world.orgs.big}/invitations?limit=${PAGE}&cursor=${p.cursor}`,
          headers: { authorization: `Bearer ${world.owner}` },
        };
      },
      expect: 200,
    };
  },
  check: (b, ctx, world) => {
    const list = b as { email?: string }[];
    const { at } = ctx.p as DeepPage;
    const count = world.opts.bigOrg;
    const domain = `${world.orgs.big.slice(0, 8)}.bench.example`;
    // bulk row i is the (count-1-i)th newest: the page starting at `at` begins with row count-1-at
    return (
      Array.isArray(list) &&
      list.length === PAGE &&
      list[0]?.email === `bulk-${count - 1 - at}@${domain}` &&
      list[PAGE - 1]?.email === `bulk-${count - at - PAGE}@${domain}`
    );
  },
};
