import { sql } from 'kysely';
import { precompiled, precompiledFirst, type Reader, unbatched } from '../../db/precompiled.js';
import type { Executor } from '../../db/tx.js';
import { COLUMNS, CORE } from './invitations.repository.js';

// What people are shown about an invitation, read by its token (the public preview, the invitation
// page, accept and decline), by the invitee's address (seed 001) and for its email. Apart from the
// admin-side reads and the writes in invitations.repository.ts.

/** The joins behind what a token holder is shown: organization, workspace, role. */
function shownJoins(db: Executor) {
  return db
    .selectFrom('invitations as i')
    .innerJoin('roles as r', 'r.id', 'i.role_id')
    .innerJoin('organizations as o', 'o.id', 'i.organization_id')
    .leftJoin('workspaces as w', 'w.id', 'i.workspace_id');
}

/** ...and the inviter, whom the invitation page and the email name. */
function withFacts(db: Executor) {
  return shownJoins(db).innerJoin('users as u', 'u.id', 'i.inviter_id');
}

const SHOWN = [
  'o.name as organization_name',
  'o.logo_url as organization_logo_url',
  'w.name as workspace_name',
] as const;

const FACTS = [...SHOWN, 'u.name as inviter_name', 'u.email as inviter_email'] as const;

/** An invitation with what a person is shown about it: organization, workspace, role, inviter. */
export function invitationFacts(db: Executor) {
  return withFacts(db).select([...COLUMNS, ...FACTS]);
}

// By token, each caller reads only what it uses: every join is two more B-tree searches per lookup,
// and the public preview is the hottest read there is. No delivery or audit columns.
const TOKEN_STATE = [...CORE, 'i.status', 'i.expire_at'] as const;

/** What accept and decline need: the invitation, its state and its role. */
export const findTokenTarget = precompiledFirst((db: Executor, tokenHash: string) =>
  db
    .selectFrom('invitations as i')
    .innerJoin('roles as r', 'r.id', 'i.role_id')
    .select(TOKEN_STATE)
    .where('i.token_hash', '=', tokenHash),
);

/** What the public preview shows (seed 002): organization, workspace and role names. */
export const findTokenView = precompiledFirst((db: Executor, tokenHash: string) =>
  shownJoins(db)
    .select([...TOKEN_STATE, ...SHOWN])
    .where('i.token_hash', '=', tokenHash),
);

/** What the invitation page shows: the preview, the inviter with their avatar, and the member count. */
export const findTokenWebView = precompiledFirst((db: Executor, tokenHash: string) =>
  withFacts(db)
    .select([
      ...TOKEN_STATE,
      ...FACTS,
      'u.picture as inviter_picture',
      (eb) =>
        eb
          .selectFrom('memberships as m')
          .select((e) => e.fn.countAll<number>().as('n'))
          .whereRef('m.organization_id', '=', 'i.organization_id')
          .as('organization_member_count'),
    ])
    .where('i.token_hash', '=', tokenHash),
);

/** The invitee's pending, unexpired invitations with what the seed 001 view shows (one query, no N+1). */
function inviteeQuery(db: Executor, email: string, now: number) {
  return db
    .selectFrom('invitations as i')
    .innerJoin('organizations as o', 'o.id', 'i.organization_id')
    .innerJoin('users as u', 'u.id', 'i.inviter_id')
    .select([
      'i.id',
      'i.organization_id',
      'o.name as organization_name',
      'o.logo_url as organization_logo_url',
      (eb) =>
        eb
          .selectFrom('memberships as m')
          .select((e) => e.fn.countAll<number>().as('n'))
          .whereRef('m.organization_id', '=', 'i.organization_id')
          .as('organization_member_count'),
      // a display name: the inviter's name, else their email (as the invitation page shows)
      (eb) => eb.fn.coalesce('u.name', 'u.email').as('inviting_user_name'),
      'u.picture as inviting_user_avatar_url',
      'i.expire_at',
    ])
    .where('i.email', '=', email)
    .where('i.status', '=', sql.lit('pending'))
    .where('i.expire_at', '>', now);
}

// Constants as literals, not parameters: with `status = ?` or `limit ?` SQLite ran this query about
// three times slower (100 vs 34 us for three rows on the bench machine).
const INVITEE_LIMIT = sql.lit(200);

const inviteeList = precompiled((db: Executor, email: string, now: number) =>
  inviteeQuery(db, email, now).orderBy('i.created_at', 'desc').orderBy('i.id', 'desc').limit(INVITEE_LIMIT),
);

/** The invitee's pending, unexpired invitations with what the seed 001 view shows (one query, no N+1). */
export function listForInvitee(db: Reader, email: string, now: number, id?: string) {
  if (!id) return inviteeList(db, email, now);
  return inviteeQuery(unbatched(db), email, now)
    .where('i.id', '=', id)
    .orderBy('i.created_at', 'desc')
    .orderBy('i.id', 'desc')
    .limit(INVITEE_LIMIT)
    .execute();
}
