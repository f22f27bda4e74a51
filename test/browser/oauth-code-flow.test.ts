import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import type { Browser } from 'playwright-core';
import { spawnNode } from '../../scripts/proc.js';
import { dialects } from '../support/db.js';
import { browserSkipReason, builtinSignIn, launch, type Stack, startStack } from './harness.js';

// Issue 14's standards-client journey in a real browser: a public client registered with
// `admit clients create --public`, openid-client (discovery, PKCE, state) against the running
// server, Chromium through the built-in sign-in (email, then the mailed code), the code exchanged at
// /oauth/token, and the API accepting the access token.

const skip = browserSkipReason();
const REDIRECT = 'http://127.0.0.1:9/callback'; // never reached: the browser stops at it

for (const dialect of dialects()) {
  describe(`[${dialect}] browser: authorization code + PKCE with a standards client`, { skip }, () => {
    let stack: Stack;
    let browser: Browser;
    before(async () => {
      stack = await startStack(dialect, { mode: 'builtin' });
      browser = await launch();
    });
    after(async () => {
      await browser?.close();
      await stack?.close();
    });

    it('signs a person in through the browser and the API accepts the token', async () => {
      const cli = spawnNode(
        'dist/cli/admit.js',
        ['clients', 'create', '--name', 'SPA', '--public', '--redirect-uri', REDIRECT],
        stack.env,
      );
      assert.equal(await cli.exited, 0, cli.output());
      const { client_id: clientId } = JSON.parse(cli.stdout()) as { client_id: string };

      const config = await oidc.discovery(new URL(stack.admit), clientId, undefined, oidc.None(), {
        execute: [oidc.allowInsecureRequests],
      });
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT,
        scope: 'openid email',
        state,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });

      const page = await (await browser.newContext()).newPage();
      // the redirect back to the client is caught before it leaves the browser
      let callback: URL | undefined;
      await page.route(`${REDIRECT}**`, async (route) => {
        callback = new URL(route.request().url());
        await route.fulfill({ status: 200, body: 'signed in' });
      });
      await page.goto(url.href);
      await builtinSignIn(page, 'pat@example.com', { ...stack, admit: new URL(REDIRECT).origin });
      assert.ok(callback, 'the browser came back to the redirect URI');
      assert.equal(callback.searchParams.get('state'), state);

      const tokens = await oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: verifier,
        expectedState: state,
      });
      assert.equal(tokens.claims()?.email, 'pat@example.com');
      const res = await fetch(`${stack.admit}/v1/organizations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.access_token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Pat Co' }),
      });
      assert.equal(res.status, 201, await res.text());
      // the code is single use
      await assert.rejects(
        oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state }),
        (err: unknown) => err instanceof oidc.ResponseBodyError && err.error === 'invalid_grant',
      );
    });
  });
}
