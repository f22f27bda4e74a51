import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { client } from '../support/app.js';
import { dialects } from '../support/db.js';
import { createMailApp, linkIn, type MailApp, SmtpSink, waitFor } from '../support/mail.js';

// SPEC §6: after a full flow (create, send, resend, accept, revoke, idempotent replay) the stored
// bytes (SQLite database and WAL, or a PostgreSQL dump) hold no plain invitation token.

const ANY_TOKEN = /inv_[A-Za-z0-9_-]{43}/;

function assertNoToken(haystack: string, tokens: Set<string>, where: string): void {
  for (const t of tokens) assert.ok(!haystack.includes(t), `${where} contains a plain token`);
  // the token without its prefix, too (a column could have stripped it)
  for (const t of tokens) assert.ok(!haystack.includes(t.slice(4)), `${where} contains a token body`);
  assert.doesNotMatch(haystack, ANY_TOKEN, `${where} contains something shaped like a token`);
}

async function fullFlow(t: MailApp, sink: SmtpSink): Promise<Set<string>> {
  const tokens = new Set<string>();
  const keep = (url: unknown) => {
    const token = String(url).split('/').pop() ?? '';
    assert.match(token, ANY_TOKEN);
    tokens.add(token);
  };
  const owner = client(t.app, await t.token('owner@example.com', { name: 'Owner' }));
  const orgId = (await owner.post('/v1/organizations', { name: 'Acme' })).json<{ id: string }>().id;
  const create = async (
    email: string,
    extra: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) => {
    const res = await owner.post(
      `/v1/organizations/${orgId}/invitations`,
      { email, role: 'member', ...extra },
      headers,
    );
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json<{ id: string; url: string }>();
    keep(body.url);
    return body;
  };

  await create('bob@example.com');
  const carol = await create('carol@example.com', {}, { 'idempotency-key': 'k-carol-1' });
  // an idempotent replay (its url comes from a sealed copy, if the key store keeps one)
  const replay = await owner.post(
    `/v1/organizations/${orgId}/invitations`,
    { email: 'carol@example.com', role: 'member' },
    { 'idempotency-key': 'k-carol-1' },
  );
  if (replay.statusCode === 201) keep(replay.json<{ url: string }>().url);
  const resent = await owner.post(`/v1/organizations/${orgId}/invitations/${carol.id}/resend`, {});
  assert.equal(resent.statusCode, 200, resent.body);
  keep(resent.json<{ url: string }>().url);
  await create('dave@example.com', { sendEmail: false });
  const erin = await create('erin@example.com');
  assert.equal((await owner.delete(`/v1/organizations/${orgId}/invitations/${erin.id}`)).statusCode, 204);

  await waitFor(async () => {
    const rows = await t.rt.db.kysely.selectFrom('outbox').select('status').execute();
    return rows.length >= 3 && rows.every((r) => ['sent', 'cancelled', 'failed'].includes(r.status));
  }, 'outbox settled');
  for (const m of sink.received) keep(linkIn(m).url);

  // carol accepts through the link in her latest mail
  const carolMail = sink.received.filter((m) => m.envelopeTo[0] === 'carol@example.com').pop();
  assert.ok(carolMail);
  const carolApi = client(t.app, await t.token('carol@example.com'));
  const accepted = await carolApi.post(`/api/v1/invitations/${linkIn(carolMail).token}/accept`);
  assert.equal(accepted.statusCode, 200, accepted.body);

  const sealed = await t.rt.db.kysely
    .selectFrom('outbox')
    .select('id')
    .where('sealed_token', 'is not', null)
    .execute();
  assert.equal(sealed.length, 0, 'every settled outbox row has its sealed token wiped');
  assert.ok(tokens.size >= 4);
  return tokens;
}

for (const dialect of dialects()) {
  describe(`[${dialect}] no plain token at rest after a full flow`, () => {
    it('finds none in the stored bytes', async () => {
      const sink = new SmtpSink();
      await sink.up();
      const t = await createMailApp(dialect, { SMTP_URL: sink.url });
      try {
        const tokens = await fullFlow(t, sink);
        if (dialect === 'sqlite') {
          const path = t.config.database.kind === 'sqlite' ? t.config.database.path : '';
          const wal = `${path}-wal`;
          assert.ok(existsSync(wal), 'the WAL is there to be scanned');
          const bytes = readFileSync(path).toString('latin1') + readFileSync(wal).toString('latin1');
          assert.ok(bytes.length > 0);
          assertNoToken(bytes, tokens, 'the SQLite database or WAL');
        } else {
          const url = new URL(t.url);
          const schema = /search_path=(\w+)/.exec(url.searchParams.get('options') ?? '')?.[1];
          assert.ok(schema);
          url.searchParams.delete('options');
          const dump = spawnSync('pg_dump', ['--data-only', `--schema=${schema}`, url.toString()], {
            encoding: 'utf8',
            maxBuffer: 64 * 1024 * 1024,
          });
          let text = dump.status === 0 ? dump.stdout : '';
          if (dump.status !== 0) {
            // no usable pg_dump: every row of every table as text
            const tables = await sql<{
              name: string;
            }>`select table_name as name from information_schema.tables where table_schema = ${schema}`.execute(
              t.rt.db.kysely,
            );
            for (const { name } of tables.rows) {
              const rows = await sql<{
                row: string;
              }>`select t::text as row from ${sql.table(name)} t`.execute(t.rt.db.kysely);
              text += rows.rows.map((r) => r.row).join('\n');
            }
          }
          assert.match(text, /owner@example\.com/, 'the dump has the data');
          assertNoToken(text, tokens, 'the PostgreSQL dump');
        }
      } finally {
        await t.close();
        await sink.close();
      }
    });
  });
}
