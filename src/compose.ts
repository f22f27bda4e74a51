import { type App, buildApp, type Surface } from './app.js';
import { clientPrincipals } from './oauth/client-principal.js';
import { registerOAuthProvider } from './oauth/plugin.js';
import type { Outbox } from './outbox/outbox.js';
import type { Runtime } from './runtime.js';
import { createServices, type Services } from './services.js';
import { isLoopbackHost, mailboxRoutes } from './surfaces/system/mailbox.js';

// The one composition of an HTTP process, for the server (main.ts, which the benchmark runs) and tests:
// runtime → services → app with its surfaces. The outbox (mailer + dispatcher) is optional: with one,
// the invitations service wakes its dispatcher after a commit and the dev mailbox is served; without
// one (tests of the API alone) mail only waits in the outbox table. Starting the dispatcher is the
// caller's: main.ts starts it once the server listens.

export interface Composed {
  app: App;
  services: Services;
}

export async function composeApp(rt: Runtime, opts: { outbox?: Outbox | undefined } = {}): Promise<Composed> {
  const { outbox } = opts;
  const services = createServices(rt, { onMailQueued: outbox?.wake });
  // the backlog is the database's, so any server process reports it (one query per scrape)
  rt.metrics?.watchOutbox(services.system.outboxBacklog);
  const surfaces: Surface[] = [];
  const mailbox = outbox?.mailbox;
  // the dev mailbox holds live invitation links: served on loopback only, a 404 anywhere else
  if (mailbox && isLoopbackHost(rt.config.host)) {
    surfaces.push(async (app) => {
      await app.register(mailboxRoutes(() => mailbox.list()));
    });
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
        onMailQueued: outbox?.wake,
      }),
    );
  }
  const clients = issuer ? clientPrincipals(rt.db) : undefined;
  const app = await buildApp(services, { ...rt, clientPrincipals: clients }, surfaces);
  return { app, services };
}
