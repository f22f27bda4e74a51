import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import { LIMITS_OFF } from '../../scripts/limits-off.js';
import type { App } from '../../src/app.js';
import { composeApp } from '../../src/compose.js';
import { type Config, loadConfig } from '../../src/config.js';
import { type Clock, manualClock } from '../../src/platform/clock.js';
import { createLogger, createRuntime, type Runtime } from '../../src/runtime.js';
import type { Services } from '../../src/services.js';
import { freshDatabase, type TestDialect } from './db.js';

export const TEST_SECRET = 'test-secret-test-secret-test-secret-0123456789';

export interface TestApp {
  app: App;
  rt: Runtime;
  services: Services;
  clock: ReturnType<typeof manualClock>;
  config: Config;
  /** every log line written during the test */
  logs: string[];
  /** a verified built-in token for this email */
  token(email: string, opts?: TokenOptions): Promise<string>;
  close(): Promise<void>;
}

export type TokenOptions = { name?: string; admin?: boolean; emailVerified?: boolean };

/** Test configuration: a fixed secret and public URL, rate limits and quotas off unless env sets them. */
export function testConfig(databaseUrl: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    DATABASE_URL: databaseUrl,
    ADMIT_SECRET: TEST_SECRET,
    PUBLIC_URL: 'http://admit.test',
    ...LIMITS_OFF,
    LOG_LEVEL: 'info',
    ...env,
  });
}

/** A runtime whose log lines are captured in `logs`. */
export async function testRuntime(
  config: Config,
  clock: Clock,
): Promise<{ rt: Runtime; logs: string[]; token: TestApp['token'] }> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const rt = await createRuntime(config, {
    logger: createLogger(config, sink),
    clock,
    pool: { max: 20, applicationName: `admit-test-${randomBytes(4).toString('hex')}` },
  });
  const token = (email: string, opts: TokenOptions = {}) =>
    rt.issuer!.sign({
      email,
      name: opts.name ?? null,
      admin: opts.admin ?? false,
      emailVerified: opts.emailVerified ?? true,
      ttlSeconds: 3600,
    });
  return { rt, logs, token };
}

/**
 * The real application (the server's composition, without the outbox's dispatcher) on a fresh
 * database of the dialect, with a settable clock and captured logs.
 * env overrides any configuration variable (quotas and rate limits are off unless set).
 */
export async function createTestApp(
  dialect: TestDialect,
  env: Record<string, string> = {},
): Promise<TestApp> {
  const { url } = await freshDatabase(dialect);
  const config = testConfig(url, env);
  const clock = manualClock(Date.now());
  const { rt, logs, token } = await testRuntime(config, clock);
  const { app, services } = await composeApp(rt);
  await app.ready();
  return {
    app,
    rt,
    services,
    clock,
    config,
    logs,
    token,
    async close() {
      await app.close();
      await rt.close();
    },
  };
}

/** A small client over app.inject: JSON in, parsed JSON out. */
export function client(app: App, token?: string) {
  const call = async (
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT',
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<LightMyRequestResponse & { json<T = Record<string, unknown>>(): T }> => {
    const res = await app.inject({
      method,
      url,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    return res as LightMyRequestResponse & { json<T>(): T };
  };
  return {
    get: (url: string, headers?: Record<string, string>) => call('GET', url, undefined, headers),
    post: (url: string, body?: unknown, headers?: Record<string, string>) => call('POST', url, body, headers),
    patch: (url: string, body?: unknown, headers?: Record<string, string>) =>
      call('PATCH', url, body, headers),
    delete: (url: string, headers?: Record<string, string>) => call('DELETE', url, undefined, headers),
  };
}

export type Client = ReturnType<typeof client>;
