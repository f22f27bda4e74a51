import type { Config } from '../config.js';
import { createSweepService } from '../modules/retention/sweep.service.js';
import { createOutbox } from '../outbox/outbox.js';
import { startSweeper } from '../outbox/sweeper.js';
import { boundHeapGrowth } from '../platform/heap.js';
import { type Core, openCore } from '../runtime.js';

/**
 * `admit worker`: the dispatcher without the HTTP server, for PostgreSQL deployments that scale mail
 * separately (any number of workers: FOR UPDATE SKIP LOCKED hands each row to one of them). SQLite is
 * embedded in one server process, which already runs the only dispatcher: refused with exit 2.
 * SIGTERM/SIGINT: stop claiming, let sends in flight settle (bounded) or release them, exit 0.
 */
export async function runWorker(config: Config): Promise<number> {
  if (config.database.kind !== 'postgres') {
    process.stderr.write(
      'admit worker: needs PostgreSQL (DATABASE_URL=postgres://…). With SQLite the server process runs the only dispatcher.\n',
    );
    return 2;
  }
  if (!config.smtpUrl) {
    process.stderr.write(
      'admit worker: needs SMTP_URL; without it mail goes to the dev mailbox, which lives in the server process.\n',
    );
    return 2;
  }
  boundHeapGrowth();
  // the database and the sealer only: no Redis, no token verification, no services
  const core = await openCore(config);
  const { logger } = core;
  try {
    const outbox = createOutbox(core);
    outbox.dispatcher.start();
    const sweeper = startSweeper(sweepOf(core).sweep, config.timings.sweepIntervalMs, logger);
    logger.info({ pid: process.pid }, 'admit worker: dispatching mail and webhooks, sweeping');
    const signal = await new Promise<string>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    logger.info({ signal }, 'admit worker: stopping');
    // a second signal forces the exit
    const force = () => process.exit(1);
    process.once('SIGTERM', force);
    process.once('SIGINT', force);
    await Promise.all([outbox.close(5_000), sweeper.stop()]);
    return 0;
  } finally {
    await core.close();
  }
}

/** The retention sweep over a core (the worker and `admit sweep` build no other service). */
export function sweepOf(core: Core) {
  return createSweepService({
    db: core.db,
    clock: core.clock,
    ids: core.ids,
    eventRetentionMs: core.config.eventRetentionMs,
    outboxRetentionMs: core.config.outboxRetentionMs,
  });
}

/** `admit sweep`: one pass, its report as JSON on stdout. */
export async function runSweep(config: Config): Promise<number> {
  const core = await openCore({ ...config, logLevel: 'silent' });
  try {
    process.stdout.write(`${JSON.stringify(await sweepOf(core).sweep())}\n`);
    return 0;
  } finally {
    await core.close();
  }
}
