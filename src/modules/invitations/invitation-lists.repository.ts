import { type Dialect, dialectOf, fixedTextRead, type Reader, unbatched } from '../../db/precompiled.js';
import type { Cursor, EffectiveStatus } from './invitation.model.js';
import { itemJson, type ListView, Params } from './invitation-list-json.js';
import { type CheckedRow, checkedPage, type JsonPage, pageKeySql } from './list-page-order.js';

// The invitation list pages (the admin list, the cross-organization list), read so that each walks
// an index in page order and stops after limit + 1 rows, and rendered by the database: every row
// comes back as its JSON text, which the route passes through, instead of 15 columns parsed into
// values, mapped into objects and serialized again (BENCHMARKS.md 27).
//
// - One range (an organization or every row, one stored status or none): one statement walking
//   (organization_id, status, created_at, id), (organization_id, created_at, id) or (created_at, id).
// - Several ranges (the organizations of a caller, and `expired`, which is stored-expired rows plus
//   time-expired pending ones): the first limit + 1 keys of all the ranges, each read from its index,
//   then those rows. SQLite merges the ranges' index walks as they stream; PostgreSQL reads each
//   range's first limit + 1 keys and sorts those. Never a sort of everything. On PostgreSQL the
//   organizations are one array parameter (unnest, then a LATERAL range each), so the text does not
//   depend on their number.
// - More ranges than MAX_RANGES (a caller in very many organizations): the old plan, one filtered
//   statement sorted by the database.
//
// The JSON texts are the routes' response items field for field (same names, order and formats:
// timestamps as isoTime renders them, the derived `expired` status); test/http/list-fast-path.test.ts
// compares them with an independent rendering on both databases. The SQL texts depend only on the
// shape of the request (view, number of ranges, filter, cursor or not, and on SQLite the page size),
// never on its values, so the statement caches hold a bounded set.

export type { JsonPage, ListView };

export type ListScope = { all: true } | { organizationIds: readonly string[] };

export interface ListPageQuery {
  view: ListView;
  scope: ListScope;
  status?: EffectiveStatus;
  cursor?: Cursor;
  /** the page size (one row more is read, to look ahead) */
  limit: number;
  now: number;
}

/** Above this many ranges the page is one statement over all of them, sorted (the plan before). */
export const MAX_RANGES = 64;

/** The stored-status conditions a filter reads, one range each (an empty one: no condition). */
function statusArms(status: EffectiveStatus | undefined, p: Params): (() => string)[] {
  const now = () => p.now();
  switch (status) {
    case undefined:
      return [() => ''];
    case 'pending':
      return [() => ` and i.status = 'pending' and i.expire_at > ${now()}`];
    case 'expired':
      return [
        () => ` and i.status = 'expired'`,
        () => ` and i.status = 'pending' and i.expire_at <= ${now()}`,
      ];
    default:
      return [() => ` and i.status = '${status}'`];
  }
}

/** The rows to read, in page order, after the cursor, at most `limit` of them (a literal on SQLite). */
function tail(q: ListPageQuery, p: Params): { after: string; order: string; limit: string } {
  const after = q.cursor
    ? ` and (i.created_at, i.id) < (${p.add(q.cursor.createdAt)}, ${p.add(q.cursor.id)})`
    : '';
  const limit = p.dialect === 'sqlite' ? String(q.limit) : p.add(q.limit);
  return { after, order: ' order by i.created_at desc, i.id desc', limit: ` limit ${limit}` };
}

const FROM = ' from invitations i join roles r on r.id = i.role_id';
/**
 * The rows of the keys `k`, in k's order: stated, since PostgreSQL may hash-join them (the page is
 * folded in the order its rows arrive: listPageSql). SQLite walks k in order and sorts nothing.
 */
const FROM_KEYS =
  ' from k join invitations i on i.id = k.id join roles r on r.id = i.role_id order by k.created_at desc, k.id desc';

