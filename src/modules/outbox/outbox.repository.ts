import { type Insertable, sql } from 'kysely';
import { precompiled, precompiledResult } from '../../db/precompiled.js';
import type { OutboxStatus, OutboxTable } from '../../db/schema.js';
import { type Executor, notifyOnCommit } from '../../db/tx.js';

// The outbox table, and nothing else: services write intents (enqueue, cancel) inside their own
// transaction; the dispatcher (src/outbox/dispatcher.ts) claims, settles and releases rows. What the
// message says and the invitation's `delivery` columns are the invitations module's
// (invitations/delivery.repository.ts); the webhook deliveries' rows are webhook-deliveries.repository.ts's.
// This module imports no other module, so any module may call it.

/**
 * What every transaction that queues an outbox row notifies once it commits (db/tx.ts): the process's
 * dispatcher listens and wakes (src/outbox/outbox.ts), whichever service or transition queued it.
 */
export const OUTBOX_QUEUED = 'outbox_queued';

export const INVITATION_EMAIL = 'invitation_email';
/** a one-time sign-in code of the built-in provider (src/oauth/); belongs to no invitation */
export const SIGN_IN_CODE_EMAIL = 'sign_in_code_email';

const insertOutbox = precompiledResult((db: Executor, row: Insertable<OutboxTable>) =>
  db.insertInto('outbox').values(row),
);

export async function enqueueInvitationEmail(
  db: Executor,
  row: {
    id: string;
    invitationId: string;
    recipient: string;
    sealedToken: string;
    messageId: string;
    now: number;
  },
): Promise<void> {
  await insertOutbox(db, {
    id: row.id,
    invitation_id: row.invitationId,
    kind: INVITATION_EMAIL,
    recipient: row.recipient,
    status: 'queued',
    attempts: 0,
    next_attempt_at: row.now,
    lease_owner: null,
    lease_until: null,
    sealed_token: row.sealedToken,
    message_id: row.messageId,
    last_attempt_at: null,
    last_error: null,
    created_at: row.now,
    sent_at: null,
  });
  notifyOnCommit(db, OUTBOX_QUEUED);
}

/** A sign-in code mail, written in the transaction that stores the code's hash; the code itself sealed until sent. */
export async function enqueueSignInCodeEmail(
  db: Executor,
  row: { id: string; recipient: string; sealedCode: string; messageId: string; now: number },
): Promise<void> {
  await insertOutbox(db, {
    id: row.id,
    invitation_id: null,
    kind: SIGN_IN_CODE_EMAIL,
    recipient: row.recipient,
    status: 'queued',
    attempts: 0,
    next_attempt_at: row.now,
    lease_owner: null,
    lease_until: null,
    sealed_token: row.sealedCode,
    message_id: row.messageId,
    last_attempt_at: null,
    last_error: null,
    created_at: row.now,
    sent_at: null,
  });
  notifyOnCommit(db, OUTBOX_QUEUED);
}

/** The invitation's link died (revoked, resent, accepted, declined): undelivered mail for it is dropped and its token wiped. */
export async function cancelUndelivered(db: Executor, invitationId: string): Promise<void> {
  await cancel(db, invitationId);
}

const cancel = precompiledResult((db: Executor, invitationId: string) =>
  db
    .updateTable('outbox')
    .set({ status: 'cancelled', sealed_token: null, lease_owner: null, lease_until: null })
    .where('invitation_id', '=', invitationId)
    .where('status', 'in', ['queued', 'retrying', 'sending']),
);

// ---- the dispatcher's side: claim, look up, settle -------------------------------------------------

export interface ClaimedRow {
  id: string;
  /** null for a sign-in code */
  invitation_id: string | null;
  kind: string;
  created_at: number;
  recipient: string;
  attempts: number;
  sealed_token: string | null;
  message_id: string;
  lease_owner: string;
  /** kind `webhook`: the endpoint and the event */
  webhook_id: string | null;
  event_id: string | null;
}

/**
 * Ids of due rows, oldest first, at most `limit`: queued or retrying whose time has come, then
 * sending whose lease ran out (a dispatcher died). Each question is answered in the order of its
 * own partial index (migration 0002); the statuses are literals so the planner can use them.
 * PostgreSQL: FOR UPDATE SKIP LOCKED, so concurrent dispatchers take disjoint rows.
 */
export async function dueIds(db: Executor, now: number, limit: number, lock: boolean): Promise<string[]> {
  const waiting = lock ? waitingLocked : waitingRows;
  const ids = (await waiting(db, now, limit)).map((r) => r.id);
  if (ids.length < limit) {
    const expired = lock ? leaseExpiredLocked : leaseExpiredRows;
    for (const r of await expired(db, now, limit - ids.length)) ids.push(r.id);
  }
  return ids;
}

