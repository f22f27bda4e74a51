import { sql } from 'kysely';
import { precompiled, precompiledFirst, precompiledResult, type Reader } from '../../db/precompiled.js';
import type { DeliveryStatus, InvitationsTable, StoredInvitationStatus } from '../../db/schema.js';
import type { Executor } from '../../db/tx.js';
import { memberWithEmail } from '../organizations/organizations.repository.js';
import type { InvitationRow } from './invitation.model.js';

/** What identifies an invitation and its role: every read of one starts with these. */
export const CORE = [
  'i.id',
  'i.organization_id',
  'i.workspace_id',
  'i.email',
  'i.role_id',
  'r.key as role_key',
  'r.name as role_name',
] as const;

export const COLUMNS = [
  ...CORE,
  'i.inviter_id',
  'i.status',
  'i.created_at',
  'i.expire_at',
  'i.delivery_status',
  'i.delivery_attempts',
  'i.delivery_last_attempt_at',
  'i.delivery_last_error',
] as const;

function base(db: Executor) {
  return invitationColumns(db);
}

/** An invitation with its role, as every read of one selects it. */
export function invitationColumns(db: Executor) {
  return db.selectFrom('invitations as i').innerJoin('roles as r', 'r.id', 'i.role_id').select(COLUMNS);
}

export const findInvitation = precompiledFirst((db: Executor, organizationId: string, id: string) =>
  base(db).where('i.organization_id', '=', organizationId).where('i.id', '=', id),
);

export const findInvitationById = precompiledFirst((db: Executor, id: string) =>
  base(db).where('i.id', '=', id),
);

/**
 * The organization's invitation-list version (migration 0004), 0 before the first write; only where
 * `db.capabilities.keepsListVersions`, the table exists nowhere else. Read by kept-list-pages.ts.
 */
const listVersionQuery = precompiled((db: Executor, organizationId: string) =>
  db.selectFrom('invitation_list_versions').select('version').where('organization_id', '=', organizationId),
);

export async function invitationListVersion(db: Reader, organizationId: string): Promise<number> {
  return (await listVersionQuery(db, organizationId))[0]?.version ?? 0;
}

const insert = precompiledResult((db: Executor, row: InvitationsTable) =>
  db.insertInto('invitations').values(row),
);

export async function insertInvitation(db: Executor, row: InvitationsTable): Promise<void> {
  await insert(db, row);
}

/**
 * What stands in the way of a new invitation to this address, in one statement: the stored-pending
 * invitation, if any (at most one: partial unique index; it may have expired by time; the status is
 * a literal so SQLite can use that partial index), and a verified member with the address.
 */
export const findCreateConflicts = precompiledFirst((db: Executor, organizationId: string, email: string) => {
  const pending = db
    .selectFrom('invitations')
    .where('organization_id', '=', organizationId)
    .where('email', '=', email)
    .where('status', '=', sql.lit('pending'))
    .limit(sql.lit(1));
  return db.selectNoFrom(() => [
    pending.select('id').as('pending_id'),
    pending.select('expire_at').as('pending_expire_at'),
    memberWithEmail(db, organizationId, email).as('member_id'),
  ]);
});

/** What a transition's UPDATE returns: the invitation after it, but for its role (the caller knows it). */
const RETURNED = [
  'id',
  'organization_id',
  'workspace_id',
  'email',
  'role_id',
  'inviter_id',
  'status',
  'created_at',
  'expire_at',
  'delivery_status',
  'delivery_attempts',
  'delivery_last_attempt_at',
  'delivery_last_error',
] as const;

export type TransitionedRow = Omit<InvitationRow, 'role_key' | 'role_name'>;

/**
 * Conditional update: moves a stored-pending row to a terminal state; undefined means someone else
 * won. With `tokenHash` (a response by link) the row must still carry that token: a resend that
 * rotated it after the caller's read makes the old link lose. Without `requireUnexpired` (revoke) a
 * row the sweep stored as expired moves too, exactly like a time-expired pending one. The row after
 * the update comes back in the same statement (RETURNING), for the event.
 */
