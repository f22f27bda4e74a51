import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/db.js';
import { type Actor, actor, invite, organization } from '../support/fixtures.js';
import { adminView, DAY, invitationsInEveryState, workspace } from '../support/invitations.js';

const XSS = '<img src=x onerror=alert(1)>';

function assertPageHeaders(res: LightMyRequestResponse): void {
  assert.match(String(res.headers['content-type']), /^text\/html; charset=utf-8/);
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.equal(res.headers['referrer-policy'], 'no-referrer');
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  const csp = String(res.headers['content-security-policy']);
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /style-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|script-src/);
  assert.match(csp, /frame-ancestors 'none'/);
}

for (const dialect of dialects()) {
  describe(`[${dialect}] GET /invite/:token (the invitation page)`, () => {
    let t: TestApp;
    let alice: Actor;
    let org: string;
    before(async () => {
      t = await createTestApp(dialect);
      alice = await actor(t, 'alice@example.com', { name: 'Alice Admin' });
      org = await organization(alice, 'Acme Corp');
    });
    after(() => t.close());

    it('shows organization, member count, inviter, role, workspace, expiry and sign-in', async () => {
      const ws = await workspace(alice, org, 'Main Workspace');
      const inv = await invite(alice, org, 'Bob@Example.com', 'admin', { workspaceId: ws, sendEmail: false });
      assert.equal(inv.url, `http://admit.test/invite/${inv.token}`);
      const res = await t.app.inject({ method: 'GET', url: `/invite/${inv.token}` });
      assert.equal(res.statusCode, 200, res.body);
      assertPageHeaders(res);
      const html = res.body;
      for (const text of [
        'Acme Corp',
        'Alice Admin',
        'Admin',
        'Main Workspace',
        'bob@example.com',
        '(1 member)',
        'Sign in to accept',
        'href="/assets/admit.css"',
      ]) {
        assert.ok(html.includes(text), `page shows ${text}`);
      }
      const expires = new Date(t.clock.now() + 7 * DAY).toISOString();
      assert.ok(html.includes(`datetime="${expires}"`), 'page shows the expiry');
      assert.ok(html.includes(`href="/auth/sign-in?return_to=%2Finvite%2F${inv.token}"`), 'sign-in link');
      assert.doesNotMatch(html, /<script/i);
    });

    it('shows an https logo and serves the one stylesheet the CSP allows', async () => {
      const made = await alice.api.post('/v1/organizations', {
        name: 'Logo Corp',
        logoUrl: 'https://cdn.example.com/logo.png',
      });
      assert.equal(made.statusCode, 201, made.body);
      const logoOrg = made.json<{ id: string }>().id;
      const inv = await invite(alice, logoOrg, 'lou@example.com', 'member', { sendEmail: false });
      const res = await t.app.inject({ method: 'GET', url: `/invite/${inv.token}` });
      assert.match(res.body, /<img src="https:\/\/cdn\.example\.com\/logo\.png" alt="Logo Corp logo"/);
      assert.match(String(res.headers['content-security-policy']), /img-src https:/);
      const css = await t.app.inject({ method: 'GET', url: '/assets/admit.css' });
      assert.equal(css.statusCode, 200);
      assert.match(String(css.headers['content-type']), /^text\/css/);
      assert.match(css.body, /focus-visible/);
    });

    it('escapes admin-controlled strings (organization, inviter, workspace, role names)', async () => {
      const mallory = await actor(t, 'mallory@example.com', { name: `Mal ${XSS}` });
      const evilOrg = await organization(mallory, XSS);
      const ws = await workspace(mallory, evilOrg, `"><script>alert(2)</script>`);
      const role = await mallory.api.post(`/v1/organizations/${evilOrg}/roles`, {
        key: 'evil',
        name: `<b onmouseover=alert(3)>x</b>`,
        permissions: ['members:read'],
      });
      assert.equal(role.statusCode, 201, role.body);
      const inv = await invite(mallory, evilOrg, 'victim@example.com', 'evil', {
        workspaceId: ws,
        sendEmail: false,
      });
      const res = await t.app.inject({ method: 'GET', url: `/invite/${inv.token}` });
      assert.equal(res.statusCode, 200, res.body);
      assert.ok(!res.body.includes('<img'), 'no raw <img');
      assert.ok(!res.body.includes('<script'), 'no raw <script');
      assert.ok(!res.body.includes('<b '), 'no raw <b');
      assert.ok(res.body.includes('&lt;img src=x onerror=alert(1)&gt;'));
      assert.ok(res.body.includes('&quot;&gt;&lt;script&gt;'));
    });

    it('shows one identical 404 page for malformed and unknown tokens', async () => {
      const urls = [
        `/invite/inv_${'A'.repeat(43)}`,
        '/invite/nonsense',
        '/invite/inv_',
        `/invite/${'z'.repeat(300)}`,
        '/invite/%E0%A4%A',
      ];
      const bodies = new Set<string>();
      for (const url of urls) {
        const res = await t.app.inject({ method: 'GET', url });
        assert.equal(res.statusCode, 404, `${url}: ${res.body}`);
        assertPageHeaders(res);
        bodies.add(res.body);
      }
      assert.equal(bodies.size, 1);
      assert.match([...bodies][0] ?? '', /This invitation link is not valid/);
    });

    it('shows 410 state pages for expired, accepted, declined and revoked invitations', async () => {
      const { accepted, declined, revoked, expiring } = await invitationsInEveryState(
        t,
        alice,
        org,
        'bob2@example.com',
      );

      const expect: [string, RegExp][] = [
        [accepted.token, /already been used/],
        [declined.token, /already been used/],
        [revoked.token, /withdrawn/],
      ];
      for (const [token, text] of expect) {
        const res = await t.app.inject({ method: 'GET', url: `/invite/${token}` });
        assert.equal(res.statusCode, 410, res.body);
        assertPageHeaders(res);
        assert.match(res.body, text);
        assert.ok(!res.body.includes(token));
      }
      t.clock.advance(DAY + 1);
      try {
        const res = await t.app.inject({ method: 'GET', url: `/invite/${expiring.token}` });
        assert.equal(res.statusCode, 410, res.body);
        assert.match(res.body, /has expired/);
      } finally {
        t.clock.advance(-(DAY + 1));
      }
    });

    it('never changes state and is hidden from OpenAPI', async () => {
      const inv = await invite(alice, org, 'frank@example.com', 'member', { sendEmail: false });
      for (let i = 0; i < 20; i++) {
        assert.equal((await t.app.inject({ method: 'GET', url: `/invite/${inv.token}` })).statusCode, 200);
      }
      assert.equal((await adminView(alice, org, inv.id)).status, 'pending');
      const doc = await t.app.inject({ method: 'GET', url: '/openapi.json' });
      assert.equal(doc.statusCode, 200);
      assert.ok(!Object.keys(doc.json().paths).some((p) => p.startsWith('/invite/')));
    });
  });
}
