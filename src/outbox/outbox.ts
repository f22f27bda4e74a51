import type { Config } from '../config.js';
import type { Db } from '../db/create-db.js';
import { onCommit } from '../db/tx.js';
import { OUTBOX_QUEUED } from '../modules/outbox/outbox.repository.js';
import type { Clock } from '../platform/clock.js';
import type { Sealer } from '../platform/crypto.js';
import { type DevMailbox, devMailbox, type Mailer, smtpMailer } from '../platform/mailer.js';
import type { DeliveryMetrics } from '../platform/metrics.js';
import { createDispatcher, type Dispatcher, type DispatcherLogger } from './dispatcher.js';
import { type Resolve, webhookChannel } from './webhook.js';

// The email side of a process, for the composition (src/compose.ts) and `admit worker`: the mailer
// chosen by SMTP_URL (the dev mailbox without it) and the dispatcher. Every commit in this process
// that queued an outbox row (mail, a sign-in code, a webhook delivery: OUTBOX_QUEUED, db/tx.ts) wakes
// the dispatcher shortly after (wake()); rows queued by another process are picked up at the next
// poll (OUTBOX_POLL, 1 s by default). Knows no HTTP: the composition serves the dev mailbox.

export const DISPATCH_CONCURRENCY = 4;
export const WAKE_INTERVAL_MS = 250;

export interface Outbox {
  mailer: Mailer;
  /** the dev mailbox when there is no SMTP_URL (the composition serves it at /dev/mailbox on loopback) */
  mailbox: DevMailbox | undefined;
  dispatcher: Dispatcher;
  /**
   * Wakes the dispatcher, at most once per WAKE_INTERVAL_MS so a burst of invitations is claimed in
   * batches, not one claim transaction each. Called after every commit on the database that queued
   * an outbox row, from creation until close().
   */
  wake: () => void;
  /** stop claiming, let sends in flight settle (bounded) or release them, close the transport */
  close(graceMs?: number): Promise<void>;
}

export function createOutbox(
  rt: {
    config: Config;
    db: Db;
    clock: Clock;
    sealer: Sealer;
    logger: DispatcherLogger;
    /** METRICS=on: counts each settled delivery attempt by outcome */
    metrics?: { deliveries: DeliveryMetrics } | undefined;
  },
  opts: { concurrency?: number; random?: () => number; resolve?: Resolve } = {},
): Outbox {
  const { config } = rt;
  const concurrency = opts.concurrency ?? DISPATCH_CONCURRENCY;
  const mailbox = config.smtpUrl
    ? undefined
    : devMailbox({
        now: () => rt.clock.now(),
        // recipient and subject only: the body carries the link
        log: (m) => rt.logger.info({ to: m.to, subject: m.subject }, 'dev mailbox: message delivered'),
      });
  const mailer =
    mailbox ??
    smtpMailer({
      url: config.smtpUrl as string,
      timeoutMs: config.timings.smtpTimeoutMs,
      maxConnections: concurrency,
    });
  if (config.timings.outboxLeaseMs < 3 * config.timings.smtpTimeoutMs) {
    rt.logger.warn(
      { outboxLeaseMs: config.timings.outboxLeaseMs, smtpTimeoutMs: config.timings.smtpTimeoutMs },
      'OUTBOX_LEASE is shorter than three SMTP timeouts: a slow send may outlive its lease and be sent twice',
    );
  }
  const dispatcher = createDispatcher({
    db: rt.db,
    clock: rt.clock,
    sealer: rt.sealer,
    mailer,
    logger: rt.logger,
    publicUrl: config.publicUrl,
    mailFrom: config.mailFrom,
    timings: config.timings,
    concurrency,
    deliveries: rt.metrics?.deliveries,
    ...(opts.random ? { random: opts.random } : {}),
    webhook: webhookChannel({
      db: rt.db,
      clock: rt.clock,
      sealer: rt.sealer,
      allowedHosts: config.webhookAllowedHosts,
      timeoutMs: config.timings.webhookTimeoutMs,
      resolve: opts.resolve,
      logger: rt.logger,
    }),
  });
  let wakeTimer: NodeJS.Timeout | undefined;
  const wake = () => {
    if (wakeTimer) return;
    wakeTimer = setTimeout(() => {
      wakeTimer = undefined;
      dispatcher.notify();
    }, WAKE_INTERVAL_MS);
    wakeTimer.unref();
  };
  const unsubscribe = onCommit(rt.db, OUTBOX_QUEUED, wake);
  return {
    mailer,
    mailbox,
    dispatcher,
    wake,
    async close(graceMs = 5_000) {
      unsubscribe();
      clearTimeout(wakeTimer);
      await dispatcher.stop(graceMs);
      await mailer.close();
    },
  };
}
