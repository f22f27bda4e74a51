import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { importJWK, type JWK, type JWTPayload, SignJWT } from 'jose';
import { assertProblem } from '../support/admin.js';
import { client, createTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/db.js';
import { actor, invite, organization } from '../support/fixtures.js';

// JWT forgeries and claim cases that test/http/auth.test.ts does not already hold (RELIABILITY-PLAN
// cases 31–33): HMAC keyed with the public key in the forms an attacker can read it (PEM, the JWK's
// coordinates), a token over 8 KB, and a verified email claim that is false, missing or not a boolean.

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

for (const dialect of dialects()) {
  describe(`[${dialect}] bearer forgeries and claims`, () => {
    let t: TestApp;
    let key: CryptoKey;
    let publicJwk: JWK;
    let kid: string;
    const iss = 'http://admit.test';
    const now = () => Math.floor(t.clock.now() / 1000);
    const claims = (extra: JWTPayload = {}): JWTPayload => ({
      iss,
      aud: iss,
      sub: 'email|someone',
      email: 'someone@example.com',
      email_verified: true,
      iat: now(),
      exp: now() + 600,
      ...extra,
    });
    const sign = (payload: JWTPayload) =>
      new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' }).sign(key);
    const unauthorized = async (token: string) => {
      const res = await client(t.app, token).get('/v1/organizations');
      assertProblem(res, 401);
      assert.match(String(res.headers['www-authenticate']), /^Bearer/);
    };

    before(async () => {
      t = await createTestApp(dialect);
      const row = await t.rt.db.kysely.selectFrom('signing_keys').selectAll().executeTakeFirstOrThrow();
      kid = row.kid;
      publicJwk = JSON.parse(row.public_jwk) as JWK;
      key = (await importJWK(
        JSON.parse(t.rt.sealer.open(row.private_sealed, 'signing-key')!) as JWK,
        'ES256',
      )) as CryptoKey;
    });
    after(() => t.close());

    it('refuses HS256/384/512 keyed with the published public key as PEM, DER or JWK coordinates', async () => {
      const pub = createPublicKey({ key: publicJwk as import('node:crypto').JsonWebKey, format: 'jwk' });
      const secrets = [
        pub.export({ type: 'spki', format: 'pem' }),
        pub.export({ type: 'spki', format: 'der' }),
        Buffer.from(JSON.stringify(publicJwk)),
        Buffer.from(`${publicJwk.x}${publicJwk.y}`),
      ];
      for (const alg of ['HS256', 'HS384', 'HS512']) {
        for (const secret of secrets) {
          const bytes =
            typeof secret === 'string' ? new TextEncoder().encode(secret) : new Uint8Array(secret);
          await unauthorized(await new SignJWT(claims()).setProtectedHeader({ alg, kid }).sign(bytes));
        }
      }
    });

    it('refuses a header that names a key to fetch or embeds one (jku, x5u, jwk)', async () => {
      const [, payload, signature] = (await sign(claims())).split('.');
      for (const extra of [
        { jku: 'http://127.0.0.1:9/jwks' },
        { x5u: 'http://127.0.0.1:9/cert' },
        { jwk: publicJwk },
      ]) {
        // the signature no longer covers the changed header: refused, and nothing is fetched
        await unauthorized(`${b64({ alg: 'ES256', kid, ...extra })}.${payload}.${signature}`);
      }
      for (const weird of ['../../etc/passwd', "' OR 1=1--", 'k'.repeat(10_000)]) {
        await unauthorized(`${b64({ alg: 'ES256', kid: weird })}.${payload}.${signature}`);
      }
    });

    it('answers a token over 8 KB with 401 invalid_token, whatever it holds, never 431 or 5xx', async () => {
      const padded = await sign(claims({ pad: 'x'.repeat(9_000) }));
      assert.ok(padded.length > 8 * 1024);
      for (const token of [padded, `${b64({ alg: 'ES256', kid })}.${'A'.repeat(12_000)}.${'B'.repeat(86)}`]) {
        const res = await client(t.app, token).get('/v1/organizations');
        assertProblem(res, 401, 'invalid_token');
        assert.match(String(res.headers['www-authenticate']), /error="invalid_token"/);
      }
    });

    it('a verified-email claim that is false, missing or not a boolean cannot accept or use the invitee API', async () => {
      const owner = await actor(t, 'owner@example.com');
      const org = await organization(owner);
      for (const [n, verified] of [
        [1, false],
        [2, undefined],
        [3, 'yes'],
        [4, 1],
      ] as const) {
        const email = `unverified${n}@example.com`;
        const inv = await invite(owner, org, email, 'member', { sendEmail: false });
        const token = await sign(claims({ sub: `email|u${n}`, email, email_verified: verified }));
        const api = client(t.app, token);
        const accept = await api.post(`/api/v1/invitations/${inv.token}/accept`);
        assert.equal(accept.statusCode, 403, accept.body);
        assert.equal(accept.json<{ error: { code: string } }>().error.code, 'email_unverified');
        assertProblem(await api.get('/invitations'), 403, 'email_unverified');
        // still pending for the real owner of the address
        const preview = await client(t.app).get(`/api/v1/invitations/${inv.token}`);
        assert.equal(preview.statusCode, 200);
      }
    });
  });
}