export async function transition(
  db: Executor,
  id: string,
  to: 'accepted' | 'declined' | 'revoked',
  actorId: string,
  now: number,
  opts: { requireUnexpired: boolean; tokenHash?: string },
): Promise<TransitionedRow | undefined> {
  if (opts.tokenHash !== undefined) {
    const run = byTokenTransitions[to];
    return (await run(db, id, actorId, now, opts.tokenHash)).rows[0];
  }
  const run = transitions[to][opts.requireUnexpired ? 'unexpired' : 'any'];
  return (await run(db, id, actorId, now, '')).rows[0];
}

function transitionQuery(to: 'accepted' | 'declined' | 'revoked', variant: 'unexpired' | 'any' | 'byToken') {
  const actor = { accepted: 'accepted_by', declined: 'declined_by', revoked: 'revoked_by' } as const;
  const at = { accepted: 'accepted_at', declined: 'declined_at', revoked: 'revoked_at' } as const;
  return precompiledResult((db: Executor, id: string, actorId: string, now: number, tokenHash: string) => {
    const q = db
      .updateTable('invitations')
      .set({
        status: to,
        [at[to]]: now,
        [actor[to]]: actorId,
        // a stored-expired row leaves `expired` (the terminal-columns check follows the status)
        expired_at: null,
        updated_at: now,
        // mail not out yet is cancelled with the link (cancelUndelivered): delivery says so
        delivery_status: sql<DeliveryStatus>`case when delivery_status in ('queued', 'retrying') then 'cancelled' else delivery_status end`,
      })
      .where('id', '=', id)
      .returning(RETURNED);
    // stored-expired (by the sweep or a later create) is an expired invitation like a time-expired one
    if (variant === 'any')
      return q.where('status', 'in', [
        sql.lit<StoredInvitationStatus>('pending'),
        sql.lit<StoredInvitationStatus>('expired'),
      ]);
    const unexpired = q
      .where('status', '=', sql.lit<StoredInvitationStatus>('pending'))
      .where('expire_at', '>', now);
    return variant === 'byToken' ? unexpired.where('token_hash', '=', tokenHash) : unexpired;
  });
}

const transitions = {
  accepted: { unexpired: transitionQuery('accepted', 'unexpired'), any: transitionQuery('accepted', 'any') },
  declined: { unexpired: transitionQuery('declined', 'unexpired'), any: transitionQuery('declined', 'any') },
  revoked: { unexpired: transitionQuery('revoked', 'unexpired'), any: transitionQuery('revoked', 'any') },
};
const byTokenTransitions = {
  accepted: transitionQuery('accepted', 'byToken'),
  declined: transitionQuery('declined', 'byToken'),
  revoked: transitionQuery('revoked', 'byToken'),
};

/**
 * Rotates the token and resets expiry and delivery of a stored-pending or stored-expired row (the
 * latter becomes pending again: a second pending one for the address then violates the partial
 * unique index, which the service answers 409 invitation_pending); false when terminal.
 */
export async function rotateToken(
  db: Executor,
  id: string,
  fields: { token_hash: string; expire_at: number; now: number; delivery_status: 'queued' | 'none' },
): Promise<boolean> {
  const result = await db
    .updateTable('invitations')
    .set({
      token_hash: fields.token_hash,
      expire_at: fields.expire_at,
      updated_at: fields.now,
      resent_at: fields.now,
      resend_count: sql<number>`resend_count + 1`,
      delivery_status: fields.delivery_status,
      delivery_attempts: 0,
      delivery_last_attempt_at: null,
      delivery_last_error: null,
      status: 'pending',
      expired_at: null,
    })
    .where('id', '=', id)
    .where('status', 'in', ['pending', 'expired'])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export const storedState = precompiledFirst((db: Executor, id: string) =>
  db.selectFrom('invitations').select(['status', 'expire_at', 'token_hash']).where('id', '=', id),
);
