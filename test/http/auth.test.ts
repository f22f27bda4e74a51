import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, importJWK, type JWK, type JWTPayload, SignJWT } from 'jose';
import { VERIFIED_TOKEN_TTL_MS } from '../../src/platform/auth/verifier.js';
import { assertProblem } from '../support/admin.js';
import { client, createTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/db.js';

// SPEC §3: bearer verification (signature, exp, nbf, iss, aud; pinned algorithms; kid selects only from
// the configured set) in built-in and external mode; users provisioned just in time by (issuer, sub).

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

for (const dialect of dialects()) {
  describe(`[${dialect}] built-in mode token verification`, () => {
    let t: TestApp;
    let realKey: CryptoKey;
    let kid: string;
    const iss = 'http://admit.test';
    const now = () => Math.floor(t.clock.now() / 1000);
    const claims = (extra: JWTPayload = {}): JWTPayload => ({
      iss,
      aud: iss,
      sub: 'email|forged',
      email: 'mallory@example.com',
      email_verified: true,
      iat: now(),
      exp: now() + 600,
      ...extra,
    });
    const sign = (payload: JWTPayload, header: Record<string, unknown> = {}, key: CryptoKey = realKey) =>
      new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT', ...header }).sign(key);
    const call = (token: string) => client(t.app, token).post('/v1/organizations', { name: 'X' });
    const unauthorized = async (token: string) => {
      const res = await call(token);
      assertProblem(res, 401);
      assert.match(String(res.headers['www-authenticate']), /^Bearer/);
    };

    before(async () => {
      t = await createTestApp(dialect);
      const row = await t.rt.db.kysely.selectFrom('signing_keys').selectAll().executeTakeFirstOrThrow();
      kid = row.kid;
      const opened = t.rt.sealer.open(row.private_sealed, 'signing-key');
      assert.ok(opened, 'the signing key unseals with ADMIT_SECRET');
      realKey = (await importJWK(JSON.parse(opened) as JWK, 'ES256')) as CryptoKey;
      assert.ok(!row.private_sealed.includes('"d"'), 'the private key is sealed at rest');
    });
    after(() => t.close());

    it('accepts a token signed by the built-in key with the right claims', async () => {
      const res = await call(await sign(claims()));
      assert.equal(res.statusCode, 201, res.body);
    });

    it('publishes its public keys at /.well-known/jwks.json, without private parts', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
      assert.equal(res.statusCode, 200);
      const keys = res.json<{ keys: JWK[] }>().keys;
      assert.ok(keys.some((k) => k.kid === kid && k.kty === 'EC' && k.crv === 'P-256'));
      for (const k of keys) assert.equal(k.d, undefined);
    });

    it('stops answering a kept token as soon as its key has left the key set', async () => {
      const pair = await generateKeyPair('ES256', { extractable: true });
      const kid2 = 'rotated-out-key';
      const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: kid2, alg: 'ES256', use: 'sig' };
      await t.rt.db.kysely
        .insertInto('signing_keys')
        .values({
          kid: kid2,
          alg: 'ES256',
          public_jwk: JSON.stringify(publicJwk),
          private_sealed: t.rt.sealer.seal(JSON.stringify(await exportJWK(pair.privateKey)), 'signing-key'),
          created_at: t.clock.now() - 1,
        })
        .execute();
      const token = await sign(claims({ sub: 'email|rotated' }), { kid: kid2 }, pair.privateKey);
      assert.equal((await call(token)).statusCode, 201, 'an unknown kid reloads the key set once');
      await t.rt.db.kysely.deleteFrom('signing_keys').where('kid', '=', kid2).execute();
      // past the refetch cooldown (30 s), within the kept time (60 s) and the token's life (600 s)
      t.clock.advance(31_000);
      // another unknown kid makes the verifier reload the key set, which no longer holds kid2
      await unauthorized(await sign(claims(), { kid: 'never-published' }));
      await unauthorized(token);
    });

    it('refuses alg none', async () => {
      await unauthorized(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`);
      await unauthorized(`${b64({ alg: 'none', typ: 'JWT', kid })}.${b64(claims())}.`);
    });

    it('refuses HS256, whatever the secret', async () => {
      for (const secret of ['secret', 'test-secret-test-secret-test-secret-0123456789', kid]) {
        const token = await new SignJWT(claims())
          .setProtectedHeader({ alg: 'HS256', kid })
          .sign(new TextEncoder().encode(secret));
        await unauthorized(token);
      }
      const jwks = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).body;
      const token = await new SignJWT(claims())
        .setProtectedHeader({ alg: 'HS256', kid })
        .sign(new TextEncoder().encode(jwks));
      await unauthorized(token);
    });

    it('refuses a wrong issuer or audience', async () => {
      await unauthorized(await sign(claims({ iss: 'http://evil.test' })));
      await unauthorized(await sign(claims({ aud: 'someone-else' })));
      await unauthorized(await sign(claims({ aud: undefined })));
    });

    it('refuses expired tokens, tokens not yet valid, and tokens without exp or sub', async () => {
      await unauthorized(await sign(claims({ exp: now() - 60 })));
      await unauthorized(await sign(claims({ nbf: now() + 600 })));
      await unauthorized(await sign(claims({ exp: undefined })));
      await unauthorized(await sign(claims({ sub: undefined })));
    });

    it('refuses an unknown kid and a signature by another key', async () => {
      await unauthorized(await sign(claims(), { kid: 'unknown-kid' }));
      const other = await generateKeyPair('ES256');
      await unauthorized(await sign(claims(), {}, other.privateKey));
      await unauthorized(await sign(claims(), { kid: 'unknown-kid' }, other.privateKey));
    });

    it('refuses a tampered payload', async () => {
      const token = await sign(claims());
      const [h, , s] = token.split('.');
      await unauthorized(`${h}.${b64(claims({ email: 'root@example.com', scope: 'admit:admin' }))}.${s}`);
    });
  });

  describe(`[${dialect}] external mode (JWKS from discovery, userinfo fallback)`, () => {
    let server: Server;
    let t: TestApp;
    let issuer: string;
    let key: CryptoKey;
    const kid = 'ext-key-1';
    const userinfo = new Map<string, Record<string, unknown>>();
    let userinfoCalls = 0;
    let userinfoDown = false;

    before(async () => {
      const pair = await generateKeyPair('ES256');
      key = pair.privateKey;
      const publicJwk = { ...(await exportJWK(pair.publicKey)), kid, alg: 'ES256', use: 'sig' };
      server = createServer((req, res) => {
        const send = (status: number, body: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        if (req.url === '/.well-known/openid-configuration') {
          return send(200, {
            issuer,
            jwks_uri: `${issuer}/jwks`,
            userinfo_endpoint: `${issuer}/userinfo`,
          });
        }
        if (req.url === '/jwks') return send(200, { keys: [publicJwk] });
        if (req.url === '/userinfo') {
          userinfoCalls++;
          if (userinfoDown) return send(502, { error: 'bad_gateway' });
          const token = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
          const info = userinfo.get(token);
          return info ? send(200, info) : send(401, { error: 'invalid_token' });
        }
        send(404, {});
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      t = await createTestApp(dialect, {
        AUTH_ISSUER: issuer,
        AUTH_AUDIENCE: 'admit-test',
        AUTH_ADMIN_SCOPE: 'tenant:superuser',
      });
    });
    after(async () => {
      await t.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    const mint = (payload: JWTPayload, opts: { aud?: string; kid?: string; signer?: CryptoKey } = {}) => {
      const nowS = Math.floor(t.clock.now() / 1000);
      return new SignJWT(payload)
        .setProtectedHeader({ alg: 'ES256', kid: opts.kid ?? kid })
        .setIssuer(issuer)
        .setAudience(opts.aud ?? 'admit-test')
        .setIssuedAt(nowS)
        .setExpirationTime(nowS + 600)
        .sign(opts.signer ?? key);
    };
    const userRow = (sub: string) =>
      t.rt.db.kysely
        .selectFrom('users')
        .selectAll()
        .where('issuer', '=', issuer)
        .where('subject', '=', sub)
        .executeTakeFirst();

    it('accepts a token signed by the issuer’s key and provisions the user just in time', async () => {
      assert.equal(await userRow('user-1'), undefined);
      const token = await mint({
        sub: 'user-1',
        email: 'Ext.User@Example.com',
        email_verified: true,
        name: 'Ext',
      });
      const res = await client(t.app, token).post('/v1/organizations', { name: 'External Co' });
      assert.equal(res.statusCode, 201, res.body);
      const row = await userRow('user-1');
      assert.ok(row);
      assert.equal(row.email, 'ext.user@example.com', 'stored canonical');
      assert.equal(row.email_verified, 1);
      assert.equal(row.name, 'Ext');
    });

    it('updates the user when the name claim changes, and writes nothing when nothing changed', async () => {
      const before = await userRow('user-1');
      assert.ok(before);
      t.clock.advance(1000);
      const same = await mint({
        sub: 'user-1',
        email: 'ext.user@example.com',
        email_verified: true,
        name: 'Ext',
      });
      assert.equal((await client(t.app, same).get('/v1/organizations')).statusCode, 200);
      assert.equal((await userRow('user-1'))?.updated_at, before.updated_at, 'no write without a change');
      t.clock.advance(1000);
      const renamed = await mint({
        sub: 'user-1',
        email: 'ext.user@example.com',
        email_verified: true,
        name: 'Ext Renamed',
      });
      const res = await client(t.app, renamed).get('/v1/organizations');
      assert.equal(res.statusCode, 200);
      assert.equal(res.json<unknown[]>().length, 1, 'the same user: same organizations');
      const after = await userRow('user-1');
      assert.equal(after?.name, 'Ext Renamed');
      assert.equal(after?.id, before.id);
      assert.ok(Number(after?.updated_at) > Number(before.updated_at));
      const count = await t.rt.db.kysely
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('issuer', '=', issuer)
        .executeTakeFirstOrThrow();
      assert.equal(Number(count.n), 1);
    });

    it('asks the userinfo endpoint when the token has no email claim', async () => {
      const token = await mint({ sub: 'user-2' });
      userinfo.set(token, { sub: 'user-2', email: 'Info@Example.com', email_verified: true, name: 'Info' });
      const calls = userinfoCalls;
      const res = await client(t.app, token).get('/invitations');
      assert.equal(res.statusCode, 200, res.body);
      assert.ok(userinfoCalls > calls, 'userinfo was asked');
      const row = await userRow('user-2');
      assert.equal(row?.email, 'info@example.com');
      assert.equal(row?.email_verified, 1);
      // cached per token
      const again = userinfoCalls;
      assert.equal((await client(t.app, token).get('/invitations')).statusCode, 200);
      assert.equal(userinfoCalls, again);
    });

    it('email_verified false → invitee endpoints answer 403 email_unverified', async () => {
      const token = await mint({ sub: 'user-3', email: 'unverified@example.com', email_verified: false });
      assertProblem(await client(t.app, token).get('/invitations'), 403, 'email_unverified');
      const viaInfo = await mint({ sub: 'user-4' });
      userinfo.set(viaInfo, { sub: 'user-4', email: 'u4@example.com', email_verified: false });
      assertProblem(await client(t.app, viaInfo).get('/invitations'), 403, 'email_unverified');
      // admin endpoints need only a signed-in user
      assert.equal((await client(t.app, token).post('/v1/organizations', { name: 'U' })).statusCode, 201);
    });

    it('refuses a wrong audience, an unknown kid and another key', async () => {
      const other = await generateKeyPair('ES256');
      for (const token of [
        await mint({ sub: 'x', email: 'x@example.com', email_verified: true }, { aud: 'other' }),
        await mint({ sub: 'x', email: 'x@example.com', email_verified: true }, { kid: 'nope' }),
        await mint({ sub: 'x', email: 'x@example.com', email_verified: true }, { signer: other.privateKey }),
      ]) {
        const res = await client(t.app, token).get('/v1/organizations');
        assertProblem(res, 401);
        assert.match(String(res.headers['www-authenticate']), /^Bearer/);
      }
    });

    it('only the scope named by AUTH_ADMIN_SCOPE makes a system administrator; admit:admin does not', async () => {
      const owner = await mint({ sub: 'owner-9', email: 'o9@example.com', email_verified: true });
      const org = (await client(t.app, owner).post('/v1/organizations', { name: 'Nine' })).json<{
        id: string;
      }>().id;
      const root = { sub: 'root', email: 'root@example.com', email_verified: true };
      assertProblem(await client(t.app, await mint(root)).get(`/v1/organizations/${org}`), 404);
      // an identity provider may grant any scope a client asks for: admit:admin means nothing here
      const asked = await mint({ ...root, scope: 'openid admit:admin' });
      assertProblem(await client(t.app, asked).get(`/v1/organizations/${org}`), 404);
      const granted = await mint({ ...root, scope: 'openid tenant:superuser' });
      assert.equal((await client(t.app, granted).get(`/v1/organizations/${org}`)).statusCode, 200);
    });

    it('with AUTH_ADMIN_SCOPE unset, no scope makes a system administrator', async () => {
      const unset = await createTestApp(dialect, { AUTH_ISSUER: issuer, AUTH_AUDIENCE: 'admit-test' });
      try {
        const owner = await mint({ sub: 'owner-10', email: 'o10@example.com', email_verified: true });
        const org = (await client(unset.app, owner).post('/v1/organizations', { name: 'Ten' })).json<{
          id: string;
        }>().id;
        for (const scope of ['admit:admin', 'tenant:superuser', 'openid admit:admin tenant:superuser']) {
          const token = await mint({ sub: 'root', email: 'root@example.com', email_verified: true, scope });
          assertProblem(await client(unset.app, token).get(`/v1/organizations/${org}`), 404);
        }
      } finally {
        await unset.close();
      }
    });

    it('refuses an ID token offered as an access token', async () => {
      const claims = { sub: 'idt', email: 'idt@example.com', email_verified: true };
      for (const extra of [
        { nonce: 'n-0S6_WzA2Mj' },
        { at_hash: 'HK6E_P6Dh8Y93mRNtsDB1Q' },
        { c_hash: 'x' },
      ]) {
        assertProblem(await client(t.app, await mint({ ...claims, ...extra })).get('/v1/organizations'), 401);
      }
      const other = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid, typ: 'logout+jwt' })
        .setIssuer(issuer)
        .setAudience('admit-test')
        .setExpirationTime(Math.floor(t.clock.now() / 1000) + 600)
        .sign(key);
      assertProblem(await client(t.app, other).get('/v1/organizations'), 401);
      // an access token marked as one (RFC 9068) is accepted, and so is a plain JWT without ID-token claims
      const at = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
        .setIssuer(issuer)
        .setAudience('admit-test')
        .setExpirationTime(Math.floor(t.clock.now() / 1000) + 600)
        .sign(key);
      assert.equal((await client(t.app, at).get('/v1/organizations')).statusCode, 200);
      assert.equal((await client(t.app, await mint(claims)).get('/v1/organizations')).statusCode, 200);
    });

    it('never keeps a failed userinfo call: an outage is 503, and the next request asks again', async () => {
      const token = await mint({ sub: 'user-5' });
      userinfoDown = true;
      const down = await client(t.app, token).get('/invitations');
      assertProblem(down, 503);
      assert.ok(down.headers['retry-after']);
      userinfoDown = false;
      userinfo.set(token, { sub: 'user-5', email: 'u5@example.com', email_verified: true });
      assert.equal((await client(t.app, token).get('/invitations')).statusCode, 200);
      // a token the issuer refuses at userinfo is 401, not an outage
      assertProblem(await client(t.app, await mint({ sub: 'user-6' })).get('/invitations'), 401);
    });

    it('verifies a kept token again after a bounded time, not only at exp', async () => {
      const token = await mint({ sub: 'user-7' });
      userinfo.set(token, { sub: 'user-7', email: 'u7@example.com', email_verified: true });
      assert.equal((await client(t.app, token).get('/invitations')).statusCode, 200);
      const calls = userinfoCalls;
      assert.equal((await client(t.app, token).get('/invitations')).statusCode, 200);
      assert.equal(userinfoCalls, calls, 'kept');
      t.clock.advance(VERIFIED_TOKEN_TTL_MS + 1000);
      // the issuer no longer vouches for it: the next request learns so
      userinfo.delete(token);
      assertProblem(await client(t.app, token).get('/invitations'), 401);
      assert.equal(userinfoCalls, calls + 1);
    });
  });
}
