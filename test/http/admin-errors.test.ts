import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertProblem, checkedActor } from '../support/admin.js';
import { client, createTestApp, type TestApp } from '../support/app.js';
import { checkedClient, contractOf } from '../support/contract.js';
import { dialects } from '../support/db.js';
import { type Actor, invite } from '../support/fixtures.js';

// SPEC §5 as the admin API can produce it: problem+json with a stable code, never a 500 for bad input.

for (const dialect of dialects()) {
  describe(`[${dialect}] admin API errors`, () => {
    let t: TestApp;
    let alice: Actor;
    let org: string;
    const inv = () => `/v1/organizations/${org}/invitations`;
    before(async () => {
      t = await createTestApp(dialect);
      alice = await checkedActor(t, 'alice@example.com');
      org = (await alice.api.post('/v1/organizations', { name: 'Acme' })).json<{ id: string }>().id;
    });
    after(() => t.close());

    const raw = async (method: 'POST' | 'PATCH', url: string, payload: string, contentType: string) => {
      const res = await t.app.inject({
        method,
        url,
        payload,
        headers: { authorization: `Bearer ${alice.token}`, 'content-type': contentType },
      });
      contractOf(t.app).check(method, url, res);
      return res;
    };

    it('400 malformed_json for a body that is not JSON', async () => {
      assertProblem(
        await raw('POST', '/v1/organizations', '{"name":', 'application/json'),
        400,
        'malformed_json',
      );
      assertProblem(await raw('POST', inv(), "{'email':'x'}", 'application/json'), 400, 'malformed_json');
      assertProblem(await raw('POST', '/v1/organizations', '', 'application/json'), 400);
    });

    it('400 validation_failed for schema violations, without type coercion', async () => {
      const cases: [string, unknown][] = [
        ['/v1/organizations', {}],
        ['/v1/organizations', { name: '' }],
        ['/v1/organizations', { name: 5 }],
        ['/v1/organizations', { name: 'x'.repeat(201) }],
        ['/v1/organizations', { name: ['Acme'] }],
        ['/v1/organizations', []],
        ['/v1/organizations', '"Acme"'],
        ['/v1/organizations', '42'],
        ['/v1/organizations', null],
        [inv(), { email: 'a@example.com' }],
        [inv(), { email: 'a@example.com', role: 'member', sendEmail: 'true' }],
        [inv(), { email: 'a@example.com', role: 'member', sendEmail: 1 }],
        [inv(), { email: 'a@example.com', role: 'member', expiresInDays: '3' }],
        [inv(), { email: 'a@example.com', role: 'member', expiresInDays: 1.5 }],
        [inv(), { email: 42, role: 'member' }],
        [inv(), { email: 'a@example.com', role: 'member', workspaceId: 'nope' }],
      ];
      for (const [url, body] of cases) {
        const res = await alice.api.post(url, body);
        assertProblem(res, 400, 'validation_failed');
      }
    });

    it('400 validation_failed for text holding U+0000, on both databases (PostgreSQL cannot store it)', async () => {
      const cases: [string, unknown][] = [
        ['/v1/organizations', { name: 'a\u0000b' }],
        [`/v1/organizations/${org}/roles`, { key: 'nul', name: '\u0000', permissions: [] }],
        [`/v1/organizations/${org}/workspaces`, { name: 'W\u0000' }],
      ];
      for (const [url, body] of cases) {
        const res = await alice.api.post(url, body);
        assertProblem(res, 400, 'validation_failed');
        assert.match(res.json<{ detail: string }>().detail, /U\+0000/);
      }
      const renamed = await alice.api.patch(`/v1/organizations/${org}`, { name: 'x\u0000' });
      assertProblem(renamed, 400, 'validation_failed');
      assert.equal((await alice.api.get(`/v1/organizations/${org}`)).json<{ name: string }>().name, 'Acme');
    });

    it('400 for unknown body fields (refused, not stripped)', async () => {
      const res = await alice.api.post('/v1/organizations', { name: 'Acme', owner: 'me' });
      assertProblem(res, 400, 'validation_failed');
      assert.match(res.json<{ detail: string }>().detail, /owner/);
      assertProblem(
        await alice.api.post(inv(), { email: 'a@example.com', role: 'member', status: 'accepted' }),
        400,
      );
      assertProblem(await alice.api.patch(`/v1/organizations/${org}`, { name: 'X', memberCount: 3 }), 400);
      assertProblem(
        await alice.api.post(`${inv()}/00000000-0000-4000-8000-000000000000/resend`, { url: 'x' }),
        400,
      );
    });

    it('400 for a malformed uuid in the path', async () => {
      for (const url of [
        '/v1/organizations/not-a-uuid',
        '/v1/organizations/123/members',
        `/v1/organizations/${org}/invitations/xyz`,
        `/v1/organizations/${org}/invitations/${org}x`,
      ]) {
        const res = await alice.api.get(url);
        assertProblem(res, 400, 'validation_failed');
        assert.match(res.json<{ detail: string }>().detail, /UUID/);
      }
      assertProblem(await alice.api.delete(`/v1/organizations/${org}/members/me`), 400);
      assertProblem(await alice.api.patch(`/v1/organizations/${org}/roles/1`, { name: 'x' }), 400);
    });

    it('400 invalid_email through HTTP; the canonical form in responses', async () => {
      for (const email of [
        'a@b.com\r\nBcc: x@y.com',
        '"quoted"@example.com',
        'a(comment)@example.com',
        'a b@example.com',
        'a@b@example.com',
        'jörg@example.com',
        'no-at-sign',
        `${'a'.repeat(65)}@example.com`,
      ]) {
        assertProblem(await alice.api.post(inv(), { email, role: 'member' }), 400, 'invalid_email');
      }
      const idn = await invite(alice, org, 'Kim@Bücher.example');
      assert.equal(idn.email, 'kim@xn--bcher-kva.example');
      const nfc = await invite(alice, org, 'Lu@Cafe\u0301.example');
      assert.equal(nfc.email, 'lu@xn--caf-dma.example');
      assertProblem(
        await alice.api.post(inv(), { email: 'lu@café.example', role: 'member' }),
        409,
        'invitation_pending',
      );
      const tagged = await invite(alice, org, 'Max+Team@Example.com');
      assert.equal(tagged.email, 'max+team@example.com');
    });

    it('400 unknown_role', async () => {
      assertProblem(
        await alice.api.post(inv(), { email: 'a@example.com', role: 'Owner' }),
        400,
        'unknown_role',
      );
    });

    it('400 for a bad cursor, status or limit out of 1–200', async () => {
      for (const q of [
        'cursor=garbage',
        `cursor=${Buffer.from('[1]').toString('base64url')}`,
        `cursor=${Buffer.from('{"a":1}').toString('base64url')}`,
        `cursor=${Buffer.from('["x","y"]').toString('base64url')}`,
      ]) {
        assertProblem(await alice.api.get(`${inv()}?${q}`), 400, 'invalid_cursor');
      }
      for (const q of ['limit=0', 'limit=201', 'limit=-1', 'limit=abc', 'limit=1.5', 'status=gone']) {
        assertProblem(await alice.api.get(`${inv()}?${q}`), 400, 'validation_failed');
      }
      assert.equal((await alice.api.get(`${inv()}?limit=1`)).statusCode, 200);
      assert.equal((await alice.api.get(`${inv()}?limit=200`)).statusCode, 200);
    });

    it('401 with WWW-Authenticate: Bearer when the token is missing, malformed, expired or forged', async () => {
      const anon = checkedClient(t.app);
      const missing = await anon.post('/v1/organizations', { name: 'X' });
      assertProblem(missing, 401, 'unauthorized');
      assert.match(String(missing.headers['www-authenticate']), /^Bearer/);
      for (const header of [
        'Bearer',
        'Bearer abc',
        'Basic YTpi',
        `bearer ${alice.token}x.y`,
        'Bearer a.b.c',
      ]) {
        const res = await t.app.inject({
          method: 'GET',
          url: '/v1/organizations',
          headers: { authorization: header },
        });
        assertProblem(res, 401);
        assert.match(String(res.headers['www-authenticate']), /^Bearer/);
      }
      const expired = await t.rt.issuer!.sign({ email: 'alice@example.com', ttlSeconds: -60 });
      const res = await client(t.app, expired).get('/v1/organizations');
      assertProblem(res, 401, 'invalid_token');
      assert.match(String(res.headers['www-authenticate']), /^Bearer error="invalid_token"/);
      const [h, p, s] = alice.token.split('.');
      const forged = `${h}.${p}.${s?.startsWith('A') ? 'B' : 'A'}${s?.slice(1)}`;
      assertProblem(await client(t.app, forged).get('/v1/organizations'), 401, 'invalid_token');
      for (const url of [`/v1/organizations/${org}`, inv(), `/v1/organizations/${org}/members`]) {
        assertProblem(await anon.get(url), 401);
      }
    });

    it('403 forbidden for a member lacking the permission; 404 for a non-member', async () => {
      const bob = await checkedActor(t, 'bob@example.com');
      const stranger = await checkedActor(t, 'stranger@example.com');
      const i = await invite(alice, org, bob.email, 'member', { sendEmail: false });
      assert.equal((await bob.api.post(`/api/v1/invitations/${i.token}/accept`)).statusCode, 200);
      assertProblem(await bob.api.post(inv(), { email: 'c@example.com', role: 'member' }), 403, 'forbidden');
      assertProblem(
        await stranger.api.post(inv(), { email: 'c@example.com', role: 'member' }),
        404,
        'organization_not_found',
      );
      assertProblem(
        await alice.api.get('/v1/organizations/00000000-0000-4000-8000-000000000000'),
        404,
        'organization_not_found',
      );
    });

    it('404 problem+json for unknown routes under /v1 and elsewhere', async () => {
      for (const url of [
        '/v1/nothing',
        `/v1/organizations/${org}/teams`,
        '/nope',
        '/v1/organizations/x/y/z/w',
      ]) {
        const res = await alice.api.get(url);
        assertProblem(res, 404, 'not_found');
      }
      assertProblem(await alice.api.patch('/v1/organizations', { name: 'x' }), 404);
    });

    it('413 for a body over 64 KiB', async () => {
      const big = JSON.stringify({ name: 'x'.repeat(70 * 1024) });
      assertProblem(
        await raw('POST', '/v1/organizations', big, 'application/json'),
        413,
        'payload_too_large',
      );
      assertProblem(await raw('POST', inv(), big, 'application/json'), 413, 'payload_too_large');
    });

    it('415 for a JSON endpoint called with another content type', async () => {
      assertProblem(
        await raw('POST', '/v1/organizations', 'name=Acme', 'text/plain'),
        415,
        'unsupported_media_type',
      );
      assertProblem(
        await raw('POST', inv(), 'email=a%40example.com&role=member', 'application/x-www-form-urlencoded'),
        415,
        'unsupported_media_type',
      );
      assertProblem(await raw('PATCH', `/v1/organizations/${org}`, '<x/>', 'application/xml'), 415);
    });

    it('never answers 500 to hostile input', async () => {
      const hostile = [
        { name: { $gt: '' } },
        { name: 'x', __proto__: { admin: true } },
        JSON.parse('{"name":"x","constructor":{"prototype":{"admin":true}}}'),
      ];
      for (const body of hostile) {
        const res = await alice.api.post('/v1/organizations', body);
        assert.ok(res.statusCode < 500, res.body);
      }
      const proto = await raw(
        'POST',
        '/v1/organizations',
        '{"name":"x","__proto__":{"a":1}}',
        'application/json',
      );
      assertProblem(proto, 400);
      const res = await alice.api.get(`${inv()}?cursor=${'%FF'.repeat(100)}`);
      assert.ok(res.statusCode < 500, res.body);
    });
  });
}
