import type { Executor } from '../../db/tx.js';

// Bounded deletes of what is past its use, for the retention sweep. Each call removes at most `limit`
// rows through its key (`… where key in (select key … limit n)`), so one call holds locks briefly and
// two sweeps at once only find less to do.

/** Outbox rows settled for good (sent, failed, cancelled) and created before `before`: mail and webhook deliveries. */
export async function deleteSettledOutbox(db: Executor, before: number, limit: number): Promise<number> {
  const ids = db
    .selectFrom('outbox')
    .select('id')
    .where('status', 'in', ['sent', 'failed', 'cancelled'])
    .where('created_at', '<', before)
    .limit(limit);
  return Number((await db.deleteFrom('outbox').where('id', 'in', ids).executeTakeFirst()).numDeletedRows);
}

/** Sign-in codes past their expiry (a used code is deleted when used). */
export async function deleteExpiredSignInCodes(db: Executor, now: number, limit: number): Promise<number> {
  const ids = db.selectFrom('oauth_sign_in_codes').select('uid').where('expires_at', '<=', now).limit(limit);
  return Number(
    (await db.deleteFrom('oauth_sign_in_codes').where('uid', 'in', ids).executeTakeFirst()).numDeletedRows,
  );
}

/** Invitation-page sessions past their expiry. */
export async function deleteExpiredWebSessions(db: Executor, now: number, limit: number): Promise<number> {
  const ids = db.selectFrom('web_sessions').select('id_hash').where('expires_at', '<=', now).limit(limit);
  return Number(
    (await db.deleteFrom('web_sessions').where('id_hash', 'in', ids).executeTakeFirst()).numDeletedRows,
  );
}

/** The OpenID provider's payloads (grants, codes, sessions, …) past their expiry. */
export async function deleteExpiredOAuthPayloads(db: Executor, now: number, limit: number): Promise<number> {
  const keys = db
    .selectFrom('oauth_payloads')
    .select(['model', 'id'])
    .where('expires_at', '<=', now)
    .limit(limit)
    .$asTuple('model', 'id');
  const result = await db
    .deleteFrom('oauth_payloads')
    .where((eb) => eb(eb.refTuple('model', 'id'), 'in', keys))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
