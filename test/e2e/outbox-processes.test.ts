import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { LIMITS_OFF } from '../../scripts/limits-off.js';
import { ensureBuilt, freePort, type Proc, reap, spawnNode, waitForHttp } from '../../scripts/proc.js';
import { loadConfig } from '../../src/config.js';
import { createLogger, createRuntime, type Runtime } from '../../src/runtime.js';
import { TEST_SECRET } from '../support/app.js';
import { dialects, freshDatabase, type TestDialect } from '../support/db.js';
import { FAST_OUTBOX, SmtpSink, waitFor } from '../support/mail.js';

// The dispatcher across real processes: `admit worker` pairs on one PostgreSQL database, the server
// killed with SIGKILL while mail is queued or mid-send, graceful SIGTERM.

const PUBLIC_URL = 'http://admit.test';

function baseEnv(databaseUrl: string, smtpUrl: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    ADMIT_SECRET: TEST_SECRET,
    PUBLIC_URL,
    SMTP_URL: smtpUrl,
    ...LIMITS_OFF,
    LOG_LEVEL: 'info',
    ...FAST_OUTBOX,
  };
}

/** a runtime in the test process on the same database: mints tokens (same sealed keys) and reads rows */
async function observer(env: Record<string, string>): Promise<Runtime> {
  const config = loadConfig({ ...env, LOG_LEVEL: 'silent' });
  return createRuntime(config, { logger: createLogger(config) });
}

