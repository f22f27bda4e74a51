import { precompiledFirst, precompiledResult } from '../../db/precompiled.js';
import type { UsersTable } from '../../db/schema.js';
import type { Executor } from '../../db/tx.js';

export const findUserByIdentity = precompiledFirst((db: Executor, issuer: string, subject: string) =>
  db.selectFrom('users').selectAll().where('issuer', '=', issuer).where('subject', '=', subject),
);

const insertIfAbsent = precompiledResult((db: Executor, row: UsersTable) =>
  db
    .insertInto('users')
    .values(row)
    .onConflict((oc) => oc.columns(['issuer', 'subject']).doNothing())
    .returningAll(),
);

/** Inserts the user unless (issuer, subject) exists; returns the row when this call inserted it. */
export async function insertUserIfAbsent(db: Executor, row: Omit<UsersTable, 'updated_at'>) {
  return (await insertIfAbsent(db, { ...row, updated_at: row.created_at })).rows[0];
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
