import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { client, createTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/db.js';
import { type Actor, invite, organization } from '../support/fixtures.js';
import { AUDIENCE, IDP_CLIENT, startIdp, type TestIdp } from '../support/idp.js';
import { adminView, membershipsOf } from '../support/invitations.js';
import { formIn, signInAtIdp, Web } from '../support/web.js';

// The invitation page's sign-in, accept and decline over HTTP in external mode, against a second
// OpenID provider started by the test (browser journeys: test/browser/).

const ADMIT = 'http://admit.test';

for (const dialect of dialects()) {
  describe(`[${dialect}] invitation page sign-in (external mode)`, () => {
    let idp: TestIdp;
    let t: TestApp;
    let alice: Actor;
    let org: string;

    const externalActor = async (email: string, name?: string): Promise<Actor> => {
      const token = await idp.accessToken(email, name ? { name } : {});
      return { email, token, api: client(t.app, token) };
    };

    before(async () => {
      idp = await startIdp(`${ADMIT}/auth/callback`);
      t = await createTestApp(dialect, {
        AUTH_ISSUER: idp.issuer,
        AUTH_AUDIENCE: AUDIENCE,
        AUTH_CLIENT_ID: IDP_CLIENT.id,
        AUTH_CLIENT_SECRET: IDP_CLIENT.secret,
        APP_URL: 'https://app.admit.test',
        SYSTEM_ADMIN_EMAILS: 'alice@example.com',
      });
      alice = await externalActor('alice@example.com', 'Alice Admin');
      org = await organization(alice, 'Acme Corp');
    });
    after(async () => {
      await t?.close();
      await idp?.close();
    });

    it('offers sign-in to an anonymous visitor, then accept and decline to the invited address', async () => {
      const inv = await invite(alice, org, 'bob@example.com', 'member', { sendEmail: false });
      const web = new Web(t.app, ADMIT);
      const here = `/invite/${inv.token}`;
      const anon = await web.request(`${ADMIT}${here}`);
      assert.equal(anon.status, 200);
      assert.match(anon.body, /Sign in to accept/);
      assert.match(anon.body, /href="\/auth\/sign-in\?return_to=%2Finvite%2Finv_/);
      assert.doesNotMatch(anon.body, /action="\/invite\//, 'no accept form before sign-in');

      const page = await signInAtIdp(web, ADMIT, here, 'bob@example.com');
      assert.equal(page.status, 200, page.body);
      assert.equal(page.url, `${ADMIT}${here}`, 'lands on the same invitation');
      assert.match(page.body, /Signed in as bob@example\.com/);
      const cookie = page.headers.get('set-cookie');
      assert.equal(cookie, null, 'the page itself sets no cookie');

      const accept = formIn(page.body, /\/accept$/);
      const done = await web.request(`${ADMIT}${accept.action}`, {
        form: accept.fields,
        // what Chrome sends for this form under Referrer-Policy: no-referrer
        headers: { origin: 'null', 'sec-fetch-site': 'same-origin' },
      });
      assert.equal(done.status, 200, done.body);
      assert.match(done.body, /You joined Acme Corp/);
      assert.match(done.body, /href="https:\/\/app\.admit\.test"/);
      assert.equal((await adminView(alice, org, inv.id)).status, 'accepted');
      const members = await membershipsOf(t, org);
      assert.ok(members.some((m) => m.source_invitation_id === inv.id && m.role === 'member'));
      // the page's user is the API's user: same issuer and subject, one row
      const bob = await externalActor('bob@example.com');
      const mine = await bob.api.get('/v1/organizations');
      assert.equal(mine.statusCode, 200, mine.body);

      const second = await invite(alice, org, 'gail@example.com', 'admin', { sendEmail: false });
      const gail = new Web(t.app, ADMIT);
      const again = await signInAtIdp(gail, ADMIT, `/invite/${second.token}`, 'gail@example.com');
      const decline = formIn(again.body, /\/decline$/);
      const declined = await gail.request(`${ADMIT}${decline.action}`, {
        form: decline.fields,
        headers: { origin: ADMIT },
      });
      assert.equal(declined.status, 200, declined.body);
      assert.match(declined.body, /You declined the invitation to Acme Corp/);
      assert.equal((await adminView(alice, org, second.id)).status, 'declined');
      const gone = await gail.request(`${ADMIT}/invite/${second.token}`);
      assert.equal(gone.status, 410);
    });

    it('refuses cross-site and tokenless POSTs and leaves the invitation pending', async () => {
      const inv = await invite(alice, org, 'carl@example.com', 'member', { sendEmail: false });
      const web = new Web(t.app, ADMIT);
      const page = await signInAtIdp(web, ADMIT, `/invite/${inv.token}`, 'carl@example.com');
      const accept = formIn(page.body, /\/accept$/);
      const attempts: [Record<string, string>, Record<string, string>][] = [
        [accept.fields, { origin: 'https://evil.example' }],
        [accept.fields, { 'sec-fetch-site': 'cross-site' }],
        [accept.fields, { origin: 'null', 'sec-fetch-site': 'same-site' }],
        [{}, { origin: ADMIT }],
        [{ csrf: 'x'.repeat(43) }, { origin: ADMIT }],
      ];
      for (const [form, headers] of attempts) {
        const res = await web.request(`${ADMIT}${accept.action}`, { form, headers });
        assert.equal(res.status, 403, `${JSON.stringify(headers)}: ${res.body}`);
        assert.match(res.body, /another site or has expired/);
      }
      // a form from another browser's session is not this session's token
      const other = new Web(t.app, ADMIT);
      const res = await other.request(`${ADMIT}${accept.action}`, {
        form: accept.fields,
        headers: { origin: ADMIT },
      });
      assert.equal(res.status, 401, res.body);
      assert.equal((await adminView(alice, org, inv.id)).status, 'pending');
    });

    it('tells a visitor signed in with another address which address the invitation is for', async () => {
      const inv = await invite(alice, org, 'dora@example.com', 'member', { sendEmail: false });
      const web = new Web(t.app, ADMIT);
      const here = `/invite/${inv.token}`;
      const page = await signInAtIdp(web, ADMIT, here, 'eve@example.com');
      assert.equal(page.status, 200, page.body);
      assert.match(page.body, /sent to <strong>dora@example\.com<\/strong>/);
      assert.match(page.body, /signed in as <strong>eve@example\.com<\/strong>/);
      assert.doesNotMatch(page.body, /\/accept"/, 'no accept form for the wrong account');
      const signOut = formIn(page.body, /^\/auth\/sign-out$/);
      assert.equal(signOut.fields.switch, '1');

      // the accept URL posted anyway (with this session's token) is refused by the same rule as the API
      const forced = await web.request(`${ADMIT}${here}/accept`, {
        form: { csrf: signOut.fields.csrf ?? '' },
        headers: { origin: ADMIT },
      });
      assert.equal(forced.status, 403, forced.body);
      assert.equal((await adminView(alice, org, inv.id)).status, 'pending');

      const switched = await web.request(`${ADMIT}/auth/sign-out`, {
        form: signOut.fields,
        headers: { origin: ADMIT },
      });
      assert.equal(switched.status, 303);
      assert.equal(switched.headers.get('location'), `/auth/sign-in?return_to=${encodeURIComponent(here)}`);
      const after = await web.request(`${ADMIT}${here}`);
      assert.match(after.body, /Sign in to accept/, 'signed out');
      const page2 = await signInAtIdp(web, ADMIT, here, 'dora@example.com');
      assert.match(page2.body, /Accept invitation/);
    });

    it('sign-out ends the server-side session: the old cookie no longer works', async () => {
      const inv = await invite(alice, org, 'finn@example.com', 'member', { sendEmail: false });
      const web = new Web(t.app, ADMIT);
      const here = `/invite/${inv.token}`;
      const page = await signInAtIdp(web, ADMIT, here, 'finn@example.com');
      const accept = formIn(page.body, /\/accept$/);
      const stolen = web.cookie('admit.test', 'admit_session');
      assert.ok(stolen);
      const out = formIn(page.body, /^\/auth\/sign-out$/);
      const res = await web.request(`${ADMIT}/auth/sign-out`, {
        form: out.fields,
        headers: { origin: ADMIT },
      });
      assert.equal(res.status, 303);
      assert.equal(res.headers.get('location'), here);
      assert.match(
        String(res.headers.get('set-cookie')),
        /admit_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Lax/,
      );
      const replay = await t.app.inject({
        method: 'POST',
        url: accept.action,
        headers: {
          cookie: `admit_session=${stolen}`,
          'content-type': 'application/x-www-form-urlencoded',
          origin: ADMIT,
        },
        payload: new URLSearchParams(accept.fields).toString(),
      });
      assert.equal(replay.statusCode, 401, replay.body);
      assert.equal((await adminView(alice, org, inv.id)).status, 'pending');
    });

    it('accepts only paths on Admit as return_to (no open redirect)', async () => {
      for (const bad of [
        '//evil.example/x',
        'https://evil.example/',
        '/\\evil.example',
        'javascript:alert(1)',
        'invite/x',
        '/\r\nSet-Cookie:x',
        '',
      ]) {
        const res = await t.app.inject({
          method: 'GET',
          url: `/auth/sign-in?return_to=${encodeURIComponent(bad)}`,
        });
        assert.equal(res.statusCode, 400, `${bad}: ${res.body}`);
        assert.equal(res.headers.location, undefined);
      }
      const missing = await t.app.inject({ method: 'GET', url: '/auth/sign-in' });
      assert.equal(missing.statusCode, 400);
      const ok = await t.app.inject({ method: 'GET', url: '/auth/sign-in?return_to=%2Finvite%2Fabc' });
      assert.equal(ok.statusCode, 303, ok.body);
      const to = new URL(String(ok.headers.location));
      assert.equal(to.origin, idp.issuer);
      assert.equal(to.searchParams.get('prompt'), 'login');
      assert.equal(to.searchParams.get('code_challenge_method'), 'S256');
      assert.equal(to.searchParams.get('redirect_uri'), `${ADMIT}/auth/callback`);
      assert.ok(to.searchParams.get('state') && to.searchParams.get('nonce'));
      assert.equal(ok.headers['cache-control'], 'no-store');
      assert.equal(ok.headers['referrer-policy'], 'no-referrer');
    });

    it('refuses a callback it did not start or whose state was altered', async () => {
      const bare = await t.app.inject({ method: 'GET', url: '/auth/callback?code=abc&state=def' });
      assert.equal(bare.statusCode, 400);
      assert.match(bare.body, /Signing in did not complete/);
      const web = new Web(t.app, ADMIT);
      const start = await web.request(`${ADMIT}/auth/sign-in?return_to=%2Finvite%2Fabc`);
      assert.equal(start.status, 303);
      const forged = await web.request(`${ADMIT}/auth/callback?code=abc&state=forged`);
      assert.equal(forged.status, 400, forged.body);
      assert.equal(web.cookie('admit.test', 'admit_session'), undefined);
    });
  });

  describe(`[${dialect}] external mode without AUTH_CLIENT_ID`, () => {
    let idp: TestIdp;
    let t: TestApp;
    before(async () => {
      idp = await startIdp(`${ADMIT}/auth/callback`);
      t = await createTestApp(dialect, {
        AUTH_ISSUER: idp.issuer,
        AUTH_AUDIENCE: AUDIENCE,
        SYSTEM_ADMIN_EMAILS: 'alice@example.com',
      });
    });
    after(async () => {
      await t?.close();
      await idp?.close();
    });

    it('previews, says sign-in is not configured, and the start-up log says so', async () => {
      assert.ok(
        t.logs.some((l) => /sign-in is not configured/.test(l)),
        'start-up log',
      );
      const token = await idp.accessToken('alice@example.com');
      const alice: Actor = { email: 'alice@example.com', token, api: client(t.app, token) };
      const org = await organization(alice, 'Acme Corp');
      const inv = await invite(alice, org, 'bob@example.com', 'member', { sendEmail: false });
      const page = await t.app.inject({ method: 'GET', url: `/invite/${inv.token}` });
      assert.equal(page.statusCode, 200, page.body);
      assert.match(page.body, /Acme Corp/);
      assert.match(page.body, /Sign-in is not configured/);
      assert.doesNotMatch(page.body, /href="\/auth\/sign-in/);
      const res = await t.app.inject({ method: 'GET', url: '/auth/sign-in?return_to=%2Finvite%2Fx' });
      assert.equal(res.statusCode, 503);
      assert.match(res.body, /Sign-in is not configured/);
    });
  });
}
