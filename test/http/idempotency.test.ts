import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppError } from '../../src/errors.js';
import {
  canonicalJson,
  createIdempotencyService,
} from '../../src/modules/idempotency/idempotency.service.js';
import { sha256Hex } from '../../src/platform/crypto.js';
import { assertProblem } from '../support/admin.js';
import { client, createTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/db.js';
import { type Actor, actor, invite, organization } from '../support/fixtures.js';
import { checkInvariants } from '../support/invariants.js';

// SPEC §8: Idempotency-Key on create and resend. A retry with the same key and body answers the
// stored outcome again (its link included) without a second invitation, outbox row or mail.

type WithUrl = { id: string; url: string; email: string; status: string };

for (const dialect of dialects()) {
  describe(`[${dialect}] Idempotency-Key on invitation create and resend`, () => {
    let t: TestApp;
    let alice: Actor;
    let org: string;
    before(async () => {
      t = await createTestApp(dialect);
      alice = await actor(t, 'alice@example.com', { name: 'Alice' });
      org = await organization(alice);
    });
    after(async () => {
      await checkInvariants(t.rt.db.kysely);
      await t.close();
    });

    const create = (key: string | undefined, body: Record<string, unknown>, who: Actor = alice) =>
      who.api.post(
        `/v1/organizations/${org}/invitations`,
        body,
        key === undefined ? {} : { 'idempotency-key': key },
      );
    const count = async (table: 'invitations' | 'outbox', email: string) => {
      const rows =
        table === 'invitations'
          ? await t.rt.db.kysely.selectFrom('invitations').select('id').where('email', '=', email).execute()
          : await t.rt.db.kysely.selectFrom('outbox').select('id').where('recipient', '=', email).execute();
      return rows.length;
    };

    it('a retry answers the stored status and body, link included, and creates nothing more', async () => {
      const body = { email: 'bob@example.com', role: 'member' };
      const first = await create('retry-1', body);
      assert.equal(first.statusCode, 201, first.body);
      assert.equal(first.headers['cache-control'], 'no-store');
      assert.equal(first.headers['idempotent-replayed'], undefined);
      // the same JSON with its keys in another order is the same body
      const again = await create('retry-1', { role: 'member', email: 'bob@example.com' });
      assert.equal(again.statusCode, 201);
      assert.equal(again.headers['idempotent-replayed'], 'true');
      assert.equal(again.headers['cache-control'], 'no-store');
      assert.deepEqual(again.json(), first.json());
      assert.equal(await count('invitations', 'bob@example.com'), 1);
      assert.equal(await count('outbox', 'bob@example.com'), 1);
      // the stored answer is sealed: the token is nowhere in the table
      const token = first.json<WithUrl>().url.split('/').pop() ?? '';
      const rows = await t.rt.db.kysely.selectFrom('idempotency_keys').selectAll().execute();
      assert.ok(rows.length > 0);
      assert.ok(!JSON.stringify(rows).includes(token));
    });

    it('a bare key and the same key as a quoted string are one key', async () => {
      const body = { email: 'quoted@example.com', role: 'member', sendEmail: false };
      const first = await create('same-key', body);
      const quoted = await create('"same-key"', body);
      assert.equal(quoted.headers['idempotent-replayed'], 'true');
      assert.deepEqual(quoted.json(), first.json());
    });

    it('the same key with another body is 422 idempotency_key_reused', async () => {
      await create('reuse-1', { email: 'carol@example.com', role: 'member', sendEmail: false });
      const res = await create('reuse-1', { email: 'carol@example.com', role: 'admin', sendEmail: false });
      assertProblem(res, 422, 'idempotency_key_reused');
      assert.equal(await count('invitations', 'carol@example.com'), 1);
    });

    it('refuses a malformed key with 400 invalid_idempotency_key, creating nothing', async () => {
      for (const key of [
        '',
        '"',
        '"unterminated',
        '"a"b"',
        'x'.repeat(256),
        '"has\\nescape"',
        'späce',
        'two words',
      ]) {
        const res = await create(key, { email: 'bad-key@example.com', role: 'member' });
        assertProblem(res, 400, 'invalid_idempotency_key');
      }
      assert.equal(
        (await create('x'.repeat(255), { email: 'long-key@example.com', role: 'member' })).statusCode,
        201,
      );
      assert.equal(await count('invitations', 'bad-key@example.com'), 0);
    });

    it('stores a 409 outcome and answers it again', async () => {
      await invite(alice, org, 'dave@example.com', 'member', { sendEmail: false });
      const body = { email: 'dave@example.com', role: 'member' };
      const first = await create('conflict-1', body);
      assertProblem(first, 409, 'invitation_pending');
      const again = await create('conflict-1', body);
      assertProblem(again, 409, 'invitation_pending');
      assert.equal(again.headers['idempotent-replayed'], 'true');
    });

    it('does not store a 400: the client may fix the request and retry with the same key', async () => {
      const bad = await create('fix-1', { email: 'erin@example.com', role: 'no-such-role' });
      assertProblem(bad, 400, 'unknown_role');
      const fixed = await create('fix-1', { email: 'erin@example.com', role: 'member' });
      assert.equal(fixed.statusCode, 201, fixed.body);
    });

    it('keys are per caller: another caller with the same key gets their own answer', async () => {
      const mallory = await actor(t, 'mallory@example.com');
      const body = { email: 'frank@example.com', role: 'member', sendEmail: false };
      assert.equal((await create('shared-key', body)).statusCode, 201);
      const theirs = await create('shared-key', body, mallory);
      assertProblem(theirs, 404, 'organization_not_found');
      assert.equal(theirs.headers['idempotent-replayed'], undefined);
    });

    it('resend: a retry answers the same link and rotates the token only once', async () => {
      const inv = await invite(alice, org, 'gina@example.com', 'member', { sendEmail: false });
      const resend = () =>
        alice.api.post(
          `/v1/organizations/${org}/invitations/${inv.id}/resend`,
          {},
          { 'idempotency-key': 'resend-1' },
        );
      const first = await resend();
      assert.equal(first.statusCode, 200, first.body);
      assert.notEqual(first.json<WithUrl>().url, inv.url);
      const again = await resend();
      assert.equal(again.statusCode, 200);
      assert.equal(again.headers['idempotent-replayed'], 'true');
      assert.equal(again.json<WithUrl>().url, first.json<WithUrl>().url);
      const row = await t.rt.db.kysely
        .selectFrom('invitations')
        .select('resend_count')
        .where('id', '=', inv.id)
        .executeTakeFirstOrThrow();
      assert.equal(Number(row.resend_count), 1);
      // the replayed link is the live one
      const preview = await t.app.inject({
        method: 'GET',
        url: `/api/v1/invitations/${first.json<WithUrl>().url.split('/').pop()}`,
      });
      assert.equal(preview.statusCode, 200);
    });

    it('a second request while the first still works is 409 idempotency_key_in_use', async () => {
      const service = createIdempotencyService({ db: t.rt.db, clock: t.clock, sealer: t.rt.sealer });
      const request = { caller: 'c1', method: 'POST', path: '/x', key: 'inflight', body: { a: 1 } };
      await assert.rejects(
        service.run(request, 201, async () => {
          await service.run(request, 201, async () => 'never');
          return 'first';
        }),
        (err: unknown) =>
          err instanceof AppError && err.code === 'idempotency_key_in_use' && err.status === 409,
      );
      // the failed first run kept nothing (its error was not a kept outcome): the key is free again
      assert.deepEqual(await service.run(request, 201, async () => 'second'), {
        status: 201,
        result: 'second',
        replayed: false,
      });
    });

    it('a key whose request died is taken over once its lock has passed; keys expire after 24 h', async () => {
      const path = `/v1/organizations/${org}/invitations`;
      const caller = (
        await t.rt.db.kysely
          .selectFrom('users')
          .select('id')
          .where('email', '=', alice.email)
          .executeTakeFirstOrThrow()
      ).id;
      const id = sha256Hex(`${caller}\u0000POST\u0000${path}\u0000died-1`);
      const now = t.clock.now();
      await t.rt.db.kysely
        .insertInto('idempotency_keys')
        .values({
          id,
          request_hash: 'whatever',
          state: 'running',
          locked_until: now + 60_000,
          response_status: null,
          response_sealed: null,
          created_at: now,
          expires_at: now + 86_400_000,
        })
        .execute();
      const body = { email: 'henry@example.com', role: 'member', sendEmail: false };
      assertProblem(
        await create('died-1', { ...body, email: 'other@example.com' }),
        422,
        'idempotency_key_reused',
      );
      await t.rt.db.kysely
        .updateTable('idempotency_keys')
        .set({
          request_hash: sha256Hex(canonicalJson(body)),
        })
        .where('id', '=', id)
        .execute();
      assertProblem(await create('died-1', body), 409, 'idempotency_key_in_use');
      t.clock.advance(61_000);
      const taken = await create('died-1', body);
      assert.equal(taken.statusCode, 201, taken.body);
      // a day later the key is new again: another body is a new request, not 422
      t.clock.advance(86_400_000);
      alice = await actor(t, alice.email, { name: 'Alice' }); // a token that is valid a day later
      const fresh = await create('died-1', { email: 'ivan@example.com', role: 'member', sendEmail: false });
      assert.equal(fresh.statusCode, 201, fresh.body);
    });

    it('a second process on the same database answers the stored outcome', async () => {
      const other = await createTestApp(dialect, { DATABASE_URL: databaseUrl(t) });
      try {
        const body = { email: 'jane@example.com', role: 'member', sendEmail: false };
        const first = await create('two-procs', body);
        const again = await client(other.app, alice.token).post(
          `/v1/organizations/${org}/invitations`,
          body,
          {
            'idempotency-key': 'two-procs',
          },
        );
        assert.equal(again.statusCode, 201, again.body);
        assert.equal(again.headers['idempotent-replayed'], 'true');
        assert.deepEqual(again.json(), first.json());
      } finally {
        await other.close();
      }
    });
  });
}

function databaseUrl(t: TestApp): string {
  const db = t.config.database;
  return db.kind === 'postgres' ? db.url : `sqlite:${db.path}`;
}
