import type { Db } from '../../db/create-db.js';
import { type Executor, inTransaction } from '../../db/tx.js';
import type { Clock } from '../../platform/clock.js';
import type { Ids } from '../../platform/ids.js';
import { deleteEventsBefore } from '../events/events.repository.js';
import { deleteExpiredKeys } from '../idempotency/idempotency.repository.js';
import { expireDue } from '../invitations/expiry.repository.js';
import { toInvitation } from '../invitations/invitation.model.js';
import { invitationEvent } from '../invitations/invitation-events.js';
import {
  deleteExpiredOAuthPayloads,
  deleteExpiredSignInCodes,
  deleteExpiredWebSessions,
  deleteSettledOutbox,
} from './retention.repository.js';

// The retention sweep (SPEC §10): one pass stores `expired` on time-expired pending invitations (each
// with its invitation.expired event, in the same transaction) and deletes what has outlived its use.
// Every step works in bounded batches, each its own short transaction, until a batch comes back short.
// Safe on any number of processes at once: the expiry is a conditional update (a row is stored and
// announced once), and a delete that finds its rows gone deletes nothing.

export const SWEEP_BATCH = 500;
/** a pass stops a step after this many batches, so one pass is bounded too; the next pass goes on */
const MAX_BATCHES = 100;

export interface SweepReport {
  invitationsExpired: number;
  outboxDeleted: number;
  eventsDeleted: number;
  signInCodesDeleted: number;
  webSessionsDeleted: number;
  idempotencyKeysDeleted: number;
  oauthPayloadsDeleted: number;
}

export function createSweepService(deps: {
  db: Db;
  clock: Clock;
  ids: Ids;
  eventRetentionMs: number;
  outboxRetentionMs: number;
  batch?: number;
}) {
  const { db, clock, ids } = deps;
  const batch = deps.batch ?? SWEEP_BATCH;

  async function repeat(step: (trx: Executor, now: number) => Promise<number>): Promise<number> {
    let total = 0;
    for (let i = 0; i < MAX_BATCHES; i++) {
      const now = clock.now();
      const n = await inTransaction(db, (trx) => step(trx, now));
      total += n;
      if (n < batch) break;
    }
    return total;
  }

  async function expireInvitations(trx: Executor, now: number): Promise<number> {
    const rows = await expireDue(trx, now, batch);
    for (const row of rows) {
      await invitationEvent(trx, ids, 'invitation.expired', null, toInvitation(row, now), now);
    }
    return rows.length;
  }

  return {
    /** One pass of every step; returns what it did. */
    async sweep(): Promise<SweepReport> {
      return {
        invitationsExpired: await repeat(expireInvitations),
        outboxDeleted: await repeat((trx, now) =>
          deleteSettledOutbox(trx, now - deps.outboxRetentionMs, batch),
        ),
        eventsDeleted: await repeat((trx, now) =>
          deleteEventsBefore(trx, now - deps.eventRetentionMs, batch),
        ),
        signInCodesDeleted: await repeat((trx, now) => deleteExpiredSignInCodes(trx, now, batch)),
        webSessionsDeleted: await repeat((trx, now) => deleteExpiredWebSessions(trx, now, batch)),
        idempotencyKeysDeleted: await repeat((trx, now) => deleteExpiredKeys(trx, now, batch)),
        oauthPayloadsDeleted: await repeat((trx, now) => deleteExpiredOAuthPayloads(trx, now, batch)),
      };
    },
  };
}

export type SweepService = ReturnType<typeof createSweepService>;
