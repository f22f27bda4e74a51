import { composeApp } from './compose.js';
import { ConfigError, loadConfig } from './config.js';
import { createOutbox } from './outbox/outbox.js';
import { startSweeper } from './outbox/sweeper.js';
import { boundHeapGrowth } from './platform/heap.js';
import { createRuntime } from './runtime.js';

// The server: loadConfig → runtime (database, migrate) → outbox → services and app (compose.ts) →
// listen → dispatcher; graceful close on signals.

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`admit: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  boundHeapGrowth();
  const rt = await createRuntime(config);
  const outbox = createOutbox(rt);
  const { app, services } = await composeApp(rt, { outbox });
  // asked before listening, so requests to this server cannot have written anything yet
  const empty = await services.system.isEmpty();
  await app.listen({ port: config.port, host: config.host });
  // the dispatcher runs in the server process on both dialects (`admit worker` adds more on PostgreSQL)
  outbox.dispatcher.start();
  const sweeper = startSweeper(services.retention.sweep, config.timings.sweepIntervalMs, rt.logger);

  if (empty && rt.issuer) {
    const token = await rt.issuer.sign({
      email: 'admin@admit.localhost',
      name: 'Admin',
      admin: true,
      ttlSeconds: 86_400,
    });
    process.stdout.write(
      [
        '',
        'Admit is running on an empty database. A system-administrator token (valid 24 h):',
        '',
        `  export ADMIT_TOKEN=${token}`,
        '',
        'Create your first organization:',
        '',
        `  curl -s -X POST ${config.publicUrl}/v1/organizations -H "Authorization: Bearer $ADMIT_TOKEN" -H 'Content-Type: application/json' -d '{"name":"Acme Corp"}'`,
        '',
        `More tokens: npx admit token --email you@example.com [--name "Your Name"] [--admin]. API docs: ${config.publicUrl}/docs`,
        '',
      ].join('\n'),
    );
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      rt.logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    rt.logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    // stop claiming mail and close the HTTP side together; an in-flight send gets a bounded grace,
    // then its lease is released so the next start (or another process) sends it
    Promise.all([app.close(), outbox.close(5_000), sweeper.stop()])
      .then(() => rt.close())
      .then(
        () => process.exit(0),
        (err) => {
          rt.logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`admit: failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
