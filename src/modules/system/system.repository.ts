import type { Executor } from '../../db/tx.js';

/** No user and no organization yet: nobody has used this database. */
export async function isEmptyDatabase(db: Executor): Promise<boolean> {
  const user = await db.selectFrom('users').select('id').limit(1).executeTakeFirst();
  if (user) return false;
  const organization = await db.selectFrom('organizations').select('id').limit(1).executeTakeFirst();
  return organization === undefined;
}
