import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { ensureBuilt, freePort, type Proc, reap, spawnNode, waitForHttp } from '../../scripts/proc.js';
import { createDb } from '../../src/db/create-db.js';
import { TEST_SECRET } from '../support/app.js';
import { freshDatabase, type TestDialect } from '../support/db.js';
import { AUDIENCE, IDP_CLIENT, startIdp, type TestIdp } from '../support/idp.js';
import { FAST_OUTBOX, linkIn, SmtpSink, waitFor } from '../support/mail.js';

// Browser journeys (issue 14): headless Chromium (Debian's, driven by playwright-core) against the
// real server as a child process, a real SMTP server and, in external mode, a second OpenID provider
// started by the test. Sign-in is one swappable function (`SignIn`): the coordinator adds the
// built-in provider's (email, then the mailed code) next to `externalSignIn`.

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Why the browser tests cannot run here, or undefined when they can; REQUIRE_BROWSER=1 makes it fatal. */
export function browserSkipReason(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const reason = `Chromium not found at ${CHROMIUM}: browser journeys SKIPPED (apt-get install chromium, or set CHROMIUM_PATH)`;
  if (process.env.REQUIRE_BROWSER === '1') throw new Error(`REQUIRE_BROWSER=1 but ${reason}`);
  process.stderr.write(`\n!!! ${reason} !!!\n\n`);
  return reason;
}

export const launch = (): Promise<Browser> =>
  chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });

const SHOTS = process.env.SCREENSHOTS === '1';

/** docs/screenshots/<name>.png, only when SCREENSHOTS=1 (CI never rewrites them). */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  const dir = join(process.cwd(), 'docs', 'screenshots');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

/** From the provider's sign-in page back to Admit, signed in as `email`. */
export type SignIn = (page: Page, email: string, admitOrigin: string) => Promise<void>;

/** The test provider's development login form (any password); works with and without JavaScript. */
export const externalSignIn: SignIn = async (page, email, admitOrigin) => {
  await page.fill('input[name="login"]', email);
  await page.fill('input[name="password"]', 'any password');
  await page.click('button[type="submit"]');
  // a different account was signed in at the provider: it ends that session first (a self-posting
  // form; without JavaScript its Continue button)
  if (!new URL(page.url()).origin.startsWith(admitOrigin)) {
    const cont = page.locator('noscript button, button:has-text("Continue")');
    if (await cont.count())
      await cont
        .first()
        .click()
        .catch(() => undefined);
  }
  await page.waitForURL((u) => u.origin === admitOrigin);
};

export interface Stack {
  admit: string;
  idp: TestIdp;
  sink: SmtpSink;
  server: Proc;
  databaseUrl: string;
  /** the admin's API: JSON in, status and JSON out */
  api(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: Record<string, unknown> }>;
  /** the newest invitation email to `email`: its link */
  invitationLink(email: string): Promise<{ url: string; token: string }>;
  /** moves an invitation's expiry into the past, as time passing would */
  expire(invitationId: string): Promise<void>;
  close(): Promise<void>;
}

/** Admit (external mode) + its provider + an SMTP server (or the dev mailbox), on a fresh database of the dialect. */
export async function startStack(dialect: TestDialect, opts: { devMailbox?: boolean } = {}): Promise<Stack> {
  ensureBuilt();
  const port = await freePort();
  const admit = `http://127.0.0.1:${port}`;
  const idp = await startIdp(`${admit}/auth/callback`);
  const sink = new SmtpSink();
  await sink.up();
  const { url: databaseUrl, database } = await freshDatabase(dialect);
  const server = spawnNode('dist/main.js', [], {
    DATABASE_URL: databaseUrl,
    ADMIT_SECRET: TEST_SECRET,
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: admit,
    APP_URL: 'https://app.example.com',
    // without SMTP_URL the server keeps its mail in the development mailbox (the quick start)
    ...(opts.devMailbox ? {} : { SMTP_URL: sink.url }),
    AUTH_ISSUER: idp.issuer,
    AUTH_AUDIENCE: AUDIENCE,
    AUTH_CLIENT_ID: IDP_CLIENT.id,
    AUTH_CLIENT_SECRET: IDP_CLIENT.secret,
    SYSTEM_ADMIN_EMAILS: 'alice@example.com',
    RATE_LIMIT_PUBLIC: 'off',
    INVITE_QUOTA_ORG: 'off',
    INVITE_QUOTA_RECIPIENT: 'off',
    LOG_LEVEL: 'warn',
    ...FAST_OUTBOX,
  });
  await waitForHttp(`${admit}/healthz`, 30_000, server);
  const adminToken = await idp.accessToken('alice@example.com', { name: 'Alice Example' });
  const db = createDb(database, { error: () => undefined });
  return {
    admit,
    idp,
    sink,
    server,
    databaseUrl,
    async api(method, path, body) {
      const res = await fetch(admit + path, {
        method,
        headers: {
          authorization: `Bearer ${adminToken}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    },
    async invitationLink(email) {
      await waitFor(async () => sink.received.some((m) => m.envelopeTo.includes(email)), `mail to ${email}`);
      const mail = sink.received.filter((m) => m.envelopeTo.includes(email)).at(-1);
      if (!mail) throw new Error(`no mail to ${email}`);
      return linkIn(mail);
    },
    async expire(invitationId) {
      await db.kysely
        .updateTable('invitations')
        .set({ expire_at: Date.now() - 1000 })
        .where('id', '=', invitationId)
        .execute();
    },
    async close() {
      if (server.child.exitCode === null) {
        server.child.kill('SIGTERM');
        await Promise.race([server.exited, new Promise((r) => setTimeout(r, 10_000))]);
      }
      await reap(server);
      await db.close();
      await sink.close();
      await idp.close();
    },
  };
}
