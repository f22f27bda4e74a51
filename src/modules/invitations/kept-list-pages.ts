import type { Db } from '../../db/create-db.js';
import type { Clock } from '../../platform/clock.js';
import { requirePermission } from '../organizations/access.js';
import type { Principal } from '../users/principal.js';
import { type ListQuery, type PageOptions, pageOptions } from './invitation.model.js';
import { type JsonPage, listedPage } from './invitation-lists.repository.js';
import { invitationListVersion } from './invitations.repository.js';

// Kept list pages: the admin invitation list, answered again while unchanged. The whole mechanism
// lives here: which query a kept answer belongs to (`listPageKey`), when one may be kept, the check
// before it is answered again, and the bounded store. What it leans on, each in its own layer:
//
// - the database: triggers bump `invitation_list_versions.version` with every write that can change
//   an organization's list (migration 0004, whose header says why). Only some databases keep it;
//   `db.capabilities.keepsListVersions` says which, so nothing here asks what kind of database it is.
//   Where they keep none, every answer is read afresh and nothing is kept.
// - the read: `invitationListVersion` in invitations.repository.ts, one row by primary key.
// - the answer: whatever the caller's `render` makes of a page. The admin route keeps its serialized
//   body and headers (src/http/json-answer.ts, HTTP's side, which no module may import), so a reused
//   page skips the read: a 100-row page costs ~0.2 ms in SQLite even rendered by the database
//   (invitation-lists.repository.ts); checking its stamp, one small query (BENCHMARKS.md 18).
//
// The service hands out a store (`invitations.listPages()`), which the route makes once when it is
// registered; everything else a route does with it is one call to `answer`.

/** Answered pages kept per list (per process), each of at most 200 rows. */
export const LIST_PAGES_KEPT = 256;

/**
 * What a kept page was computed under: the organization's list version (read before the page) and
 * the first moment one of its pending items turns expired. While both hold, the page is unchanged.
 */
export interface ListStamp {
  version: number;
  until: number;
}

/**
 * The key of a list answer: the organization and the whole validated query, every field in a fixed
 * order. Built from the entire object rather than from named fields, so a field added to the query
 * later can never be left out of it (and answer a page asked with another value of that field).
 */
export function listPageKey(organizationId: string, query: object): string {
  return JSON.stringify([organizationId, canonical(query)]);
}

/** The value with every object's keys sorted, so equal queries serialize alike. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  const fields = value as Record<string, unknown>;
  const sorted: Record<string, unknown> = {};
  for (const name of Object.keys(fields).sort()) sorted[name] = canonical(fields[name]);
  return sorted;
}

/**
 * Answers kept by key with their stamps. Bounded: the oldest kept goes first. Stores only.
 *
 * A page is kept from the second time it is asked for (`admits`): the keys asked once are
 * remembered, at most four times as many as are kept, oldest forgotten first. So a walk through many
 * pages, each asked once (an admin paging deep, a client exporting the list), neither evicts the pages
 * asked again and again (every list's first page) nor pays for keeping what nobody asks again: the
 * list version's read before the page, and an answer held until evicted, which the collector then
 * has to find in the old generation (BENCHMARKS.md 61).
 */
export class KeptPages<A> {
  readonly #kept = new Map<string, { stamp: ListStamp; answer: A }>();
  readonly #askedOnce = new Set<string>();
  constructor(readonly limit: number) {}

  /** Whether a page read afresh under this key may be kept: held before, or asked once already. */
  admits(key: string): boolean {
    if (this.#kept.has(key) || this.#askedOnce.delete(key)) return true;
    if (this.#askedOnce.size >= 4 * this.limit)
      this.#askedOnce.delete(this.#askedOnce.values().next().value as string);
    this.#askedOnce.add(key);
    return false;
  }

  get(key: string): { stamp: ListStamp; answer: A } | undefined {
    return this.#kept.get(key);
  }

  /** Keeps the answer under its stamp; without one (not reusable) drops whatever was kept. */
  keep(key: string, stamp: ListStamp | null, answer: A): void {
    this.#kept.delete(key);
    if (stamp === null) return;
    if (this.#kept.size >= this.limit) this.#kept.delete(this.#kept.keys().next().value as string);
    this.#kept.set(key, { stamp, answer });
  }
}

/**
 * Makes the answer for a freshly read page (called only when no kept answer holds): its items are the
 * admin API's `Invitation` objects as JSON text, rendered by the database.
 */
export type RenderPage<A> = (page: JsonPage, opts: PageOptions) => A;

export interface KeptListPages<A> {
  /**
   * Needs invitations:read, checked on every call. The organization's invitations, newest first,
   * keyset-paginated, as `render` makes them: the kept answer for this query while the list is
   * unchanged, else a fresh page's (kept when it can be).
   */
  answer(principal: Principal, organizationId: string, query: ListQuery, render: RenderPage<A>): Promise<A>;
}

export function createKeptListPages<A>(
  deps: { db: Db; clock: Clock },
  limit = LIST_PAGES_KEPT,
): KeptListPages<A> {
  const { db, clock } = deps;
  // batched reads (src/db/README.md): every query here is precompiled
  const k = db.reads;
  const kept = new KeptPages<A>(limit);
  const versioned = db.capabilities.keepsListVersions;

  return {
    async answer(principal, organizationId, query, render) {
      // decoded first, as before this module: a bad cursor is 400 whoever asks
      const opts = pageOptions(query);
      await requirePermission(k, principal, organizationId, 'invitations:read');
      const key = listPageKey(organizationId, query);
      const held = kept.get(key);
      let checked: number | undefined;
      if (held && clock.now() < held.stamp.until) {
        checked = await invitationListVersion(k, organizationId);
        if (checked === held.stamp.version) return held.answer;
      }
      // `status=expired` gains rows as time passes, beyond what the page's own expiries tell, so
      // filtered pages are not kept; nor is a page asked for the first time (KeptPages.admits).
      // The version is read before the page (the one just checked will do): a write landing in
      // between leaves the stamp older than the page, never newer.
      const keepable = versioned && !opts.status && kept.admits(key);
      const version = keepable ? (checked ?? (await invitationListVersion(k, organizationId))) : undefined;
      const page = await listedPage(k, {
        view: 'admin',
        scope: { organizationIds: [organizationId] },
        ...opts,
        now: clock.now(),
      });
      const answer = render(page, opts);
      kept.keep(
        key,
        version === undefined ? null : { version, until: page.pendingUntil ?? Number.POSITIVE_INFINITY },
        answer,
      );
      return answer;
    },
  };
}
