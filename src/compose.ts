import { type App, buildApp, type Surface } from './app.js';
import { isLoopbackHost } from './http/loopback.js';
import { clientPrincipals } from './oauth/client-principal.js';
import { registerOAuthProvider } from './oauth/plugin.js';
import type { Outbox } from './outbox/outbox.js';
import type { Runtime } from './runtime.js';
import { createServices, type Services } from './services.js';
import { mailboxRoutes } from './surfaces/system/mailbox.js';

// The one composition of an HTTP process, for the server (main.ts, which the benchmark runs) and tests:
// runtime → services → app with its surfaces. The outbox (mailer + dispatcher) is optional: with one,
// the dev mailbox is served (the outbox itself wakes its dispatcher after every commit that queued a
// row); without one (tests of the API alone) mail only waits in the outbox table. Starting the
// dispatcher is the caller's: main.ts starts it once the server listens.

export interface Composed {
  app: App;
  services: Services;
}

export async function composeApp(rt: Runtime, opts: { outbox?: Outbox | undefined } = {}): Promise<Composed> {
  const { outbox } = opts;
  const services = createServices(rt);
  // the backlog is the database's, so any server process reports it (one query per scrape)
  rt.metrics?.watchOutbox(services.system.outboxBacklog);
  const surfaces: Surface[] = [];
  const mailbox = outbox?.mailbox;
  const { config } = rt;
  // the dev mailbox holds live invitation links: on by default only in the zero-configuration setup
  // (no SMTP_URL, loopback HOST), where the quick start reads its sign-in codes there; a 404 otherwise
  if (mailbox && config.devMailbox !== 'off' && isLoopbackHost(config.host)) {
    surfaces.push(async (app) => {
      await app.register(mailboxRoutes(() => mailbox.list()));
    });
    rt.logger.info(
      {
        url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}/dev/mailbox`,
      },
      'dev mailbox: mail is kept in memory and readable from this machine only (set SMTP_URL, or DEV_MAILBOX=off)',
    );
  } else if (mailbox) {
    rt.logger.warn(
      'dev mailbox not served (DEV_MAILBOX=off or HOST is not loopback): without SMTP_URL, mail is only logged',
    );
  }
  const issuer = rt.issuer;
  if (issuer) {
    // built-in mode: Admit is also the OAuth2 / OpenID provider (src/oauth/), mounted beside the API
    surfaces.push((app) =>
      registerOAuthProvider(app, {
        config: rt.config,
        db: rt.db,
        clock: rt.clock,
        sealer: rt.sealer,
        counters: rt.counters,
        issuer,
      }),
    );
  }
  const clients = issuer ? clientPrincipals(rt.db) : undefined;
  const app = await buildApp(services, { ...rt, clientPrincipals: clients }, surfaces);
  return { app, services };
}