function columns(q: ListPageQuery, p: Params): string {
  const pending = `(case when i.status = 'pending' and i.expire_at > ${p.now()} then i.expire_at end)`;
  return `select i.created_at, i.id, ${pending} as pending_until, ${itemJson(q.view, p)} as body`;
}

/** The page's rows (the WITH clause apart, SQL wants it first), at most q.limit + 1 of them. */
function rowsSql(q: ListPageQuery, p: Params): { with: string; rows: string } {
  const read = { ...q, limit: q.limit + 1 };
  const orgs = 'all' in q.scope ? undefined : q.scope.organizationIds;
  const arms = statusArms(q.status, p);
  const ranges = (orgs?.length ?? 1) * arms.length;
  if (ranges === 1) {
    const cols = columns(q, p);
    const org = orgs ? ` and i.organization_id = ${p.add(orgs[0])}` : '';
    const arm = (arms[0] as () => string)();
    const t = tail(read, p);
    return { with: '', rows: `${cols}${FROM} where 1 = 1${org}${arm}${t.after}${t.order}${t.limit}` };
  }
  if (ranges > MAX_RANGES) {
    const cols = columns(q, p);
    const list =
      p.dialect === 'postgres'
        ? `= any(${p.add(orgs)}::text[])`
        : `in (select value from json_each(${p.add(JSON.stringify(orgs))}))`;
    const either = arms.map((a) => `(1 = 1${a()})`).join(' or ');
    const t = tail(read, p);
    return {
      with: '',
      rows: `${cols}${FROM} where i.organization_id ${list} and (${either})${t.after}${t.order}${t.limit}`,
    };
  }
  // each range's first keys (an index-only walk), the first of all of them, then those rows
  const keyArms: string[] = [];
  if (p.dialect === 'postgres' && orgs && orgs.length > 1) {
    // one text for any number of organizations (each text is a named statement on every connection)
    const lateral = arms.map((arm, n) => {
      const t = tail(read, p);
      return `select * from (select i.created_at, i.id from invitations i where i.organization_id = o.id${arm()}${t.after}${t.order}${t.limit}) as a${n}`;
    });
    return {
      with:
        `with k as (select k.created_at, k.id from unnest(${p.add(orgs)}::text[]) as o(id) ` +
        `cross join lateral (${lateral.join(' union all ')}) as k ` +
        `order by k.created_at desc, k.id desc limit ${p.add(read.limit)}) `,
      rows: `${columns(q, p)}${FROM_KEYS}`,
    };
  }
  for (const org of orgs ?? [undefined]) {
    for (const arm of arms) {
      const where = org === undefined ? '' : ` and i.organization_id = ${p.add(org)}`;
      const a = arm();
      const t = tail(read, p);
      const range = `select i.created_at, i.id from invitations i where 1 = 1${where}${a}${t.after}`;
      // SQLite: each arm bare, for the compound SELECT below; PostgreSQL: each range limited
      keyArms.push(
        p.dialect === 'sqlite' ? range : `select * from (${range}${t.order}${t.limit}) as a${keyArms.length}`,
      );
    }
  }
  const limit = p.dialect === 'sqlite' ? String(read.limit) : p.add(read.limit);
  if (p.dialect === 'sqlite') {
    // one compound SELECT, each arm a range of its index in page order, ordered and limited as a
    // whole: SQLite merges the arms as they stream (MERGE (UNION ALL)) and stops after limit + 1
    // keys. Each arm limited in a subquery of its own instead made it materialize and sort them all:
    // 10 organizations' keys took ~370 µs against ~45 µs merged (BENCHMARKS.md 41).
    return {
      with: `with k as (${keyArms.join(' union all ')} order by created_at desc, id desc limit ${limit}) `,
      rows: `${columns(q, p)}${FROM_KEYS}`,
    };
  }
  return {
    with:
      `with u as materialized (${keyArms.join(' union all ')}), ` +
      `k as (select created_at, id from u order by created_at desc, id desc limit ${limit}) `,
    rows: `${columns(q, p)}${FROM_KEYS}`,
  };
}

