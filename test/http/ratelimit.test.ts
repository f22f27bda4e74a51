import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/db.js';
import { actor, invite, organization } from '../support/fixtures.js';

const get = (t: TestApp, url: string, remoteAddress: string, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'GET', url, remoteAddress, headers });

for (const dialect of dialects()) {
  describe(`[${dialect}] rate limiting of the public token reads (RATE_LIMIT_PUBLIC=3/1m)`, () => {
    let t: TestApp;
    let token: string;
    before(async () => {
      t = await createTestApp(dialect, { RATE_LIMIT_PUBLIC: '3/1m' });
      const alice = await actor(t, 'alice@example.com');
      const org = await organization(alice);
      token = (await invite(alice, org, 'bob@example.com', 'member', { sendEmail: false })).token;
    });
    after(() => t.close());

    it('answers the 4th GET from one IP with 429, Retry-After and the envelope body', async () => {
      const ip = '10.0.0.1';
      for (let i = 0; i < 3; i++)
        assert.equal((await get(t, `/api/v1/invitations/${token}`, ip)).statusCode, 200);
      const res = await get(t, `/api/v1/invitations/${token}`, ip);
      assert.equal(res.statusCode, 429, res.body);
      const retry = Number(res.headers['retry-after']);
      assert.ok(retry >= 1 && retry <= 60, `Retry-After ${res.headers['retry-after']}`);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      const body = res.json();
      assert.deepEqual(body, {
        success: false,
        error: { code: 'rate_limited', message: body.message },
        message: body.message,
      });
      // unknown tokens count too (brute force), and another IP has its own budget
      assert.equal((await get(t, `/api/v1/invitations/inv_${'C'.repeat(43)}`, ip)).statusCode, 429);
      assert.equal((await get(t, `/api/v1/invitations/${token}`, '10.0.0.2')).statusCode, 200);
    });

    it('limits GET /invite/:token too, answering an HTML 429 page', async () => {
      const ip = '10.0.0.3';
      for (let i = 0; i < 3; i++) assert.equal((await get(t, `/invite/${token}`, ip)).statusCode, 200);
      const res = await get(t, `/invite/${token}`, ip);
      assert.equal(res.statusCode, 429);
      assert.ok(Number(res.headers['retry-after']) >= 1);
      assert.match(String(res.headers['content-type']), /^text\/html/);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.match(res.body, /Too many requests/);
    });

    it('does not let a spoofed X-Forwarded-For reset the budget without TRUST_PROXY', async () => {
      const ip = '10.0.0.4';
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const res = await get(t, `/api/v1/invitations/${token}`, ip, { 'x-forwarded-for': `203.0.113.${i}` });
        statuses.push(res.statusCode);
      }
      assert.deepEqual(statuses, [200, 200, 200, 429, 429, 429]);
    });

    it('does not limit authenticated endpoints', async () => {
      const bob = await actor(t, 'bob@example.com');
      for (let i = 0; i < 6; i++) assert.equal((await bob.api.get('/invitations')).statusCode, 200);
    });
  });

  describe(`[${dialect}] rate limiting behind a trusted proxy (TRUST_PROXY=127.0.0.1)`, () => {
    let t: TestApp;
    let token: string;
    before(async () => {
      t = await createTestApp(dialect, { RATE_LIMIT_PUBLIC: '3/1m', TRUST_PROXY: '127.0.0.1' });
      const alice = await actor(t, 'alice@example.com');
      const org = await organization(alice);
      token = (await invite(alice, org, 'bob@example.com', 'member', { sendEmail: false })).token;
    });
    after(() => t.close());

    it('keys on the forwarded client address', async () => {
      const url = `/api/v1/invitations/${token}`;
      for (let i = 0; i < 3; i++) {
        assert.equal((await get(t, url, '127.0.0.1', { 'x-forwarded-for': '198.51.100.7' })).statusCode, 200);
      }
      assert.equal((await get(t, url, '127.0.0.1', { 'x-forwarded-for': '198.51.100.7' })).statusCode, 429);
      assert.equal((await get(t, url, '127.0.0.1', { 'x-forwarded-for': '198.51.100.8' })).statusCode, 200);
      // an untrusted peer's X-Forwarded-For is ignored: it is keyed on its own address
      for (let i = 0; i < 3; i++) {
        assert.equal(
          (await get(t, url, '192.0.2.9', { 'x-forwarded-for': `198.51.100.${20 + i}` })).statusCode,
          200,
        );
      }
      assert.equal((await get(t, url, '192.0.2.9', { 'x-forwarded-for': '198.51.100.99' })).statusCode, 429);
    });
  });
}
