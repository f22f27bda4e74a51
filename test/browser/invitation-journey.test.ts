import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { dialects, type TestDialect } from '../support/db.js';
import {
  browserSkipReason,
  builtinSignIn,
  externalSignIn,
  launch,
  type Mode,
  type SignIn,
  type Stack,
  screenshot,
  startStack,
} from './harness.js';

// The journeys of issue 14 in a real browser: invitation email → link → sign in → accept (the
// membership exists); decline; the wrong account leaves the invitation pending; expired and revoked
// links show their own pages; the whole journey with JavaScript disabled.

const skip = browserSkipReason();
const SIGN_IN: Record<Mode, SignIn> = { builtin: builtinSignIn, external: externalSignIn };

// built-in mode (Admit's own provider, the quick start) on both databases; external mode once, since
// the page's code path is the same and test/http/page-signin.test.ts covers it on both databases
const runs: [TestDialect, Mode][] = [
  ...dialects().map((d): [TestDialect, Mode] => [d, 'builtin']),
  ['sqlite', 'external'],
];

for (const [dialect, mode] of runs) {
  const signIn = SIGN_IN[mode];
  describe(`[${dialect}] browser: the invitation journey (${mode} mode)`, { skip }, () => {
    let stack: Stack;
    let browser: Browser;
    let org: string;
    let workspaceId: string;
    const contexts: BrowserContext[] = [];
    const shots = dialect === 'sqlite' && mode === 'builtin';

    before(async () => {
      stack = await startStack(dialect, { mode });
      browser = await launch();
      const made = await stack.api('POST', '/v1/organizations', { name: 'Acme Corp' });
      assert.equal(made.status, 201, JSON.stringify(made.json));
      org = String(made.json.id);
      const ws = await stack.api('POST', `/v1/organizations/${org}/workspaces`, { name: 'Design Team' });
      assert.equal(ws.status, 201, JSON.stringify(ws.json));
      workspaceId = String(ws.json.id);
    });
    after(async () => {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser?.close();
      await stack?.close();
    });

    async function newPage(opts: { javaScriptEnabled?: boolean } = {}): Promise<Page> {
      const context = await browser.newContext({ viewport: { width: 900, height: 800 }, ...opts });
      contexts.push(context);
      return context.newPage();
    }

    async function invite(
      email: string,
      role = 'member',
      extra: object = {},
    ): Promise<{ id: string; url: string }> {
      const res = await stack.api('POST', `/v1/organizations/${org}/invitations`, { email, role, ...extra });
      assert.equal(res.status, 201, JSON.stringify(res.json));
      const { url } = await stack.invitationLink(email);
      return { id: String(res.json.id), url };
    }

    const statusOf = async (id: string) =>
      String((await stack.api('GET', `/v1/organizations/${org}/invitations/${id}`)).json.status);

    /** email → link → sign in → accept → "You joined" → the membership exists */
    async function acceptJourney(page: Page, email: string, screenshots: boolean): Promise<void> {
      const inv = await invite(email, 'member', { workspaceId });
      const res = await page.goto(inv.url);
      assert.equal(res?.status(), 200);
      await page.getByRole('heading', { level: 1, name: /invited you to join Acme Corp/ }).waitFor();
      if (screenshots) await screenshot(page, '1-invitation');
      await page.getByRole('link', { name: 'Sign in to accept' }).click();
      await signIn(page, email, stack, screenshots);
      assert.equal(page.url(), inv.url, 'back on the same invitation');
      await page.getByRole('button', { name: 'Accept invitation' }).waitFor();
      if (screenshots) await screenshot(page, '3-signed-in');
      await page.getByRole('button', { name: 'Accept invitation' }).click();
      await page.getByRole('heading', { name: 'You joined Acme Corp' }).waitFor();
      assert.equal(
        await page.getByRole('link', { name: /Continue to Acme Corp/ }).getAttribute('href'),
        'https://app.example.com',
      );
      if (screenshots) await screenshot(page, '4-joined');
      assert.equal(await statusOf(inv.id), 'accepted');
      const members = await stack.api('GET', `/v1/organizations/${org}/members`);
      assert.ok(JSON.stringify(members.json).includes(email), `${email} is a member`);
    }

    it('accepts: email → link → sign in → accept → the membership exists', async () => {
      await acceptJourney(await newPage(), 'bob@example.com', shots);
    });

    it('works the same with JavaScript disabled', async () => {
      const page = await newPage({ javaScriptEnabled: false });
      await acceptJourney(page, 'nojs@example.com', false);
    });

    it('declines', async () => {
      const page = await newPage();
      const inv = await invite('carol@example.com', 'admin');
      await page.goto(inv.url);
      await page.getByRole('link', { name: 'Sign in to accept' }).click();
      await signIn(page, 'carol@example.com', stack);
      await page.getByRole('button', { name: 'Decline' }).click();
      await page.getByRole('heading', { name: 'You declined the invitation to Acme Corp' }).waitFor();
      assert.equal(await statusOf(inv.id), 'declined');
    });

    it('signed in with another address: says which address, offers to switch, stays pending', async () => {
      const page = await newPage();
      const inv = await invite('dora@example.com');
      await page.goto(inv.url);
      await page.getByRole('link', { name: 'Sign in to accept' }).click();
      await signIn(page, 'eve@example.com', stack);
      await page.getByRole('heading', { name: 'This invitation is for another address' }).waitFor();
      const text = await page.locator('main').innerText();
      assert.match(text, /sent to dora@example\.com/);
      assert.match(text, /signed in as eve@example\.com/);
      assert.equal(await page.getByRole('button', { name: 'Accept invitation' }).count(), 0);
      if (shots) await screenshot(page, '5-wrong-account');
      assert.equal(await statusOf(inv.id), 'pending');
      // built-in mode: the page's session holds a live refresh token (offline_access)
      const refresh = mode === 'builtin' ? await stack.refreshTokenOf('eve@example.com') : undefined;
      if (mode === 'builtin') assert.equal(refresh?.live, true, 'a live refresh token before sign-out');
      // switch: sign out here, sign in again at the provider as the invited address, accept
      await page.getByRole('button', { name: 'Sign out and switch account' }).click();
      await signIn(page, 'dora@example.com', stack);
      if (refresh) {
        // sign-out revoked it at the provider (RFC 7009): gone, or marked consumed
        assert.equal(await stack.refreshTokenLive(refresh.token), false, 'revoked at sign-out');
      }
      await page.getByRole('button', { name: 'Accept invitation' }).click();
      await page.getByRole('heading', { name: 'You joined Acme Corp' }).waitFor();
      assert.equal(await statusOf(inv.id), 'accepted');
    });

    it('shows their own pages for expired, revoked and unknown links', async () => {
      const page = await newPage();
      const expiring = await invite('frank@example.com');
      await stack.expire(expiring.id);
      const expired = await page.goto(expiring.url);
      assert.equal(expired?.status(), 410);
      await page.getByRole('heading', { name: 'This invitation has expired' }).waitFor();
      if (shots) await screenshot(page, '6-expired');

      const revoking = await invite('gina@example.com');
      assert.equal(
        (await stack.api('DELETE', `/v1/organizations/${org}/invitations/${revoking.id}`)).status,
        204,
      );
      const revoked = await page.goto(revoking.url);
      assert.equal(revoked?.status(), 410);
      await page.getByRole('heading', { name: 'This invitation was withdrawn' }).waitFor();
      if (shots) await screenshot(page, '7-revoked');

      const unknown = await page.goto(`${stack.admit}/invite/inv_${'x'.repeat(43)}`);
      assert.equal(unknown?.status(), 404);
      await page.getByRole('heading', { name: 'This invitation link is not valid' }).waitFor();
    });
  });
}

