import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader, importJWK, type JWK, SignJWT } from 'jose';
import * as oidc from 'openid-client';
import { ensureBuilt, spawnNode } from '../../scripts/proc.js';
import { client, createTestApp, TEST_SECRET, type TestApp } from '../support/app.js';
import { dialects, freshDatabase } from '../support/db.js';
import { waitFor } from '../support/mail.js';
import { Browser, discover, registerClient } from '../support/oauth.js';

// A rotated key's whole life against the app on a settable clock: `admit keys rotate` (another
// process, on the same database) adds a key; the app re-reads the key set on its interval and
// publishes it; from its activation the app, its OAuth2 provider included, signs with it; the old key
// keeps verifying its tokens until it retires, 31 days after the new key activated, and then leaves
// the JWKS, its tokens refused.

const DAY_MS = 86_400_000;
const REDIRECT = 'http://localhost:8123/callback';
const kidOf = (token: string) => String(decodeProtectedHeader(token).kid);

before(() => ensureBuilt());

for (const dialect of dialects()) {
  describe(`[${dialect}] a rotated key's life: published, signing, retired`, () => {
    let t: TestApp;
    let env: Record<string, string>;
    let browser: Browser;

    before(async () => {
      // the app re-reads its keys every 100 ms (real time); key states follow its settable clock
      t = await createTestApp(dialect, { SIGNING_KEYS_REFRESH: '100ms' });
      browser = new Browser(t);
      env = {
        DATABASE_URL:
          t.config.database.kind === 'postgres' ? t.config.database.url : `sqlite:${t.config.database.path}`,
        ADMIT_SECRET: TEST_SECRET,
        PUBLIC_URL: t.config.publicUrl,
        // the rotated key activates two of these after its creation
        SIGNING_KEYS_REFRESH: '1s',
      };
    });
    after(async () => {
      await browser.close();
      await t.close();
    });

    const cli = async (...args: string[]) => {
      const p = spawnNode('dist/cli/admit.js', args, env);
      const code = await p.exited;
      return { code, stdout: p.stdout(), output: p.output() };
    };
    const jwks = async (): Promise<string[]> => {
      const res = await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
      assert.equal(res.statusCode, 200);
      return res.json<{ keys: JWK[] }>().keys.map((k) => String(k.kid));
    };
    const status = async (token: string) => (await client(t.app, token).get('/v1/organizations')).statusCode;

    it('keeps the old key verifying until it retires, then drops it', async () => {
      const [oldKid] = await jwks();
      assert.ok(oldKid);
      const { record, secret } = await registerClient(t, { admin: true });
      const machine = await discover(t, record.clientId, secret);
      const { record: app } = await registerClient(t, { redirectUris: [REDIRECT], public: true });
      const person = await discover(t, app.clientId, undefined, oidc.None());

      // before the rotation: a 30-day token from the CLI, and a person's refresh token from the provider
      const minted = await cli('token', '--email', 'long@example.com', '--admin', '--expires', '30d');
      assert.equal(minted.code, 0, minted.output);
      const oldToken = minted.stdout.trim();
      assert.equal(kidOf(oldToken), oldKid);
      const verifier = oidc.randomPKCECodeVerifier();
      const url = oidc.buildAuthorizationUrl(person, {
        redirect_uri: REDIRECT,
        scope: 'openid email offline_access',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        prompt: 'consent',
      });
      const signedIn = await oidc.authorizationCodeGrant(person, await browser.signIn(url, 'p@example.com'), {
        pkceCodeVerifier: verifier,
      });
      assert.equal(kidOf(String(signedIn.id_token)), oldKid);
      assert.ok(signedIn.refresh_token);

      const rotated = await cli('keys', 'rotate');
      assert.equal(rotated.code, 0, rotated.output);
      const { kid: newKid, activates_at } = JSON.parse(rotated.stdout) as {
        kid: string;
        activates_at: string;
      };
      const activatesAt = Date.parse(activates_at);
      assert.ok(t.clock.now() < activatesAt, 'the app clock is before the activation');

      // published within an interval, not signing before its activation
      await waitFor(async () => (await jwks()).includes(newKid), 'the app publishes the new key', 15_000);
      assert.equal(kidOf(await t.token('before@example.com')), oldKid);
      assert.equal(kidOf((await oidc.clientCredentialsGrant(machine)).access_token), oldKid);

      // from the activation on, the new key signs: the app's tokens, the provider's access and ID tokens
      t.clock.set(activatesAt);
      assert.equal(kidOf(await t.token('after@example.com')), newKid);
      const machineToken = (await oidc.clientCredentialsGrant(machine)).access_token;
      assert.equal(kidOf(machineToken), newKid);
      assert.equal(await status(machineToken), 200);
      const refreshed = await oidc.refreshTokenGrant(person, signedIn.refresh_token);
      assert.equal(kidOf(refreshed.access_token), newKid);
      assert.equal(kidOf(String(refreshed.id_token)), newKid);
      assert.equal(await status(refreshed.access_token), 200);
      assert.equal(await status(oldToken), 200, 'a token of the old key still verifies');
      assert.deepEqual((await jwks()).sort(), [oldKid, newKid].sort());

      // the old key's longest token verifies until it expires, before the old key retires
      const exp = Number(decodeJwt(oldToken).exp) * 1000;
      assert.ok(exp <= activatesAt + 30 * DAY_MS);
      t.clock.set(exp - 1_000);
      assert.equal(await status(oldToken), 200);

      // a token of the old key living longer than any minted one (forged with its private half):
      // accepted until the retirement, refused from then on
      const row = await t.rt.db.kysely
        .selectFrom('signing_keys')
        .selectAll()
        .where('kid', '=', oldKid)
        .executeTakeFirstOrThrow();
      const oldKey = await importJWK(
        JSON.parse(String(t.rt.sealer.open(row.private_sealed, 'signing-key'))),
        'ES256',
      );
      const retiresAt = activatesAt + 31 * DAY_MS;
      const outliving = await new SignJWT({
        email: 'late@example.com',
        email_verified: true,
        scope: 'admit:admin',
      })
        .setProtectedHeader({ alg: 'ES256', kid: oldKid, typ: 'JWT' })
        .setIssuer(t.config.publicUrl)
        .setAudience(t.config.publicUrl)
        .setSubject('email|late')
        .setIssuedAt(Math.floor(activatesAt / 1000))
        .setExpirationTime(Math.floor((retiresAt + 30 * DAY_MS) / 1000))
        .sign(oldKey);
      t.clock.set(retiresAt - 1_000);
      assert.equal(await status(outliving), 200);
      assert.ok((await jwks()).includes(oldKid));

      t.clock.set(retiresAt);
      assert.deepEqual(await jwks(), [newKid], 'the retired key left the JWKS');
      assert.equal(await status(outliving), 401, 'a retired key verifies nothing, even a kept token');
      assert.equal(kidOf(await t.token('later@example.com')), newKid);
    });
  });
}

describe('admit keys: usage', () => {
  it('a missing or unknown command, or an argument too many, exits 2 with a message', async () => {
    const { url } = await freshDatabase('sqlite');
    for (const args of [['keys'], ['keys', 'spin'], ['keys', 'list', 'extra']]) {
      const p = spawnNode('dist/cli/admit.js', args, { DATABASE_URL: url, ADMIT_SECRET: TEST_SECRET });
      assert.equal(await p.exited, 2, p.output());
      assert.match(p.output(), /admit keys: .*\nusage:/);
    }
  });
});
