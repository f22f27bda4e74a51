import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { createClientsStore, DOCS_CLIENT_ID, WEB_CLIENT_ID } from '../../src/oauth/clients.js';
import { client } from './app.js';
import { invite, organization } from './fixtures.js';
import type { MailApp } from './mail.js';
import type { Reachable } from './route-arbitrary.js';

// The live values the route fuzzer (test/http/fuzz-routes.test.ts) draws from: a registered
// confidential client, its access token, and for each route fuzzed anew (a fuzzed request may use
// them up: accept the invitation, end the session, finish the sign-in) an invitation, the
// invitee's page session with its form token, and a sign-in in progress at the provider.

/** The cookies a response sets, name → value. */
function setCookies(res: LightMyRequestResponse): Record<string, string> {
  const raw = res.headers['set-cookie'];
  const out: Record<string, string> = {};
  for (const line of Array.isArray(raw) ? raw : raw ? [raw] : []) {
    const [pair = ''] = line.split(';');
    const i = pair.indexOf('=');
    if (i > 0) out[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return out;
}

/** Makes the shared fixtures; the function it returns makes a fresh set of the others each call. */
export async function reachable(m: MailApp): Promise<() => Promise<Reachable>> {
  const { publicUrl } = m.config;
  const owner = {
    email: 'owner@example.com',
    token: '',
    api: client(m.app, await m.token('owner@example.com')),
  };
  const org = await organization(owner, 'Fuzzed Org');
  const { record, secret = '' } = await createClientsStore(m.rt.db).create(
    { name: 'Fuzz', redirectUris: ['https://client.example/cb'], public: false, admin: false },
    Date.now(),
  );
  const basic = `Basic ${Buffer.from(`${record.clientId}:${secret}`).toString('base64')}`;
  const grant = await m.app.inject({
    method: 'POST',
    url: '/oauth/token',
    headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ grant_type: 'client_credentials', resource: publicUrl }).toString(),
  });
  const accessToken = grant.json<{ access_token?: string }>().access_token;
  assert.ok(accessToken, grant.body);
  let n = 0;

  return async () => {
    const email = `invitee-${++n}@example.com`;
    const inv = await invite(owner, org, email, 'member', { sendEmail: false });
    const bearer = await m.token(email);
    const identity = await m.rt.verifier.verify(bearer);
    const { userId } = await m.services.users.principalFor(identity);
    const session = await m.services.sessions.start({ userId, identity, refreshToken: undefined });
    const csrf = (await m.services.sessions.find(session.cookie))?.csrfToken ?? '';
    // the page's sign-in, as far as the provider's first sign-in page
    const signIn = await m.app.inject({ method: 'GET', url: `/auth/sign-in?return_to=/invite/${inv.token}` });
    assert.equal(signIn.statusCode, 303, signIn.body);
    const authorize = new URL(String(signIn.headers.location));
    const started = await m.app.inject({ method: 'GET', url: authorize.pathname + authorize.search });
    const uid = /\/oauth\/interaction\/([^/?]+)/.exec(String(started.headers.location))?.[1];
    assert.ok(uid, `${started.statusCode} ${started.headers.location}`);

    return {
      publicUrl,
      cookies: { admit_session: session.cookie, ...setCookies(signIn), ...setCookies(started) },
      authorization: [`Bearer ${accessToken}`, `Bearer ${bearer}`, basic, 'Basic Og==', 'Bearer x'],
      segments: {
        uid: [uid],
        token: [inv.token, inv.token, inv.id],
        authStep: ['sign-in', 'callback'],
        asset: ['admit.css'],
        oauthPath: [
          '.well-known/openid-configuration',
          '.well-known/jwks.json',
          'oauth/introspect',
          'oauth/par',
          'oauth/device/auth',
          'oauth/reg',
          'oauth/',
          'oauth/interaction',
        ],
      },
      params: {
        client_id: [WEB_CLIENT_ID, DOCS_CLIENT_ID, record.clientId],
        client_secret: [secret],
        response_type: ['code', 'token', 'id_token', 'none'],
        redirect_uri: [`${publicUrl}/auth/callback`, 'https://client.example/cb', 'https://evil.example/'],
        post_logout_redirect_uri: [`${publicUrl}/`, 'https://evil.example/'],
        return_to: [
          '/',
          `/invite/${inv.token}`,
          '//evil.example',
          'https://evil.example/',
          '/\\evil.example',
        ],
        scope: ['openid', 'openid email profile offline_access', 'admit:admin', 'openid unknown'],
        resource: [publicUrl, 'https://other.example/'],
        code_challenge: ['E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'],
        code_challenge_method: ['S256', 'plain'],
        code_verifier: ['dBjftJeZ4CVP-mJ0bBtbfh1hpuUVkHnFhRWVgYuNIBE'],
        grant_type: ['client_credentials', 'authorization_code', 'refresh_token', 'password', 'urn:x'],
        token: [accessToken, inv.token],
        access_token: [accessToken],
        token_type_hint: ['access_token', 'refresh_token', 'junk'],
        prompt: ['login', 'consent', 'none', 'select_account'],
        email: [email, 'not an address', 'a@b'],
        code: ['12345678', '00000000'],
        csrf: [csrf],
        switch: ['1'],
        max_age: ['0', '-1', '1e309'],
        error: ['access_denied', 'login_required'],
        logout: ['yes'],
        xsrf: ['x'],
        restart: ['1'],
      },
    };
  };
}