async function api(
  base: string,
  token: string,
  path: string,
  body: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function outboxStatuses(rt: Runtime): Promise<string[]> {
  return (await rt.db.kysely.selectFrom('outbox').select('status').execute()).map((r) => r.status);
}

before(() => ensureBuilt());

describe('admit worker', () => {
  it('refuses to run on SQLite (exit 2)', async () => {
    const { url } = await freshDatabase('sqlite');
    const p = spawnNode('dist/cli/admit.js', ['worker'], baseEnv(url, 'smtp://127.0.0.1:1'));
    assert.equal(await p.exited, 2, p.output());
    assert.match(p.output(), /PostgreSQL/);
  });
});

describe('[postgres] two admit worker processes on one database', {
  skip: !dialects().includes('postgres') && 'needs TEST_DATABASE_URL (admit worker runs on PostgreSQL only)',
}, () => {
  const sink = new SmtpSink();
  const workers: Proc[] = [];
  let rt: Runtime | undefined;
  after(async () => {
    for (const w of workers) await reap(w);
    await rt?.close();
    await sink.close();
  });

  it('deliver 200 queued messages with each Message-ID received exactly once', async () => {
    await sink.up();
    const { url } = await freshDatabase('postgres');
    const env = baseEnv(url, sink.url);
    rt = await observer(env); // migrates and creates the signing keys before the workers start
    for (let i = 0; i < 2; i++) workers.push(spawnNode('dist/cli/admit.js', ['worker'], env));
    await waitFor(() => workers.every((w) => w.output().includes('dispatching mail')), 'both workers up');

    // the invitations come from the API in the test process (its own dispatcher is not started)
    const { composeApp } = await import('../../src/compose.js');
    const { app } = await composeApp(rt);
    const token = await rt.issuer!.sign({
      email: 'owner@example.com',
      name: 'Owner',
      admin: false,
      ttlSeconds: 3600,
    });
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const org = await app.inject({
      method: 'POST',
      url: '/v1/organizations',
      headers,
      payload: { name: 'Acme' },
    });
    const orgId = org.json<{ id: string }>().id;
    for (let i = 0; i < 200; i++) {
      const res = await app.inject({
        method: 'POST',
        url: `/v1/organizations/${orgId}/invitations`,
        headers,
        payload: { email: `person${i}@example.com`, role: 'member' },
      });
      assert.equal(res.statusCode, 201, res.body);
    }
    await app.close();

    await waitFor(
      async () => {
        const s = await outboxStatuses(rt!);
        return s.length === 200 && s.every((x) => x === 'sent');
      },
      '200 rows sent',
      60_000,
    );
    const counts = sink.byMessageId();
    assert.equal(sink.received.length, 200);
    assert.equal(counts.size, 200);
    assert.ok(
      [...counts.values()].every((n) => n === 1),
      'no Message-ID twice',
    );

    for (const w of workers) w.child.kill('SIGTERM');
    for (const w of workers) assert.equal(await w.exited, 0, w.output().slice(-2000));
    // counted once the workers have exited: a worker logs "sent" after its settle commits, so the
    // last lines can still be on their way when the database already shows every row sent
    const perWorker = workers.map((w) => (w.output().match(/"status":"sent"/g) ?? []).length);
    assert.equal(perWorker[0]! + perWorker[1]!, 200, `sent per worker: ${perWorker.join(', ')}`);
    assert.ok(
      perWorker.every((n) => n > 0),
      `both workers took part: ${perWorker.join(', ')}`,
    );
  });
});

for (const dialect of dialects()) {
  describe(`[${dialect}] the server killed with mail queued`, () => {
    const sink = new SmtpSink();
    let server: Proc | undefined;
    let rt: Runtime | undefined;
    afterEach(async () => {
      await reap(server);
      server = undefined;
      await rt?.close();
      rt = undefined;
      await sink.close();
      sink.received.length = 0;
      sink.holdReplies = false;
      sink.port = 0;
    });

    async function start(
      env: Record<string, string>,
      port: number,
    ): Promise<{ base: string; token: string }> {
      server = spawnNode('dist/main.js', [], { ...env, PORT: String(port), HOST: '127.0.0.1' });
      const base = `http://127.0.0.1:${port}`;
      await waitForHttp(`${base}/readyz`, server);
      const token = await rt!.issuer!.sign({
        email: 'owner@example.com',
        name: 'Owner',
        admin: false,
        ttlSeconds: 3600,
      });
      return { base, token };
    }

    async function setup(d: TestDialect) {
      await sink.reserve();
      const { url } = await freshDatabase(d);
      const env = baseEnv(url, sink.url);
      rt = await observer(env);
      return { env, port: await freePort() };
    }

    it('delivers the queued messages after SIGKILL and restart, and stops with exit 0 on SIGTERM', async () => {
      const { env, port } = await setup(dialect);
      const { base, token } = await start(env, port);
      const org = await api(base, token, '/v1/organizations', { name: 'Acme' });
      assert.equal(org.status, 201);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await api(base, token, `/v1/organizations/${org.json.id}/invitations`, {
          email: `crash${i}@example.com`,
          role: 'member',
        });
        assert.equal(r.status, 201);
        ids.push(String(r.json.id));
      }
      // the sink is down: every row has been tried and is waiting for a retry
      await waitFor(async () => {
        const rows = await rt!.db.kysely.selectFrom('outbox').select(['attempts']).execute();
        return rows.length === 5 && rows.every((r) => r.attempts >= 1);
      }, 'every row attempted');
      server!.child.kill('SIGKILL');
      assert.equal(await server!.exited, 'SIGKILL');
      assert.equal(sink.received.length, 0);

      await sink.up();
      const again = await start(env, port);
      await waitFor(
        async () => {
          const s = await outboxStatuses(rt!);
          return s.length === 5 && s.every((x) => x === 'sent');
        },
        'all sent after restart',
        30_000,
      );
      assert.equal(sink.byMessageId().size, 5);
      assert.ok([...sink.byMessageId().values()].every((n) => n === 1));
      const inv = await rt!.db.kysely.selectFrom('invitations').select('delivery_status').execute();
      assert.ok(inv.every((r) => r.delivery_status === 'sent'));
      void again;

      server!.child.kill('SIGTERM');
      assert.equal(await server!.exited, 0, server!.output().slice(-2000));
    });

    it('re-sends with the same Message-ID when killed between the SMTP 250 and marking sent (at-least-once)', async () => {
      const { env, port } = await setup(dialect);
      await sink.up();
      sink.holdReplies = true; // the message arrives, the 250 never does
      const fastLease = { ...env, OUTBOX_LEASE: '2s', SMTP_TIMEOUT: '10s' };
      const { base, token } = await start(fastLease, port);
      const org = await api(base, token, '/v1/organizations', { name: 'Acme' });
      const r = await api(base, token, `/v1/organizations/${org.json.id}/invitations`, {
        email: 'twice@example.com',
        role: 'member',
      });
      assert.equal(r.status, 201);
      await waitFor(() => sink.received.length === 1, 'the message reached the server');
      server!.child.kill('SIGKILL');
      await server!.exited;
      const [row] = await rt!.db.kysely.selectFrom('outbox').selectAll().execute();
      assert.equal(
        row?.status,
        'sending',
        `not marked sent: the crash came first\n${server!.output().slice(-3000)}`,
      );

      sink.holdReplies = false;
      // the crashed claim's 2 s lease is stored with the row; the restarted server claims it once that
      // has passed and holds its own claim longer, so a slow machine cannot turn its send into a third
      await start({ ...env, OUTBOX_LEASE: '60s', SMTP_TIMEOUT: '10s' }, port);
      await waitFor(
        async () => (await outboxStatuses(rt!)).every((x) => x === 'sent'),
        'sent after lease expiry',
        30_000,
      );
      assert.equal(sink.received.length, 2, 'delivered twice: once per crash at most');
      assert.equal(sink.received[0]?.messageId, sink.received[1]?.messageId, 'with the same Message-ID');
      assert.equal(sink.received[0]?.messageId, row?.message_id);
    });
  });
}
