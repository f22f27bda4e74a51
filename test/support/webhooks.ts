import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Resolve } from '../../src/outbox/webhook.js';
import { manualClock } from '../../src/platform/clock.js';
import type { TestDialect } from './db.js';
import { createMailApp, type MailApp } from './mail.js';

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

export interface WebhookApp extends MailApp {
  clock: ReturnType<typeof manualClock>;
}

/** The mail test app with a manual clock, fast webhook timeouts and, optionally, a fake resolver. */
export async function createWebhookApp(
  dialect: TestDialect,
  env: Record<string, string> = {},
  opts: { resolve?: Resolve; databaseUrl?: string } = {},
): Promise<WebhookApp> {
  const clock = manualClock(Date.now());
  const mail = await createMailApp(dialect, { WEBHOOK_TIMEOUT: '2s', ...env }, { ...opts, clock });
  return { ...mail, clock };
}
