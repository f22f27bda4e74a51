import type { Executor } from '../../db/tx.js';

// One row per (caller, method, path, key): see migration 0007. Every write is conditional, so two
// processes racing for one key agree on a single owner without a lock held across the request.

export type StoredKey = {
  request_hash: string;
  state: 'running' | 'done';
  locked_until: number;
  response_status: number | null;
  response_sealed: string | null;
  expires_at: number;
};

export async function findKey(db: Executor, id: string): Promise<StoredKey | undefined> {
  return db
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'state', 'locked_until', 'response_status', 'response_sealed', 'expires_at'])
    .where('id', '=', id)
    .executeTakeFirst();
}

/** Claims a key nobody holds; false when a row exists (the caller then reads it). */
export async function insertRunning(
  db: Executor,
  row: { id: string; request_hash: string; locked_until: number; created_at: number; expires_at: number },
): Promise<boolean> {
  const result = await db
    .insertInto('idempotency_keys')
    .values({ ...row, state: 'running', response_status: null, response_sealed: null })
    .onConflict((oc) => oc.column('id').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

/**
 * Takes over a row that is expired (any state) or whose running owner's lock has passed (the request
 * died with its process); false when someone else holds it.
 */
export async function takeOver(
  db: Executor,
  row: { id: string; request_hash: string; locked_until: number; created_at: number; expires_at: number },
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('idempotency_keys')
    .set({
      request_hash: row.request_hash,
      state: 'running',
      locked_until: row.locked_until,
      response_status: null,
      response_sealed: null,
      created_at: row.created_at,
      expires_at: row.expires_at,
    })
    .where('id', '=', row.id)
    .where((eb) =>
      eb.or([
        eb('expires_at', '<=', now),
        eb.and([eb('state', '=', 'running'), eb('locked_until', '<=', now)]),
      ]),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Stores the outcome; in the same transaction as the work it describes when that work commits. */
export async function storeOutcome(db: Executor, id: string, status: number, sealed: string): Promise<void> {
  await db
    .updateTable('idempotency_keys')
    .set({ state: 'done', response_status: status, response_sealed: sealed })
    .where('id', '=', id)
    .where('state', '=', 'running')
    .execute();
}

/** Forgets a running key whose request ended without an outcome worth keeping (400, 429, 5xx). */
export async function releaseKey(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('idempotency_keys').where('id', '=', id).where('state', '=', 'running').execute();
}

/** Deletes keys past their 24 h (the retention sweep); bounded per call. */
export async function deleteExpiredKeys(db: Executor, now: number, limit: number): Promise<number> {
  const ids = db.selectFrom('idempotency_keys').select('id').where('expires_at', '<=', now).limit(limit);
  const result = await db.deleteFrom('idempotency_keys').where('id', 'in', ids).executeTakeFirst();
  return Number(result.numDeletedRows);
}
