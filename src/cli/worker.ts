import type { Config } from '../config.js';
import { createOutbox } from '../outbox/outbox.js';
import { boundHeapGrowth } from '../platform/heap.js';
import { openCore } from '../runtime.js';

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
    logger.info({ pid: process.pid }, 'admit worker: dispatching mail');
    const signal = await new Promise<string>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    logger.info({ signal }, 'admit worker: stopping');
    // a second signal forces the exit
    const force = () => process.exit(1);
    process.once('SIGTERM', force);
    process.once('SIGINT', force);
    await outbox.close(5_000);
    return 0;
  } finally {
    await core.close();
  }
}
