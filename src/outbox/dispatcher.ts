import { randomUUID } from 'node:crypto';
import { batcher, type Outcome } from '../db/batcher.js';
import type { Db } from '../db/create-db.js';
import { inTransaction, together } from '../db/tx.js';
import { lockInvitations, recordDelivery } from '../modules/invitations/delivery.repository.js';
import {
  type ClaimedRow,
  dueIds,
  leaseRows,
  releaseLeases,
  type Settlement,
  settle,
} from '../modules/outbox/outbox.repository.js';
import { WEBHOOK } from '../modules/outbox/webhook-deliveries.repository.js';
import type { Clock } from '../platform/clock.js';
import type { Sealer } from '../platform/crypto.js';
import { canonicalEmail } from '../platform/email.js';
import type { Mailer } from '../platform/mailer.js';
import type { DeliveryMetrics } from '../platform/metrics.js';
import { messageFor } from './message.js';

// Turns committed outbox intents into deliveries (see README.md beside this file): claim due rows
// under a lease, unseal the token, render, send, settle. At-least-once with a stable Message-ID.

export interface DispatcherLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface DispatcherDeps {
  db: Db;
  clock: Clock;
  sealer: Sealer;
  mailer: Mailer;
  logger: DispatcherLogger;
  publicUrl: string;
  mailFrom: string;
  timings: {
    outboxBackoffBaseMs: number;
    outboxBackoffMaxMs: number;
    outboxLeaseMs: number;
    outboxPollMs: number;
  };
  /** the webhook channel (webhook.ts): one attempt of a `webhook` row; retryAt gives the backoff's time */
  webhook?: ((row: ClaimedRow, retryAt: () => number) => Promise<Settlement>) | undefined;
  /** sends in flight at once, so one stalled connection does not hold the others back */
  concurrency?: number;
  /** counts each settled attempt by outcome (METRICS=on) */
  deliveries?: DeliveryMetrics | undefined;
  /** injectable for tests; Math.random by default (jitter is not a secret) */
  random?: () => number;
}

export interface Dispatcher {
  /** starts the claim loop (idempotent) */
  start(): void;
  /** wake up now: a transaction that enqueued mail just committed */
  notify(): void;
  /**
   * Graceful stop: claims nothing more, waits up to graceMs for the sends in flight to settle, then
   * hands the leases of the unsettled ones back (due at once) so another process or the next start
   * sends them without waiting for the lease to run out.
   */
  stop(graceMs: number): Promise<void>;
  /** one claim-and-send pass, awaited (tests and tools); returns how many rows were claimed */
  runOnce(): Promise<number>;
  readonly inFlight: number;
}

/** Capped exponential backoff with full jitter: uniform in [0, min(cap, base·2^(attempts-1))]. */
export function backoffDelay(attempts: number, baseMs: number, capMs: number, random: () => number): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.max(0, Math.min(attempts - 1, 40)));
  return Math.floor(random() * exp);
}

const SETTLED: Outcome<void> = { ok: true, value: undefined };

