import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { checkedActor } from '../support/admin.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { seenBodies } from '../support/contract.js';
import { dialects } from '../support/db.js';
import { type Actor, invite, tokenOf } from '../support/fixtures.js';

// SPEC §6: the plain token reaches the create/resend response's url and the mail, nowhere else — not
// list or get responses, not logs, not a table row; only its SHA-256 (64 hex) is stored.

for (const dialect of dialects()) {
  describe(`[${dialect}] no plain token at rest, in logs or in read responses`, () => {
    let t: TestApp;
    let alice: Actor;
    let org: string;
    const tokens: string[] = [];
    const invitationIds: string[] = [];

    before(async () => {
      t = await createTestApp(dialect, { LOG_LEVEL: 'debug' });
      alice = await checkedActor(t, 'alice@example.com');
      org = (await alice.api.post('/v1/organizations', { name: 'Acme' })).json<{ id: string }>().id;
      const a = await invite(alice, org, 'bob@example.com', 'member');
      const b = await invite(alice, org, 'carol@example.com', 'admin', { sendEmail: false });
      tokens.push(a.token, b.token);
      invitationIds.push(a.id, b.id);
      const resent = await alice.api.post(`/v1/organizations/${org}/invitations/${a.id}/resend`, {});
      assert.equal(resent.statusCode, 200);
      tokens.push(tokenOf(resent.json<{ url: string }>().url));
      // the token travels in URLs: preview it (public read) so the request line is logged
      for (const token of tokens) await alice.api.get(`/api/v1/invitations/${token}`);
      for (const token of tokens) await t.app.inject({ method: 'GET', url: `/invite/${token}` });
    });
    after(() => t.close());

    const leaks = (text: string) => tokens.filter((tok) => text.includes(tok) || text.includes(tok.slice(4)));

    it('GET responses carry no token', async () => {
      const reads = [
        await alice.api.get(`/v1/organizations/${org}/invitations`),
        await alice.api.get(`/v1/organizations/${org}/invitations?status=pending`),
        ...(await Promise.all(
          invitationIds.map((id) => alice.api.get(`/v1/organizations/${org}/invitations/${id}`)),
        )),
        await alice.api.get('/api/v1/invitations'),
      ];
      for (const res of reads) {
        assert.equal(res.statusCode, 200, res.body);
        assert.deepEqual(leaks(JSON.stringify(res.headers) + res.body), [], res.body);
        assert.ok(!res.body.includes('"url"'), 'no url outside create and resend');
        assert.ok(!/token_hash|tokenHash/.test(res.body));
      }
      // and no checked response of this app other than create/resend answers ever held one
      const bodies = seenBodies.get(t.app) ?? [];
      const holding = bodies.filter((b) => leaks(b).length > 0);
      for (const b of holding) assert.match(b, /"url":"http:\/\/admit\.test\/invite\/inv_/);
    });

    it('log lines carry no token', () => {
      assert.ok(t.logs.length > 0, 'logs are captured');
      const bad = t.logs.filter((line) => leaks(line).length > 0);
      assert.deepEqual(bad, []);
      assert.ok(
        t.logs.some((l) => l.includes('/api/v1/invitations/[redacted]')),
        'token segments are redacted',
      );
    });

    it('no table row holds a plain token; token_hash is 64 hex', async () => {
      const db = t.rt.db.kysely;
      const tables =
        dialect === 'sqlite'
          ? (
              await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db)
            ).rows.map((r) => r.name)
          : (
              await sql<{ name: string }>`select table_name as name from information_schema.tables
                where table_schema = current_schema()`.execute(db)
            ).rows.map((r) => r.name);
      assert.ok(tables.includes('invitations'));
      assert.ok(tables.includes('outbox'));
      for (const table of tables) {
        const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(db)).rows;
        const text = JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
        assert.deepEqual(leaks(text), [], `table ${table} holds a plain token`);
        assert.ok(!text.includes('inv_'), `table ${table} holds something token-shaped`);
      }
      const hashes = await db.selectFrom('invitations').select(['id', 'token_hash']).execute();
      assert.equal(hashes.length, 2);
      for (const h of hashes) assert.match(h.token_hash, /^[0-9a-f]{64}$/);
    });
  });
}
