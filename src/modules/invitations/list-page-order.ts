import type { Dialect } from '../../db/precompiled.js';
import type { Cursor } from './invitation.model.js';
import { ITEM_START } from './invitation-list-json.js';

// A list page folded by the database in the order its rows arrived, and the check that the order was
// the page's (invitation-lists.repository.ts, listPageSql's `checked` form): each row's key, its
// created_at as 20 digits then its id, folded beside its JSON in the same pass. Keys of one width
// compare as text exactly as (created_at, id) compare, so the page is in order when they descend.

/** A page of items as JSON text. */
export interface JsonPage {
  /**
   * the items' JSON objects, comma-separated (empty for none), their times still marks (itemJson):
   * pageJson makes the answer of them
   */
  marked: string;
  next: Cursor | null;
  /**
   * no later than the first moment one of its pending items turns expired (the look-ahead row's
   * expiry counts too), null if none is pending
   */
  pendingUntil: number | null;
}

/** The `checked` statement's one row. */
export interface CheckedRow {
  items: string | null;
  keys: string | null;
  n: number | string;
  pending_until: number | null;
}

const TIME_DIGITS = 20;
/** The ids the service makes (UUIDs) have 36 characters; a page holding another id is not checked. */
const ID_LENGTH = 36;
const KEY = TIME_DIGITS + ID_LENGTH;

/** A row's key in SQL: its created_at zero-padded to 20 digits, then its id. */
export function pageKeySql(dialect: Dialect, createdAt: string, id: string): string {
  return dialect === 'postgres'
    ? `lpad(${createdAt}::text, ${TIME_DIGITS}, '0') || ${id}`
    : `printf('%0${TIME_DIGITS}d%s', ${createdAt}, ${id})`;
}

/**
 * The page of `limit` items the row holds, or null when it cannot be shown to be in page order (keys
 * not strictly descending, or not all of one width): the caller then asks for the ordered form. The
 * look-ahead row (the limit + 1st), when read, is the last item of the text and is cut off there.
 */
export function checkedPage(row: CheckedRow, limit: number): JsonPage | null {
  const n = Number(row.n);
  const keys = row.keys ?? '';
  const items = row.items ?? '';
  if (n === 0) return { marked: '', next: null, pendingUntil: null };
  if (n > limit + 1 || keys.length !== n * KEY) return null;
  let before = keys.slice(0, KEY);
  for (let i = 1; i < n; i++) {
    const key = keys.slice(i * KEY, (i + 1) * KEY);
    if (!(key < before)) return null;
    before = key;
  }
  if (n <= limit) return { marked: items, next: null, pendingUntil: row.pending_until };
  // every item starts `{"id":`, which only starts an item: inside a JSON string a quote is escaped
  const cut = items.lastIndexOf(`,${ITEM_START}`);
  if (cut <= 0) return null;
  const last = keys.slice((limit - 1) * KEY, limit * KEY);
  return {
    marked: items.slice(0, cut),
    next: { createdAt: Number(last.slice(0, TIME_DIGITS)), id: last.slice(TIME_DIGITS) },
    pendingUntil: row.pending_until,
  };
}