export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const { db, clock, sealer, mailer, logger, timings } = deps;
  const concurrency = Math.max(1, deps.concurrency ?? 4);
  const random = deps.random ?? Math.random;
  const workerId = randomUUID();
  let batch = 0;

  const inFlight = new Map<string, { owner: string; done: Promise<void> }>();
  let running = false;
  let stopping = false;
  let loopDone: Promise<void> = Promise.resolve();
  let woken = false;
  let wake: (() => void) | undefined;

  function notify(): void {
    woken = true;
    wake?.();
  }

  function sleep(ms: number): Promise<void> {
    if (woken) {
      woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        woken = false;
        resolve();
      }
      wake = done;
    });
  }

  /** PostgreSQL: FOR UPDATE SKIP LOCKED so concurrent dispatchers take disjoint rows; SQLite: BEGIN IMMEDIATE serializes claims. */
  async function claim(limit: number): Promise<ClaimedRow[]> {
    const now = clock.now();
    const owner = `${workerId}:${++batch}`;
    return inTransaction(db, async (trx) => {
      const ids = await dueIds(trx, now, limit, db.dialect === 'postgres');
      if (ids.length === 0) return [];
      return leaseRows(trx, ids, { owner, until: now + timings.outboxLeaseMs, now });
    });
  }

  /**
   * Settles one attempt. Attempts that finish while a settle is waiting for the connection or
   * committing join the next group: one transaction settles them all (each row still conditional
   * on its own lease), instead of one fsync'd commit per row. The group is taken once the
   * connection is ours, so everything that finished meanwhile joins it. If a group's transaction
   * fails, every row in it stays leased and is retried after the lease (at-least-once, same
   * Message-ID).
   */
  const finish = batcher<{ row: ClaimedRow; outcome: Settlement }, void>({
    start: 'now',
    oneAtATime: true,
    run: (take) =>
      inTransaction(db, async (trx) => {
        const group = take();
        const now = clock.now();
        if (db.dialect === 'postgres')
          await lockInvitations(
            trx,
            group.flatMap((s) => (s.row.invitation_id ? [s.row.invitation_id] : [])),
          );
        // every row's settle, then every invitation's record of it: two round trips on PostgreSQL
        // for the group, the statements of each step handed over together
        const settled = await together(
          group.map(({ row, outcome }) => settle(trx, { id: row.id, owner: row.lease_owner }, now, outcome)),
        );
        await together(
          group.map(({ row, outcome }, i) => {
            const attempts = settled[i];
            // not ours any more (cancelled by a resend or revoke, or re-claimed after our lease ran out)
            if (attempts === undefined || outcome.status === 'cancelled' || !row.invitation_id)
              return undefined;
            return recordDelivery(trx, row.invitation_id, {
              status: outcome.status,
              attempts,
              at: now,
              error: outcome.status === 'sent' ? null : outcome.error,
            });
          }),
        );
        return group.map(() => SETTLED);
      }),
  });

  const retryAt = (row: ClaimedRow) => () =>
    clock.now() +
    backoffDelay(row.attempts + 1, timings.outboxBackoffBaseMs, timings.outboxBackoffMaxMs, random);

  async function deliver(row: ClaimedRow): Promise<Settlement> {
    if (row.kind === WEBHOOK) {
      return deps.webhook
        ? deps.webhook(row, retryAt(row))
        : { status: 'failed', error: 'no_webhook_channel' };
    }
    const message = await messageFor(row, { db, clock, sealer, publicUrl: deps.publicUrl });
    if ('status' in message) return message;
    // only the stored canonical address, re-checked before it reaches the mailer
    const to = canonicalEmail(row.recipient);
    if (!to.ok || to.email !== row.recipient) return { status: 'failed', error: 'invalid_recipient' };
    const result = await mailer.send({
      from: deps.mailFrom,
      to: to.email,
      messageId: row.message_id,
      ...message,
    });
    if (result.ok) return { status: 'sent' };
    if (result.permanent) return { status: 'failed', error: result.errorClass };
    return { status: 'retrying', nextAttemptAt: retryAt(row)(), error: result.errorClass };
  }

  async function processRow(row: ClaimedRow): Promise<void> {
    let outcome: Settlement;
    try {
      outcome = await deliver(row);
    } catch (err) {
      // a database hiccup before or during the send: the row stays leased and is retried after the lease
      logger.error({ err, outboxId: row.id }, 'outbox delivery failed before settling');
      return;
    }
    try {
      await finish({ row, outcome });
    } catch (err) {
      // the mail may be out but not marked: at-least-once, it goes again after the lease (same Message-ID)
      logger.error({ err, outboxId: row.id }, 'outbox settle failed; the row is retried after its lease');
      return;
    }
    deps.deliveries?.delivered(outcome.status);
    const log = outcome.status === 'sent' || outcome.status === 'cancelled' ? logger.info : logger.warn;
    log.call(
      logger,
      {
        outboxId: row.id,
        invitationId: row.invitation_id,
        status: outcome.status,
        error: 'error' in outcome ? outcome.error : undefined,
      },
      'outbox delivery',
    );
  }

  function track(row: ClaimedRow): Promise<void> {
    const done = processRow(row).finally(() => {
      inFlight.delete(row.id);
      notify();
    });
    inFlight.set(row.id, { owner: row.lease_owner, done });
    return done;
  }

  async function pass(): Promise<ClaimedRow[]> {
    const free = concurrency - inFlight.size;
    if (free <= 0) return [];
    const rows = await claim(free);
    for (const row of rows) void track(row);
    return rows;
  }

  async function loop(): Promise<void> {
    while (!stopping) {
      try {
        await pass();
      } catch (err) {
        logger.error({ err }, 'outbox claim failed');
      }
      if (stopping) break;
      await sleep(timings.outboxPollMs);
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      stopping = false;
      loopDone = loop();
    },
    notify,
    async runOnce() {
      const rows = await pass();
      await Promise.all(rows.map((r) => inFlight.get(r.id)?.done));
      return rows.length;
    },
    async stop(graceMs) {
      stopping = true;
      notify();
      await loopDone;
      running = false;
      const pending = [...inFlight.values()].map((f) => f.done);
      if (pending.length > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.allSettled(pending),
          new Promise((resolve) => {
            timer = setTimeout(resolve, graceMs);
          }),
        ]);
        clearTimeout(timer);
      }
      const left = [...inFlight.entries()].map(([id, f]) => ({ id, owner: f.owner }));
      if (left.length > 0) {
        const released = await releaseLeases(db.kysely, left, clock.now()).catch((err) => {
          logger.error({ err }, 'outbox lease release failed; rows are re-claimed after the lease');
          return 0;
        });
        logger.warn(
          { released, unsettled: left.length },
          'outbox stopped with sends in flight; leases released',
        );
      }
    },
    get inFlight() {
      return inFlight.size;
    },
  };
}
