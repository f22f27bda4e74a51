import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { createTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/db.js';
import { Browser, discover } from '../support/oauth.js';

// The sign-in pages of the built-in provider: no script, the code mailed through the outbox, wrong
// codes counted (5 tries), codes single use and expiring, a post without the interaction cookie
// refused, and the per-address limit on mailed codes.

for (const dialect of dialects()) {
  describe(`[${dialect}] provider sign-in pages`, () => {
    let t: TestApp;

    before(async () => {
      t = await createTestApp(dialect);
    });
    after(() => t.close());

    async function start(browser: Browser): Promise<string> {
      const config = await discover(t, 'admit-invitation-page', undefined, oidc.None());
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: `${t.config.publicUrl}/auth/callback`,
        scope: 'openid email',
        state: 's',
        prompt: 'login',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      });
      const { res } = await browser.follow('GET', url.pathname + url.search);
      assert.equal(res.statusCode, 200, res.body);
      assert.doesNotMatch(res.body, /<script/i, 'no script');
      assert.match(String(res.headers['content-security-policy']), /form-action 'self'/);
      const uid = /action="\/oauth\/interaction\/([^/"]+)\/email"/.exec(res.body)?.[1];
      assert.ok(uid);
      return uid;
    }

    it('a wrong code is refused with the form again; after 5 tries even the right code is refused', async () => {
      const browser = new Browser(t);
      try {
        const uid = await start(browser);
        await browser.follow('POST', `/oauth/interaction/${uid}/email`, { email: 'tries@example.com' });
        const code = await browser.mailedCode('tries@example.com');
        const wrong = code === '00000000' ? '11111111' : '00000000';
        const first = await browser.request('POST', `/oauth/interaction/${uid}/code`, { code: wrong });
        assert.equal(first.statusCode, 400);
        assert.match(first.body, /not right/);
        for (let i = 0; i < 4; i++)
          await browser.request('POST', `/oauth/interaction/${uid}/code`, { code: wrong });
        const late = await browser.request('POST', `/oauth/interaction/${uid}/code`, { code });
        assert.equal(late.statusCode, 400);
        assert.match(late.body, /Request a new code/);
        assert.equal(late.headers.location, undefined, 'not signed in');
      } finally {
        await browser.close();
      }
    });

    it('a code expires after 10 minutes; the stored code is only a hash', async () => {
      const browser = new Browser(t);
      try {
        const uid = await start(browser);
        await browser.follow('POST', `/oauth/interaction/${uid}/email`, { email: 'slow@example.com' });
        const code = await browser.mailedCode('slow@example.com');
        const rows = await t.rt.db.kysely.selectFrom('oauth_sign_in_codes').selectAll().execute();
        assert.ok(!JSON.stringify(rows).includes(code), 'no plain code at rest');
        const outbox = await t.rt.db.kysely.selectFrom('outbox').select('sealed_token').execute();
        assert.ok(
          outbox.every((r) => r.sealed_token === null),
          'sealed code wiped once sent',
        );
        t.clock.advance(10 * 60_000 + 1);
        const res = await browser.request('POST', `/oauth/interaction/${uid}/code`, { code });
        assert.equal(res.statusCode, 400);
      } finally {
        await browser.close();
      }
    });

    it('a post without the interaction cookie (another site, another browser) is refused', async () => {
      const browser = new Browser(t);
      const stranger = new Browser(t);
      try {
        const uid = await start(browser);
        const res = await stranger.request('POST', `/oauth/interaction/${uid}/email`, {
          email: 'x@example.com',
        });
        assert.equal(res.statusCode, 400);
        assert.match(res.body, /expired/);
        assert.equal(
          await t.rt.db.kysely
            .selectFrom('oauth_sign_in_codes')
            .select('uid')
            .where('uid', '=', uid)
            .executeTakeFirst(),
          undefined,
        );
      } finally {
        await browser.close();
        await stranger.close();
      }
    });

    it('an invalid address is a 400 page; codes per address are rate limited (429 with Retry-After)', async () => {
      const browser = new Browser(t);
      try {
        const uid = await start(browser);
        const bad = await browser.request('POST', `/oauth/interaction/${uid}/email`, {
          email: 'not an address',
        });
        assert.equal(bad.statusCode, 400);
        assert.match(bad.body, /valid email/);
        let last = bad;
        for (let i = 0; i < 6; i++) {
          last = await browser.request('POST', `/oauth/interaction/${uid}/email`, {
            email: 'limited@example.com',
          });
        }
        assert.equal(last.statusCode, 429);
        assert.ok(Number(last.headers['retry-after']) > 0);
      } finally {
        await browser.close();
      }
    });
  });
}
