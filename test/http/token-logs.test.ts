import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/db.js';
import { actor, invite, organization } from '../support/fixtures.js';

const TOKEN_SHAPE = /inv_[A-Za-z0-9_-]{10,}/;

for (const dialect of dialects()) {
  describe(`[${dialect}] no invitation token in any log line (RELIABILITY-PLAN case 24)`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(dialect, { LOG_LEVEL: 'trace', RATE_LIMIT_PUBLIC: '50/1m' });
    });
    after(() => t.close());

    it('keeps tokens out of logs across create, preview, page, accept, decline, resend, 404s and 429s', async () => {
      const tokens: string[] = [];
      const alice = await actor(t, 'alice@example.com', { name: 'Alice' });
      const bob = await actor(t, 'bob@example.com');
      const carol = await actor(t, 'carol@example.com');
      const org = await organization(alice);
      const a = await invite(alice, org, bob.email, 'member', { sendEmail: false });
      const b = await invite(alice, org, carol.email, 'member');
      tokens.push(a.token, b.token);
      const resent = await alice.api.post(`/v1/organizations/${org}/invitations/${b.id}/resend`, {
        sendEmail: false,
      });
      const newUrl = resent.json<{ url: string }>().url;
      const c = newUrl.slice(newUrl.lastIndexOf('/') + 1);
      tokens.push(c);

      await t.app.inject({ method: 'GET', url: `/api/v1/invitations/${a.token}` });
      await t.app.inject({ method: 'GET', url: `/invite/${a.token}` });
      await t.app.inject({ method: 'GET', url: `/api/v1/invitations/${a.token}?utm=${a.token}` });
      await carol.api.post(`/api/v1/invitations/${a.token}/accept`); // 403 mismatch
      await t.app.inject({ method: 'POST', url: `/api/v1/invitations/${a.token}/accept` }); // 401
      await bob.api.post(`/api/v1/invitations/${a.token}/accept`);
      await bob.api.post(`/api/v1/invitations/${a.token}/accept`); // 410
      await t.app.inject({ method: 'GET', url: `/invite/${a.token}` }); // 410 page
      await carol.api.post(`/api/v1/invitations/${b.token}/decline`); // old token: 404
      await carol.api.post(`/api/v1/invitations/${c}/decline`);
      for (const unknown of [`inv_${'Z'.repeat(43)}`, 'inv_partial-secret', `x${'Q'.repeat(250)}`]) {
        tokens.push(unknown);
        await t.app.inject({ method: 'GET', url: `/api/v1/invitations/${unknown}` });
        await t.app.inject({ method: 'GET', url: `/invite/${unknown}` });
        await t.app.inject({ method: 'POST', url: `/api/v1/invitations/${unknown}/accept` });
      }
      for (let i = 0; i < 55; i++) {
        await t.app.inject({
          method: 'GET',
          url: `/api/v1/invitations/${a.token}`,
          remoteAddress: '10.9.9.9',
        });
      }

      assert.ok(t.logs.length > 20, `captured ${t.logs.length} log lines`);
      assert.ok(
        t.logs.some((l) => l.includes('[redacted]')),
        'token URLs are logged redacted',
      );
      for (const line of t.logs) {
        for (const token of tokens) {
          assert.ok(!line.includes(token), `a log line contains a token: ${line.slice(0, 300)}`);
          assert.ok(
            !line.includes(token.slice(4, 24)),
            `a log line contains part of a token: ${line.slice(0, 300)}`,
          );
        }
        assert.doesNotMatch(line, TOKEN_SHAPE, line.slice(0, 300));
      }
    });
  });
}
