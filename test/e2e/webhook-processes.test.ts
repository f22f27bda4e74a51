import assert from 'node:assert/strict';
import { afterEach, before, describe, it } from 'node:test';
import { LIMITS_OFF } from '../../scripts/limits-off.js';
import { ensureBuilt, freePort, type Proc, reap, spawnNode, waitForHttp } from '../../scripts/proc.js';
import { loadConfig } from '../../src/config.js';
import { createLogger, createRuntime, type Runtime } from '../../src/runtime.js';
import { TEST_SECRET } from '../support/app.js';
import { dialects, freshDatabase } from '../support/db.js';
import { FAST_OUTBOX, waitFor } from '../support/mail.js';
import { Receiver, verifyStandardWebhook } from '../support/webhooks.js';

// Webhook delivery survives the server: killed with SIGKILL while deliveries are in flight, the
// restarted server delivers every event (at least once, each with its event id as webhook-id).

before(() => ensureBuilt());

async function post(base: string, token: string, path: string, body: unknown) {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

for (const dialect of dialects()) {
  describe(`[${dialect}] the server killed mid-delivery`, () => {
    const receiver = new Receiver();
    let server: Proc | undefined;
    let rt: Runtime | undefined;
    afterEach(async () => {
      await reap(server);
      await rt?.close();
      await receiver.close();
    });

    it('delivers every event after SIGKILL and restart', async () => {
      await receiver.up();
      receiver.hold = true;
      const { url } = await freshDatabase(dialect);
      const env = {
        DATABASE_URL: url,
        ADMIT_SECRET: TEST_SECRET,
        PUBLIC_URL: 'http://admit.test',
        ...LIMITS_OFF,
        LOG_LEVEL: 'info',
        ...FAST_OUTBOX,
        OUTBOX_LEASE: '2s',
        WEBHOOK_TIMEOUT: '30s',
        WEBHOOK_ALLOWED_HOSTS: receiver.host,
      };
      const config = loadConfig({ ...env, LOG_LEVEL: 'silent' });
      rt = await createRuntime(config, { logger: createLogger(config) });
      const token = await rt.issuer!.sign({
        email: 'owner@example.com',
        name: 'O',
        admin: false,
        ttlSeconds: 3600,
      });
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const start = async () => {
        server = spawnNode('dist/main.js', [], { ...env, PORT: String(port), HOST: '127.0.0.1' });
        await waitForHttp(`${base}/readyz`, server);
      };
      await start();
      const org = await post(base, token, '/v1/organizations', { name: 'Acme' });
      const hooks = `/v1/organizations/${org.json.id}/webhooks`;
      const hook = await post(base, token, hooks, { url: receiver.url(), events: ['invitation.created'] });
      assert.equal(hook.status, 201);
      const secret = String(hook.json.secret);
      for (let i = 0; i < 6; i++) {
        const r = await post(base, token, `/v1/organizations/${org.json.id}/invitations`, {
          email: `kill${i}@example.com`,
          role: 'member',
          sendEmail: false,
        });
        assert.equal(r.status, 201);
      }
      // some deliveries are in flight (the receiver holds them): kill the server there
      await waitFor(() => receiver.received.length >= 1, 'a delivery in flight');
      server!.child.kill('SIGKILL');
      assert.equal(await server!.exited, 'SIGKILL');
      receiver.hold = false;
      await start();
      const eventIds = (await rt.db.kysely.selectFrom('events').select(['id', 'type']).execute())
        .filter((e) => e.type === 'invitation.created')
        .map((e) => e.id);
      assert.equal(eventIds.length, 6);
      await waitFor(
        async () => {
          const rows = await rt!.db.kysely
            .selectFrom('outbox')
            .select('status')
            .where('kind', '=', 'webhook')
            .execute();
          return rows.length === 6 && rows.every((r) => r.status === 'sent');
        },
        'every delivery sent after restart',
        30_000,
      );
      for (const id of eventIds) {
        const copies = receiver.of(id);
        assert.ok(copies.length >= 1, `event ${id} delivered`);
        for (const c of copies)
          assert.ok(verifyStandardWebhook(secret, c.headers, c.body, Math.floor(Date.now() / 1000)));
      }
      server!.child.kill('SIGTERM');
      assert.equal(await server!.exited, 0, server!.output().slice(-2000));
    });
  });
}