/**
 * The statement for one page of `q.limit` items, and its parameters: one row of the page's rows
 * (q.limit + 1 of them, the look-ahead row last) folded together.
 *
 * - `checked` (the one asked first): the items' JSON joined by commas, and each row's key (its
 *   created_at, 20 digits, and id) joined, both in the order the rows arrive, with no sort: the rows
 *   come from an ordered, limited subquery, and both databases fold them in that order, but neither
 *   promises it (SQLite: "arbitrary unless an ORDER BY argument is included"; PostgreSQL: "will
 *   usually work"). The keys are the proof: checkedPage uses the answer only if they descend. Sorting
 *   (the window and the ordered fold of `ordered`) was over a third of SQLite's statement.
 * - `ordered`: the same page with its order stated (row_number, and the fold ordered by it), the
 *   look-ahead row left out: for a page whose keys did not descend (never seen).
 */
export function listPageSql(
  q: ListPageQuery,
  dialect: Dialect,
  form: 'checked' | 'ordered' = 'checked',
): { text: string; parameters: unknown[] } {
  const p = new Params(dialect, q.now);
  const orgs = 'all' in q.scope ? undefined : q.scope.organizationIds;
  if (orgs && orgs.length === 0) {
    return {
      text: "select null as items, '' as keys, 0 as n, null as pending_until, null as last_created_at, null as last_id",
      parameters: [],
    };
  }
  const { with: w, rows } = rowsSql(q, p);
  const fold = dialect === 'postgres' ? 'string_agg' : 'group_concat';
  if (form === 'checked') {
    return {
      text:
        `${w}select ${fold}(body, ',') as items, ${fold}(${pageKeySql(dialect, 'created_at', 'id')}, '') as keys, ` +
        `count(*) as n, min(pending_until) as pending_until from (${rows}) as p`,
      parameters: p.values,
    };
  }
  const size = () => (dialect === 'sqlite' ? String(q.limit) : p.add(q.limit));
  return {
    text:
      `${w}select ${fold}(case when n <= ${size()} then body end, ',' order by n) as items, count(*) as n, ` +
      `min(case when n <= ${size()} then pending_until end) as pending_until, ` +
      `max(case when n = ${size()} then created_at end) as last_created_at, ` +
      `max(case when n = ${size()} then id end) as last_id ` +
      `from (select p.*, row_number() over (order by p.created_at desc, p.id desc) as n from (${rows}) as p) as w`,
    parameters: p.values,
  };
}

interface OrderedRow {
  items: string | null;
  n: number;
  pending_until: number | null;
  last_created_at: number | null;
  last_id: string | null;
}

/**
 * One keyset page of `q.limit` items, newest first, as JSON text: reads one row more, so a next
 * cursor (the last item's position) is given only when another row exists. The `checked` form first,
 * the `ordered` one when its order is not shown (or when asked for: the tests compare the two).
 */
export async function listedPage(
  db: Reader,
  q: ListPageQuery,
  form: 'checked' | 'ordered' = 'checked',
): Promise<JsonPage> {
  const dialect = dialectOf(unbatched(db));
  if (form === 'checked') {
    const checked = listPageSql(q, dialect, 'checked');
    const [row] = await fixedTextRead<CheckedRow>(db, checked.text, checked.parameters);
    const page = row ? checkedPage(row, q.limit) : null;
    if (page) return page;
  }
  const ordered = listPageSql(q, dialect, 'ordered');
  const [o] = await fixedTextRead<OrderedRow>(db, ordered.text, ordered.parameters);
  const more = o !== undefined && Number(o.n) > q.limit && o.last_id !== null;
  return {
    marked: o?.items ?? '',
    next: more ? { createdAt: Number(o.last_created_at), id: o.last_id as string } : null,
    pendingUntil: o?.pending_until ?? null,
  };
}
