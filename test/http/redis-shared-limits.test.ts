import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../support/app.js';
import { dialects, freshDatabase } from '../support/db.js';
import { actor, invite, organization } from '../support/fixtures.js';

// With REDIS_URL, rate limits and quotas are shared by every process. Two app instances on one
// database stand in for two processes. Runs when TEST_REDIS_URL is set (CI sets it and starts Redis).

const REDIS = process.env.TEST_REDIS_URL;

for (const dialect of dialects()) {
  describe(`[${dialect}] limits shared through Redis`, { skip: !REDIS && 'needs TEST_REDIS_URL' }, () => {
    let a: TestApp;
    let b: TestApp;
    before(async () => {
      const env = { REDIS_URL: REDIS!, RATE_LIMIT_PUBLIC: '3/1m', INVITE_QUOTA_RECIPIENT_ALL: '2/1d' };
      a = await createTestApp(dialect, env);
      const { url } = await freshDatabase(dialect);
      b = await createTestApp(dialect, { ...env, DATABASE_URL: url });
    });
    after(async () => {
      await a.close();
      await b.close();
    });

    it('counts public token reads from one address across processes', async () => {
      // a fresh address per run: Redis keeps the window between runs
      const ip = `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
      const url = `/api/v1/invitations/inv_${randomBytes(32).toString('base64url')}`;
      const statuses: number[] = [];
      for (const t of [a, b, a, b]) {
        statuses.push((await t.app.inject({ method: 'GET', url, remoteAddress: ip })).statusCode);
      }
      assert.deepEqual(statuses, [404, 404, 404, 429]);
      const limited = await b.app.inject({ method: 'GET', url, remoteAddress: ip });
      assert.ok(Number(limited.headers['retry-after']) >= 1);
      assert.equal(JSON.parse(limited.body).error.code, 'rate_limited');
    });

    it('counts invitations to one recipient across processes and organizations', async () => {
      const recipient = `r-${randomBytes(6).toString('hex')}@example.com`;
      const ownerA = await actor(a, 'owner-a@example.com');
      const ownerB = await actor(b, 'owner-b@example.com');
      const orgA = await organization(ownerA);
      await invite(ownerA, orgA, recipient, 'member', { sendEmail: false });
      // refused creates give their units back in Redis too
      for (let i = 0; i < 3; i++) {
        const dup = { email: recipient, role: 'member', sendEmail: false };
        assert.equal((await ownerA.api.post(`/v1/organizations/${orgA}/invitations`, dup)).statusCode, 409);
      }
      await invite(ownerB, await organization(ownerB), recipient, 'member', { sendEmail: false });
      const third = await ownerB.api.post(`/v1/organizations/${await organization(ownerB)}/invitations`, {
        email: recipient,
        role: 'member',
        sendEmail: false,
      });
      assert.equal(third.statusCode, 429, third.body);
      assert.equal(third.json<{ code: string }>().code, 'invitation_quota_exceeded');
      assert.ok(Number(third.headers['retry-after']) >= 1);
    });
  });
}
