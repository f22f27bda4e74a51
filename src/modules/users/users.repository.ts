import { precompiledFirst, precompiledResult } from '../../db/precompiled.js';
import type { UsersTable } from '../../db/schema.js';
import type { Executor } from '../../db/tx.js';

export const findUserByIdentity = precompiledFirst((db: Executor, issuer: string, subject: string) =>
  db.selectFrom('users').selectAll().where('issuer', '=', issuer).where('subject', '=', subject),
);

const PROFILE = ['email', 'email_verified', 'name', 'picture'] as const;

const upsert = precompiledResult((db: Executor, row: UsersTable) =>
  db
    .insertInto('users')
    .values(row)
    .onConflict((oc) =>
      oc
        .columns(['issuer', 'subject'])
        .doUpdateSet((eb) => ({
          email: eb.ref('excluded.email'),
          email_verified: eb.ref('excluded.email_verified'),
          name: eb.ref('excluded.name'),
          picture: eb.ref('excluded.picture'),
          updated_at: eb.ref('excluded.updated_at'),
        }))
        .where((eb) =>
          eb.or(PROFILE.map((c) => eb(`users.${c}`, 'is distinct from', eb.ref(`excluded.${c}`)))),
        ),
    )
    .returning('id'),
);

/**
 * One statement: inserts the user of (issuer, subject), or writes the profile of the one there when
 * it differs (its `updated_at` then `now`), or leaves an unchanged row alone. Returns the id when it
 * wrote a row; undefined when the row was there with this profile already (then nothing was written).
 */
export async function upsertUser(
  db: Executor,
  user: Omit<UsersTable, 'created_at' | 'updated_at'>,
  now: number,
): Promise<string | undefined> {
  return (await upsert(db, { ...user, created_at: now, updated_at: now })).rows[0]?.id;
}
