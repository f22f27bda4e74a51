import type { Insertable } from 'kysely';
import type { WebSessionsTable } from '../../db/schema.js';
import type { Executor } from '../../db/tx.js';

// One query per function; the service decides what a missing or expired row means.

export type WebSessionRow = WebSessionsTable;

export async function insertSession(db: Executor, row: Insertable<WebSessionsTable>): Promise<void> {
  await db.insertInto('web_sessions').values(row).execute();
}

export function findSession(db: Executor, idHash: string): Promise<WebSessionRow | undefined> {
  return db.selectFrom('web_sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
}

/** Deletes the session and answers what it held (its sealed refresh token), or undefined when absent. */
export function deleteSession(
  db: Executor,
  idHash: string,
): Promise<Pick<WebSessionRow, 'refresh_sealed'> | undefined> {
  return db
    .deleteFrom('web_sessions')
    .where('id_hash', '=', idHash)
    .returning('refresh_sealed')
    .executeTakeFirst();
}

/** Removes sessions whose lifetime is over (called when a new one starts, so the table stays small). */
export async function deleteExpiredSessions(db: Executor, now: number): Promise<void> {
  await db.deleteFrom('web_sessions').where('expires_at', '<=', now).execute();
}