describe('[sqlite] browser: the quick start without SMTP_URL (dev mailbox)', { skip }, () => {
  let stack: Stack;
  let browser: Browser;
  before(async () => {
    stack = await startStack('sqlite', { devMailbox: true, mode: 'builtin' });
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('shows the invitation email at /dev/mailbox with a clickable link to the page', async () => {
    const made = await stack.api('POST', '/v1/organizations', { name: 'Acme Corp' });
    const org = String(made.json.id);
    const res = await stack.api('POST', `/v1/organizations/${org}/invitations`, {
      email: 'bob@example.com',
      role: 'member',
    });
    assert.equal(res.status, 201, JSON.stringify(res.json));
    const page = await (await browser.newContext({ viewport: { width: 1000, height: 800 } })).newPage();
    let found = false;
    for (let i = 0; i < 100 && !found; i++) {
      await page.goto(`${stack.admit}/dev/mailbox`);
      found = (await page.getByText("You're invited to join Acme Corp").count()) > 0;
      if (!found) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(found, 'the invitation email reached the dev mailbox');
    await screenshot(page, '0-mailbox');
    await page
      .getByRole('link', { name: /\/invite\/inv_/ })
      .first()
      .click();
    await page.getByRole('heading', { level: 1, name: /invited you to join Acme Corp/ }).waitFor();
    await page.getByRole('link', { name: 'Sign in to accept' }).click();
    await builtinSignIn(page, 'bob@example.com', stack);
    await page.getByRole('button', { name: 'Accept invitation' }).click();
    await page.getByRole('heading', { name: 'You joined Acme Corp' }).waitFor();
  });
});