function waitingQuery(db: Executor, now: number, limit: number) {
  return db
    .selectFrom('outbox')
    .select('id')
    .where('status', 'in', [sql.lit<OutboxStatus>('queued'), sql.lit<OutboxStatus>('retrying')])
    .where('next_attempt_at', '<=', now)
    .orderBy('next_attempt_at')
    .limit(limit);
}

function leaseExpiredQuery(db: Executor, now: number, limit: number) {
  return db
    .selectFrom('outbox')
    .select('id')
    .where('status', '=', sql.lit<OutboxStatus>('sending'))
    .where('lease_until', '<=', now)
    .orderBy('lease_until')
    .limit(limit);
}

const waitingRows = precompiled(waitingQuery);
const waitingLocked = precompiled((db: Executor, now: number, limit: number) =>
  waitingQuery(db, now, limit).forUpdate().skipLocked(),
);
const leaseExpiredRows = precompiled(leaseExpiredQuery);
const leaseExpiredLocked = precompiled((db: Executor, now: number, limit: number) =>
  leaseExpiredQuery(db, now, limit).forUpdate().skipLocked(),
);

/**
 * Conditional claim of the given ids: the due condition is checked again in the UPDATE, so a row
 * claimed (or cancelled) by someone else since the SELECT is not taken.
 */
export function leaseRows(
  db: Executor,
  ids: string[],
  lease: { owner: string; until: number; now: number },
): Promise<ClaimedRow[]> {
  return db
    .updateTable('outbox')
    .set({ status: 'sending', lease_owner: lease.owner, lease_until: lease.until })
    .where('id', 'in', ids)
    .where((eb) =>
      eb.or([
        eb.and([eb('status', 'in', ['queued', 'retrying']), eb('next_attempt_at', '<=', lease.now)]),
        eb.and([eb('status', '=', 'sending'), eb('lease_until', '<=', lease.now)]),
      ]),
    )
    .returning([
      'id',
      'invitation_id',
      'kind',
      'created_at',
      'recipient',
      'attempts',
      'sealed_token',
      'message_id',
      'lease_owner',
      'webhook_id',
      'event_id',
    ])
    .execute() as Promise<ClaimedRow[]>;
}

/** `statusCode`: a webhook endpoint's HTTP answer, when there was one. */
export type Settlement =
  | { status: 'sent'; statusCode?: number }
  | { status: 'retrying'; nextAttemptAt: number; error: string; statusCode?: number }
  | { status: 'failed'; error: string; statusCode?: number }
  | { status: 'cancelled' };

/**
 * Settles one attempt, only while the row is still leased to this claim: a row cancelled meanwhile
 * (resend, revoke, accept) stays cancelled, and a row re-claimed after our lease expired belongs to
 * its new owner. Returns the new attempt count, or undefined when the row was no longer ours.
 */
export async function settle(
  db: Executor,
  row: { id: string; owner: string },
  now: number,
  outcome: Settlement,
): Promise<number | undefined> {
  const final = outcome.status !== 'retrying';
  const counted = outcome.status !== 'cancelled';
  const result = await db
    .updateTable('outbox')
    .set((eb) => ({
      status: outcome.status,
      attempts: counted ? eb('attempts', '+', 1) : eb.ref('attempts'),
      last_attempt_at: counted ? now : eb.ref('last_attempt_at'),
      last_error: outcome.status === 'retrying' || outcome.status === 'failed' ? outcome.error : null,
      next_attempt_at: outcome.status === 'retrying' ? outcome.nextAttemptAt : eb.ref('next_attempt_at'),
      sent_at: outcome.status === 'sent' ? now : null,
      last_status_code: 'statusCode' in outcome ? (outcome.statusCode ?? null) : eb.ref('last_status_code'),
      lease_owner: null,
      lease_until: null,
      // the token is needed only until the mail is out (or can never go out)
      ...(final ? { sealed_token: null } : {}),
    }))
    .where('id', '=', row.id)
    .where('status', '=', 'sending')
    .where('lease_owner', '=', row.owner)
    .returning('attempts')
    .executeTakeFirst();
  return result?.attempts;
}

/** Graceful shutdown: hands rows back that this dispatcher claimed but did not settle, due now. */
export async function releaseLeases(
  db: Executor,
  rows: { id: string; owner: string }[],
  now: number,
): Promise<number> {
  let released = 0;
  for (const row of rows) {
    const result = await db
      .updateTable('outbox')
      .set({
        status: sql<OutboxStatus>`case when attempts > 0 then 'retrying' else 'queued' end`,
        lease_owner: null,
        lease_until: null,
        next_attempt_at: now,
      })
      .where('id', '=', row.id)
      .where('status', '=', 'sending')
      .where('lease_owner', '=', row.owner)
      .executeTakeFirst();
    released += Number(result.numUpdatedRows);
  }
  return released;
}
