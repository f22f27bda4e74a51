import { Agent } from 'node:http';
import { LIMITS_OFF } from '../../scripts/limits-off.js';
import { type Proc, reap, spawnNode, waitForHttp } from '../../scripts/proc.js';
import { loadConfig } from '../../src/config.js';
import { createLogger, createRuntime, type Runtime } from '../../src/runtime.js';
import { TEST_SECRET } from './app.js';
import { isAnswer, type LoadTarget, send } from './load.js';

// The fault suites' server: `node dist/main.js` as a child process on loopback (no SMTP_URL: the dev
// mailbox takes the mail, so the outbox drains without a sink), and an observer runtime in the test
// process on the same database that mints tokens and reads rows.

export const PUBLIC_URL = 'http://admit.test';

export function serverEnv(databaseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    ADMIT_SECRET: TEST_SECRET,
    PUBLIC_URL,
    ...LIMITS_OFF,
    LOG_LEVEL: 'warn',
    OUTBOX_POLL: '200ms',
    ...extra,
  };
}

/** Starts the server on port and waits until /readyz answers (fails if it exits first). */
export async function startAdmit(env: Record<string, string>, port: number): Promise<Proc> {
  const p = spawnNode('dist/main.js', [], { ...env, PORT: String(port), HOST: '127.0.0.1' });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/readyz`, p);
  } catch (err) {
    await reap(p);
    throw err;
  }
  return p;
}

/** A runtime in the test process on the server's database (it migrates first, so start it before the server). */
export async function observer(env: Record<string, string>): Promise<Runtime> {
  const config = loadConfig({ ...env, LOG_LEVEL: 'silent' });
  return createRuntime(config, { logger: createLogger(config), pool: { max: 4 } });
}

/** A load target on a running server: an owner and their organization (created through the API). */
export async function loadTarget(
  rt: Runtime,
  base: string,
  agent = new Agent({ keepAlive: true }),
): Promise<LoadTarget> {
  const issuer = rt.issuer;
  if (!issuer) throw new Error('built-in mode expected');
  const ownerToken = await issuer.sign({ email: 'owner@example.com', name: 'Owner', ttlSeconds: 3600 });
  const org = await send(agent, base, 'POST', '/v1/organizations', {
    token: ownerToken,
    body: { name: 'Acme' },
  });
  if (!isAnswer(org) || org.status !== 201) throw new Error(`create organization: ${JSON.stringify(org)}`);
  const orgId = (JSON.parse(org.body) as { id: string }).id;
  const tokens = new Map<string, Promise<string>>();
  return {
    agent,
    base,
    orgId,
    ownerToken,
    tokenFor(email) {
      let t = tokens.get(email);
      if (!t) {
        t = issuer.sign({ email, ttlSeconds: 3600 });
        tokens.set(email, t);
      }
      return t;
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A uniformly random whole number of milliseconds in [lo, hi). */
export const between = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo));
