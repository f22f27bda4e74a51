import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import * as oidc from 'openid-client';
import { client, type TestApp } from '../support/app.js';
import { dialects } from '../support/db.js';
import { type Actor, tokenOf } from '../support/fixtures.js';
import { createMailApp, type MailApp } from '../support/mail.js';
import { discover, registerClient } from '../support/oauth.js';

// SPEC §6 across one whole flow (create → mail → preview → page → resend → accept) with every log line
// at trace and the whole database afterwards: the plain invitation tokens, the bearer tokens and the
// client secret appear in no log line, no stored column (nor, on SQLite, anywhere in the database
// files), and in no response but those meant to carry a link. And the headers of every response seen:
// nosniff on all; CSP, no-store and no-referrer on every HTML page; no-store on every answer that
// carries a token.

interface Seen {
  what: string;
  res: LightMyRequestResponse;
}

for (const dialect of dialects()) {
  describe(`[${dialect}] secrets stay out of logs, storage and responses; security headers`, () => {
    let m: MailApp;
    const seen: Seen[] = [];
    const secrets = new Map<string, string>();
    /** responses allowed to carry an invitation token: the link's own answers and the mail itself */
    const carriers = new Set<string>();

    const record = (what: string, res: LightMyRequestResponse, carries = false) => {
      seen.push({ what, res });
      if (carries) carriers.add(what);
      return res;
    };
    const as = (token: string | undefined, what: string, carries = false) => {
      const api = client(m.app, token);
      return {
        get: async (url: string, h?: Record<string, string>) => record(what, await api.get(url, h), carries),
        post: async (url: string, body?: unknown) => record(what, await api.post(url, body), carries),
      };
    };
    const raw = async (what: string, url: string, carries = false, headers: Record<string, string> = {}) =>
      record(what, await m.app.inject({ method: 'GET', url, headers }), carries);

    before(async () => {
      m = await createMailApp(dialect, { LOG_LEVEL: 'trace' }, { dispatch: false });
      const owner: Actor = {
        email: 'owner@example.com',
        token: await m.token('owner@example.com'),
        api: client(m.app),
      };
      const invitee = await m.token('invitee@example.com');
      secrets.set('owner bearer', owner.token);
      secrets.set('invitee bearer', invitee);

      const org = (
        await as(owner.token, 'create organization').post('/v1/organizations', { name: 'Acme' })
      ).json<{ id: string }>().id;
      // the OAuth helpers take a TestApp; this app runs on the system clock
      const t = { app: m.app, rt: m.rt, config: m.config, clock: { now: Date.now } } as unknown as TestApp;
      const { record: registered, secret } = await registerClient(t, {
        name: 'Bot',
        organization: { id: org, roleKey: 'admin' },
      });
      secrets.set('client secret', secret ?? '');
      const bot = (await oidc.clientCredentialsGrant(await discover(t, registered.clientId, secret)))
        .access_token;
      secrets.set('client bearer', bot);

      const created = await as(owner.token, 'create invitation', true).post(
        `/v1/organizations/${org}/invitations`,
        {
          email: 'invitee@example.com',
          role: 'member',
        },
      );
      assert.equal(created.statusCode, 201, created.body);
      const id = created.json<{ id: string; url: string }>().id;
      secrets.set('first invitation token', tokenOf(created.json<{ url: string }>().url));
      await m.outbox.dispatcher.runOnce();
      await raw('dev mailbox (JSON)', '/dev/mailbox', true, { accept: 'application/json' });
      await raw('dev mailbox (HTML)', '/dev/mailbox', true, { accept: 'text/html' });

      const first = secrets.get('first invitation token')!;
      await as(undefined, 'preview').get(`/api/v1/invitations/${first}`);
      await raw('invitation page', `/invite/${first}`, true);
      await as(owner.token, 'admin get').get(`/v1/organizations/${org}/invitations/${id}`);
      await as(owner.token, 'admin list').get(`/v1/organizations/${org}/invitations`);
      await as(bot, 'scoped list (client)').get('/api/v1/invitations');
      await as(invitee, 'invitee list').get('/invitations');
      const resent = await as(owner.token, 'resend', true).post(
        `/v1/organizations/${org}/invitations/${id}/resend`,
        {},
      );
      assert.equal(resent.statusCode, 200, resent.body);
      const second = tokenOf(resent.json<{ url: string }>().url);
      secrets.set('second invitation token', second);
      await m.outbox.dispatcher.runOnce();
      await as(invitee, 'accept with the dead token').post(`/api/v1/invitations/${first}/accept`);
      await raw('page of the dead token', `/invite/${first}`);
      const accepted = await as(invitee, 'accept').post(`/api/v1/invitations/${second}/accept`);
      assert.equal(accepted.statusCode, 200, accepted.body);
      await as(invitee, 'accept again').post(`/api/v1/invitations/${second}/accept`);
      await as(undefined, 'preview of the accepted').get(`/api/v1/invitations/${second}`);
      for (const url of [
        '/healthz',
        '/readyz',
        '/openapi.json',
        '/docs',
        '/.well-known/jwks.json',
        '/nope',
        '/invite/nope',
        '/auth/sign-in?return_to=/',
        '/assets/admit.css',
      ]) {
        await raw(url, url);
      }
      await raw('/.well-known/openid-configuration', '/.well-known/openid-configuration');
      await raw('oauth error page', '/oauth/authorize?client_id=unknown');
      await as('x.y.z', 'forged bearer').get('/v1/organizations');
    });
    after(() => m?.close());

    const leaks = (text: string) =>
      [...secrets].filter(([, s]) => s && text.includes(s)).map(([name]) => name);

    it('no secret in any log line', () => {
      assert.ok(m.logs.length > 30, `${m.logs.length} log lines`);
      for (const line of m.logs) assert.deepEqual(leaks(line), [], line.slice(0, 300));
    });

    it('no secret in any stored column', async () => {
      // on PostgreSQL, this test's schema only (the shared test database holds other runs' schemas)
      const schema =
        dialect === 'postgres'
          ? (await sql<{ s: string }>`select current_schema() as s`.execute(m.rt.db.kysely)).rows[0]?.s
          : undefined;
      const tables = (await m.rt.db.kysely.introspection.getTables()).filter(
        (table) => schema === undefined || table.schema === schema,
      );
      let rows = 0;
      for (const table of tables) {
        const all = await m.rt.db.kysely
          .selectFrom(table.name as never)
          .selectAll()
          .execute();
        rows += all.length;
        const text = JSON.stringify(all, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('latin1') : v));
        assert.deepEqual(leaks(text), [], `table ${table.name}`);
      }
      assert.ok(rows > 10);
    });

    it('no secret anywhere in the SQLite files (database and write-ahead log)', {
      skip: dialect !== 'sqlite' && 'SQLite files only',
    }, () => {
      const path = m.url.slice('sqlite:'.length);
      for (const file of [path, `${path}-wal`]) {
        let bytes: string;
        try {
          bytes = readFileSync(file).toString('latin1');
        } catch {
          continue; // no write-ahead log right now
        }
        assert.deepEqual(leaks(bytes), [], file);
      }
    });

    it('invitation tokens only in the answers that are the link (create, resend, the mail, the page)', () => {
      const invitationTokens = [
        secrets.get('first invitation token')!,
        secrets.get('second invitation token')!,
      ];
      for (const { what, res } of seen) {
        if (carriers.has(what)) continue;
        for (const token of invitationTokens)
          assert.ok(!res.body.includes(token), `${what}: ${res.body.slice(0, 200)}`);
        for (const name of ['owner bearer', 'invitee bearer', 'client secret'])
          assert.ok(!res.body.includes(secrets.get(name)!), `${what} echoes the ${name}`);
      }
    });

    it('nosniff on every response; CSP, no-store and no-referrer on every HTML page; no-store wherever a token travels', () => {
      const problems: string[] = [];
      for (const { what, res } of seen) {
        const h = res.headers;
        if (h['x-content-type-options'] !== 'nosniff')
          problems.push(`${what} (${res.statusCode}): no nosniff`);
        const html = String(h['content-type'] ?? '').startsWith('text/html');
        const carries =
          /inv_[A-Za-z0-9_-]{20,}/.test(res.body) || /"(access_token|client_secret)"\s*:/.test(res.body);
        if (html && !h['content-security-policy']) problems.push(`${what}: HTML without CSP`);
        if (html && h['referrer-policy'] !== 'no-referrer')
          problems.push(`${what}: HTML without no-referrer`);
        if ((html || carries) && h['cache-control'] !== 'no-store')
          problems.push(`${what}: ${h['cache-control']}, not no-store`);
      }
      assert.deepEqual(problems, []);
    });
  });
}
