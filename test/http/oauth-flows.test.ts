import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { client, createTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/db.js';
import { actor, organization } from '../support/fixtures.js';
import { Browser, discover, registerClient } from '../support/oauth.js';

// The built-in OAuth2 / OpenID provider driven by a standards client (openid-client): client
// credentials and authorization code + PKCE give tokens the API accepts; the refusals the RFCs name.

const REDIRECT = 'http://localhost:8123/callback';

async function oauthError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof oidc.ResponseBodyError) return err.error;
    throw err;
  }
  assert.fail('expected an OAuth error');
}

for (const dialect of dialects()) {
  describe(`[${dialect}] OAuth2 provider`, () => {
    let t: TestApp;
    let browser: Browser;
    let orgId: string;
    let otherOrgId: string;

    before(async () => {
      t = await createTestApp(dialect, { SYSTEM_ADMIN_EMAILS: 'root@example.com' });
      browser = new Browser(t);
      const owner = await actor(t, 'owner@example.com');
      orgId = await organization(owner, 'Acme Corp');
      otherOrgId = await organization(owner, 'Other Corp');
    });
    after(async () => {
      await browser.close();
      await t.close();
    });

    async function pkceStart(config: oidc.Configuration, scope = 'openid email offline_access') {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT,
        scope,
        state,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        // OpenID Connect grants offline_access only with prompt=consent (Core §11); consent is implicit here
        prompt: 'consent',
      });
      return { verifier, state, url };
    }

    it('client credentials: an organization client creates invitations there and is refused elsewhere', async () => {
      const { record, secret } = await registerClient(t, {
        name: 'Provisioner',
        organization: { id: orgId, roleKey: 'admin' },
      });
      const config = await discover(t, record.clientId, secret);
      const tokens = await oidc.clientCredentialsGrant(config);
      const claims = decodeJwt(tokens.access_token);
      assert.equal(claims.aud, t.config.publicUrl);
      assert.equal(claims.iss, t.config.publicUrl);
      assert.equal(claims.sub, record.clientId);
      assert.equal(claims.scope, undefined, 'no admit:admin for an organization client');

      const api = client(t.app, tokens.access_token);
      const created = await api.post(`/v1/organizations/${orgId}/invitations`, {
        email: 'new@example.com',
        role: 'member',
        sendEmail: false,
      });
      assert.equal(created.statusCode, 201, created.body);
      assert.equal(created.json().inviterId, record.inviterUserId, 'the client is named as inviter');
      const elsewhere = await api.post(`/v1/organizations/${otherOrgId}/invitations`, {
        email: 'new@example.com',
        role: 'member',
      });
      assert.equal(elsewhere.statusCode, 404);
      const newOrg = await api.post('/v1/organizations', { name: 'Mine' });
      assert.equal(newOrg.statusCode, 403);

      // it cannot accept: it has no verified email
      const token = new URL(String(created.json().url)).pathname.split('/').pop();
      const accept = await api.post(`/api/v1/invitations/${token}/accept`);
      assert.equal(accept.statusCode, 403);
      assert.equal(accept.json<{ error: { code: string } }>().error.code, 'email_unverified');
    });

    it('client credentials: an --admin client is a system administrator; a deleted client is refused', async () => {
      const { record, secret } = await registerClient(t, { name: 'Root bot', admin: true });
      const tokens = await oidc.clientCredentialsGrant(await discover(t, record.clientId, secret));
      assert.equal(decodeJwt(tokens.access_token).scope, 'admit:admin');
      const api = client(t.app, tokens.access_token);
      const res = await api.get(`/v1/organizations/${otherOrgId}/invitations`);
      assert.equal(res.statusCode, 200, res.body);
      const { createClientsStore } = await import('../../src/oauth/clients.js');
      assert.equal(await createClientsStore(t.rt.db).delete(record.clientId), true);
      assert.equal((await api.get(`/v1/organizations/${otherOrgId}/invitations`)).statusCode, 401);
    });

    it('client credentials: a bad secret is invalid_client; a non-admin client asking for admit:admin does not get it', async () => {
      const { record, secret } = await registerClient(t, {
        name: 'Bot',
        organization: { id: orgId, roleKey: 'member' },
      });
      assert.equal(
        await oauthError(oidc.clientCredentialsGrant(await discover(t, record.clientId, `${secret}x`))),
        'invalid_client',
      );
      const tokens = await oidc.clientCredentialsGrant(await discover(t, record.clientId, secret), {
        scope: 'admit:admin',
      });
      assert.equal(decodeJwt(tokens.access_token).scope, undefined);
    });

    it('authorization code + PKCE: the signed-in person gets tokens the API accepts, with a stable subject', async () => {
      const { record } = await registerClient(t, { name: 'SPA', public: true, redirectUris: [REDIRECT] });
      const config = await discover(t, record.clientId, undefined, oidc.None());
      const { verifier, state, url } = await pkceStart(config, 'openid email offline_access admit:admin');
      const back = await browser.signIn(url, 'Person@Example.com');
      const tokens = await oidc.authorizationCodeGrant(config, back, {
        pkceCodeVerifier: verifier,
        expectedState: state,
      });
      const claims = tokens.claims();
      assert.equal(claims?.email, 'person@example.com');
      assert.equal(claims?.email_verified, true);
      const access = decodeJwt(tokens.access_token);
      assert.equal(access.aud, t.config.publicUrl);
      assert.equal(access.sub, claims?.sub);
      assert.equal(access.email, 'person@example.com');
      assert.ok(!String(access.scope ?? '').includes('admit:admin'), 'asking never grants admit:admin');
      assert.ok(tokens.refresh_token, 'offline_access gives a refresh token');

      const api = client(t.app, tokens.access_token);
      const created = await api.post('/v1/organizations', { name: 'Person Corp' });
      assert.equal(created.statusCode, 201, created.body);
      const mine = await client(t.app, await t.token('person@example.com')).get('/v1/organizations');
      assert.ok(
        mine.json<{ name: string }[]>().some((o) => o.name === 'Person Corp'),
        'same subject as admit token',
      );

      // a revoked refresh token is refused (RFC 7009)
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token);
      assert.ok(refreshed.access_token);
      const current = refreshed.refresh_token ?? tokens.refresh_token;
      await oidc.tokenRevocation(config, current, { token_type_hint: 'refresh_token' });
      assert.equal(await oauthError(oidc.refreshTokenGrant(config, current)), 'invalid_grant');

      // the code is single use (RFC 6749 §4.1.2)
      assert.equal(
        await oauthError(
          oidc.authorizationCodeGrant(config, back, { pkceCodeVerifier: verifier, expectedState: state }),
        ),
        'invalid_grant',
      );
    });

    it('a system administrator signing in gets admit:admin when asking for it', async () => {
      const { record } = await registerClient(t, { name: 'Console', public: true, redirectUris: [REDIRECT] });
      const config = await discover(t, record.clientId, undefined, oidc.None());
      const { verifier, state, url } = await pkceStart(config, 'openid email admit:admin');
      const tokens = await oidc.authorizationCodeGrant(
        config,
        await browser.signIn(url, 'root@example.com'),
        {
          pkceCodeVerifier: verifier,
          expectedState: state,
        },
      );
      assert.match(String(decodeJwt(tokens.access_token).scope), /\badmit:admin\b/);
    });

    it('a wrong PKCE verifier is invalid_grant; a public client without PKCE is refused', async () => {
      const { record } = await registerClient(t, { name: 'App', public: true, redirectUris: [REDIRECT] });
      const config = await discover(t, record.clientId, undefined, oidc.None());
      const { state, url } = await pkceStart(config);
      const back = await browser.signIn(url, 'pkce@example.com');
      assert.equal(
        await oauthError(
          oidc.authorizationCodeGrant(config, back, {
            pkceCodeVerifier: oidc.randomPKCECodeVerifier(),
            expectedState: state,
          }),
        ),
        'invalid_grant',
      );

      const plain = oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT,
        scope: 'openid',
        state: 'x',
      });
      const res = await browser.request('GET', plain.pathname + plain.search);
      assert.equal(res.statusCode, 303);
      const location = new URL(String(res.headers.location));
      assert.equal(location.origin + location.pathname, REDIRECT);
      assert.equal(location.searchParams.get('error'), 'invalid_request');
      assert.match(String(location.searchParams.get('error_description')), /PKCE/);
    });
  });
}
