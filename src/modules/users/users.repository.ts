import type { Executor } from '../../db/tx.js';

export function findUserByIdentity(db: Executor, issuer: string, subject: string) {
  return db
    .selectFrom('users')
    .selectAll()
    .where('issuer', '=', issuer)
    .where('subject', '=', subject)
    .executeTakeFirst();
}

export async function insertUserIfAbsent(
  db: Executor,
  row: {
    id: string;
    issuer: string;
    subject: string;
    email: string | null;
    email_verified: number;
    name: string | null;
    picture: string | null;
    created_at: number;
  },
): Promise<void> {
  await db
    .insertInto('users')
    .values({ ...row, updated_at: row.created_at })
    .onConflict((oc) => oc.columns(['issuer', 'subject']).doNothing())
    .execute();
}

export async function updateUserProfile(
  db: Executor,
  id: string,
  fields: {
    email: string | null;
    email_verified: number;
    name: string | null;
    picture: string | null;
    updated_at: number;
  },
): Promise<void> {
  await db.updateTable('users').set(fields).where('id', '=', id).execute();
}
