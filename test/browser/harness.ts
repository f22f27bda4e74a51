import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { ensureBuilt, freePort, type Proc, reap, spawnNode, waitForHttp } from '../../scripts/proc.js';
import { createDb } from '../../src/db/create-db.js';
import { createSealer } from '../../src/platform/crypto.js';
import { TEST_SECRET } from '../support/app.js';
import { freshDatabase, type TestDialect } from '../support/db.js';
import { AUDIENCE, IDP_CLIENT, startIdp, type TestIdp } from '../support/idp.js';
import { FAST_OUTBOX, linkIn, SmtpSink, waitFor } from '../support/mail.js';

// Browser journeys (issue 14): headless Chromium (Debian's, driven by playwright-core) against the
// real server as a child process, a real SMTP server and, in external mode, a second OpenID provider
// started by the test. Sign-in is one swappable function (`SignIn`): the built-in provider's (email,
// then the code from the second email) or the external test provider's login form.

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
export type SignIn = (page: Page, email: string, stack: Stack, shots?: boolean) => Promise<void>;

/** Admit's own provider: the address, then the one-time code mailed to it (the second email). */
export const builtinSignIn: SignIn = async (page, email, stack, shots = false) => {
  await page.getByLabel(/email/i).fill(email);
  if (shots) await screenshot(page, '2-sign-in-email');
  const before = (await stack.mailsTo(email)).length;
  await page.getByRole('button', { name: 'Email me a code' }).click();
  const code = await stack.signInCode(email, before);
  await page.getByLabel(/code/i).fill(code);
  if (shots) await screenshot(page, '2-sign-in-code');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => u.origin === stack.admit);
};

/** The test provider's development login form (any password); works with and without JavaScript. */
export const externalSignIn: SignIn = async (page, email, stack) => {
  const admitOrigin = stack.admit;
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

export type Mode = 'builtin' | 'external';

export interface Stack {
  mode: Mode;
  admit: string;
  /** the server's environment (for CLI commands on the same database) */
  env: Record<string, string>;
  /** the external provider (external mode only) */
  idp: TestIdp | undefined;
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
  /** every message to `email` so far (SMTP server or dev mailbox), oldest first */
  mailsTo(email: string): Promise<{ subject: string; text: string }[]>;
  /** the code of the first sign-in mail to `email` after the first `after` messages */
  signInCode(email: string, after: number): Promise<string>;
  /** moves an invitation's expiry into the past, as time passing would */
  expire(invitationId: string): Promise<void>;
  /** the refresh token of `email`'s newest page session, whether the provider still holds it live */
  refreshTokenOf(email: string): Promise<{ token: string; live: boolean } | undefined>;
  /** whether the provider still holds this refresh token unconsumed */
  refreshTokenLive(token: string): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Admit + an SMTP server (or the dev mailbox), on a fresh database of the dialect: in built-in mode
 * Admit is its own provider (the quick start); in external mode a test OpenID provider is started.
 */
export async function startStack(
  dialect: TestDialect,
  opts: { devMailbox?: boolean; mode?: Mode } = {},
): Promise<Stack> {
  ensureBuilt();
  const mode = opts.mode ?? 'builtin';
  const port = await freePort();
  const admit = `http://127.0.0.1:${port}`;
  const idp = mode === 'external' ? await startIdp(`${admit}/auth/callback`) : undefined;
  const sink = new SmtpSink();
  await sink.up();
  const { url: databaseUrl, database } = await freshDatabase(dialect);
  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    ADMIT_SECRET: TEST_SECRET,
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: admit,
    APP_URL: 'https://app.example.com',
    // without SMTP_URL the server keeps its mail in the development mailbox (the quick start)
    ...(opts.devMailbox ? {} : { SMTP_URL: sink.url }),
    ...(idp
      ? {
          AUTH_ISSUER: idp.issuer,
          AUTH_AUDIENCE: AUDIENCE,
          AUTH_CLIENT_ID: IDP_CLIENT.id,
          AUTH_CLIENT_SECRET: IDP_CLIENT.secret,
        }
      : {}),
    SYSTEM_ADMIN_EMAILS: 'alice@example.com',
    RATE_LIMIT_PUBLIC: 'off',
    INVITE_QUOTA_ORG: 'off',
    INVITE_QUOTA_RECIPIENT: 'off',
    LOG_LEVEL: 'warn',
    ...FAST_OUTBOX,
  };
  const server = spawnNode('dist/main.js', [], env);
  await waitForHttp(`${admit}/healthz`, server);
  const adminToken = idp
    ? await idp.accessToken('alice@example.com', { name: 'Alice Example' })
    : await cliToken(env, 'alice@example.com');
  const db = createDb(database, { error: () => undefined });
  const refreshTokenLive = async (token: string) => {
    const row = await db.kysely
      .selectFrom('oauth_payloads')
      .select('consumed_at')
      .where('model', '=', 'RefreshToken')
      .where('id', '=', token)
      .executeTakeFirst();
    return row !== undefined && row.consumed_at === null;
  };
  const mailsTo = async (email: string) => {
    if (!opts.devMailbox) return sink.received.filter((m) => m.envelopeTo.includes(email));
    const res = await fetch(`${admit}/dev/mailbox`, { headers: { accept: 'application/json' } });
    const all = ((await res.json()) as { messages: { to: string; subject: string; text: string }[] })
      .messages;
    // the mailbox lists newest first
    return all.filter((m) => m.to === email).reverse();
  };
  return {
    mode,
    admit,
    env,
    mailsTo,
    async signInCode(email, after) {
      let code: string | undefined;
      await waitFor(async () => {
        const mail = (await mailsTo(email)).slice(after).find((m) => m.subject.includes('sign-in code'));
        code = mail ? /(\d{6,})/.exec(mail.subject)?.[1] : undefined;
        return code !== undefined;
      }, `a sign-in code mailed to ${email}`);
      if (!code) throw new Error(`no sign-in code for ${email}`);
      return code;
    },
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
    async refreshTokenOf(email) {
      const session = await db.kysely
        .selectFrom('web_sessions')
        .select('refresh_sealed')
        .where('email', '=', email)
        .orderBy('created_at', 'desc')
        .executeTakeFirst();
      const token = session?.refresh_sealed
        ? createSealer(TEST_SECRET).open(session.refresh_sealed, 'web-session-refresh')
        : undefined;
      if (!token) return undefined;
      return { token, live: await refreshTokenLive(token) };
    },
    refreshTokenLive,
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
      await idp?.close();
    },
  };
}

/** A built-in system-administrator token from the CLI, as a person following the README would mint it. */
function cliToken(env: Record<string, string>, email: string): Promise<string> {
  const cli = spawnNode(
    'dist/cli/admit.js',
    ['token', '--email', email, '--name', 'Alice Example', '--admin'],
    env,
  );
  return cli.exited.then(() => {
    const token = cli.stdout().trim().split('\n').pop() ?? '';
    if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token))
      throw new Error(`admit token printed no token:\n${cli.output()}`);
    return token;
  });
}
