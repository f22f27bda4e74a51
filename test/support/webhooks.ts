import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App } from '../../src/app.js';
import { composeApp } from '../../src/compose.js';
import type { Config } from '../../src/config.js';
import { createOutbox, type Outbox } from '../../src/outbox/outbox.js';
import type { Resolve } from '../../src/outbox/webhook.js';
import { manualClock } from '../../src/platform/clock.js';
import type { Runtime } from '../../src/runtime.js';
import { testConfig, testRuntime } from './app.js';
import { freshDatabase, type TestDialect } from './db.js';
import { FAST_OUTBOX } from './mail.js';

// Webhook test support: a real HTTP receiver on loopback whose answers can be programmed, a Standard
// Webhooks verifier written from the specification (not Admit's signer), and the application with its
// dispatcher on a clock the test can move (dispatch is real; backoff and the 3-day rule use the clock).

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

export class Receiver {
  readonly received: Received[] = [];
  /** the status to answer for each request; defaults to 200 */
  answer: (r: Received) => number = () => 200;
  /** record each request but never answer it (the sender waits until its timeout or death) */
  hold = false;
  private server: Server | undefined;
  port = 0;

  async up(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        this.received.push(r);
        if (this.hold) return;
        res.statusCode = this.answer(r);
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  url(path = '/hook'): string {
    return `http://${this.host}${path}`;
  }

  /** requests whose body's event has this id */
  of(eventId: string): Received[] {
    return this.received.filter((r) => r.headers['webhook-id'] === eventId);
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }
}

/**
 * Standard Webhooks verification, from the specification: the signed content is
 * `${webhook-id}.${webhook-timestamp}.${body}`; the key is the base64-decoded part of the secret after
 * `whsec_`; `webhook-signature` is a space-separated list of `v1,<base64 HMAC-SHA256>`, any of which
 * may match; the timestamp must be within the tolerance of `nowSeconds`.
 */
export function verifyStandardWebhook(
  secret: string,
  headers: IncomingHttpHeaders,
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return false;
  if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;
  if (!secret.startsWith('whsec_')) return false;
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  return signatures.split(' ').some((entry) => {
    const [version, value] = entry.split(',');
    if (version !== 'v1' || !value) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

export interface WebhookApp {
  app: App;
  rt: Runtime;
  outbox: Outbox;
  config: Config;
  url: string;
  clock: ReturnType<typeof manualClock>;
  logs: string[];
  token(email: string, opts?: { name?: string; admin?: boolean }): Promise<string>;
  close(): Promise<void>;
}

export async function createWebhookApp(
  dialect: TestDialect,
  env: Record<string, string> = {},
  opts: { resolve?: Resolve; databaseUrl?: string } = {},
): Promise<WebhookApp> {
  const url = opts.databaseUrl ?? (await freshDatabase(dialect)).url;
  const config = testConfig(url, { ...FAST_OUTBOX, WEBHOOK_TIMEOUT: '2s', ...env });
  const clock = manualClock(Date.now());
  const { rt, token, logs } = await testRuntime(config, clock);
  const outbox = createOutbox(rt, opts.resolve ? { resolve: opts.resolve } : {});
  const { app } = await composeApp(rt, { outbox });
  await app.ready();
  outbox.dispatcher.start();
  return {
    app,
    rt,
    outbox,
    config,
    url,
    clock,
    logs,
    token,
    async close() {
      await outbox.close(2_000);
      await app.close();
      await rt.close();
    },
  };
}
