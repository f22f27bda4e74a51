import { createServer, type Server, type Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { freePort } from '../../scripts/proc.js';
import type { App } from '../../src/app.js';
import { composeApp } from '../../src/compose.js';
import type { Config } from '../../src/config.js';
import { createOutbox, type Outbox } from '../../src/outbox/outbox.js';
import type { Resolve } from '../../src/outbox/webhook.js';
import { type Clock, systemClock } from '../../src/platform/clock.js';
import type { Runtime } from '../../src/runtime.js';
import type { Services } from '../../src/services.js';
import { testConfig, testRuntime } from './app.js';
import { freshDatabase, type TestDialect } from './db.js';

// Email test support: a real SMTP server (npm smtp-server) on loopback whose replies can be
// programmed (4xx/5xx on RCPT, down, stalled), a small MIME parser, and the application wired with
// its dispatcher on the system clock (backoff needs time to pass).

export interface ReceivedMail {
  envelopeTo: string[];
  raw: string;
  headers: Map<string, string[]>;
  subject: string;
  messageId: string;
  to: string;
  text: string;
  html: string;
}

export type Behaviour =
  | { kind: 'accept' }
  /** reject RCPT with this code for the next `times` attempts (Infinity: always), then accept */
  | { kind: 'reject'; code: number; times: number };

export class SmtpSink {
  readonly received: ReceivedMail[] = [];
  behaviour: Behaviour = { kind: 'accept' };
  rcptAttempts = 0;
  /** record each message but never answer its DATA (the sender waits for the 250 that never comes) */
  holdReplies = false;
  port = 0;
  private smtp: SMTPServer | undefined;
  private staller: Server | undefined;
  private stalled = new Set<Socket>();

  /** reserve a port that is free now; the sink starts later (`up`) so a dispatcher first finds it down */
  async reserve(): Promise<number> {
    this.port = await freePort();
    return this.port;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    if (!this.port) await this.reserve();
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      closeTimeout: 200,
      onRcptTo: (address, _session, cb) => {
        this.rcptAttempts++;
        const b = this.behaviour;
        if (b.kind === 'reject' && b.times > 0) {
          b.times--;
          const err = new Error(b.code >= 500 ? 'mailbox unavailable' : 'try again later') as Error & {
            responseCode: number;
          };
          err.responseCode = b.code;
          return cb(err);
        }
        void address;
        cb();
      },
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          this.received.push({
            ...parseMail(raw),
            envelopeTo: session.envelope.rcptTo.map((r) => r.address),
          });
          if (!this.holdReplies) cb();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      smtp.server.once('error', reject);
      smtp.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.smtp = smtp;
  }

  async down(): Promise<void> {
    const smtp = this.smtp;
    this.smtp = undefined;
    if (smtp) await new Promise<void>((r) => smtp.close(() => r()));
  }

  /** a server that accepts TCP connections and never says a word (no greeting) */
  async stall(): Promise<void> {
    if (!this.port) await this.reserve();
    const server = createServer((socket) => {
      this.stalled.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => this.stalled.delete(socket));
    });
    await new Promise<void>((r) => server.listen(this.port, '127.0.0.1', r));
    this.staller = server;
  }

  async unstall(): Promise<void> {
    const server = this.staller;
    this.staller = undefined;
    for (const s of this.stalled) s.destroy();
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  async close(): Promise<void> {
    await this.unstall();
    await this.down();
  }

  byMessageId(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const m of this.received) counts.set(m.messageId, (counts.get(m.messageId) ?? 0) + 1);
    return counts;
  }
}

// ---- a small MIME reader: enough for nodemailer's output ------------------------------------------------

function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g, (_m, _charset: string, enc: string, data: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(data, 'base64').toString('utf8')
        : Buffer.from(
            data
              .replace(/_/g, ' ')
              .replace(/=([0-9A-Fa-f]{2})/g, (_x, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
            'latin1',
          ).toString('utf8'),
    );
}

function splitHeaders(block: string): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  const unfolded = block.replace(/\r?\n[ \t]+/g, ' ');
  for (const line of unfolded.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(i + 1).trim()]);
  }
  return headers;
}

function decodeBody(body: string, encoding: string | undefined): string {
  const enc = (encoding ?? '7bit').toLowerCase();
  if (enc === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (enc === 'quoted-printable') {
    const bytes = body
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-Fa-f]{2})/g, (_x, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}

function splitPart(raw: string): { headers: Map<string, string[]>; body: string } {
  const at = raw.search(/\r?\n\r?\n/);
  if (at < 0) return { headers: splitHeaders(raw), body: '' };
  const sep = raw.slice(at).match(/^\r?\n\r?\n/)?.[0].length ?? 2;
  return { headers: splitHeaders(raw.slice(0, at)), body: raw.slice(at + sep) };
}

export function parseMail(raw: string): Omit<ReceivedMail, 'envelopeTo'> {
  const top = splitPart(raw);
  const parts: { type: string; content: string }[] = [];
  const walk = (headers: Map<string, string[]>, body: string) => {
    const type = headers.get('content-type')?.[0] ?? 'text/plain';
    const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
    if (/^multipart\//i.test(type) && boundary) {
      for (const chunk of body.split(`--${boundary}`).slice(1)) {
        if (chunk.startsWith('--')) break;
        const p = splitPart(chunk.replace(/^\r?\n/, ''));
        walk(p.headers, p.body);
      }
      return;
    }
    parts.push({
      type: type.toLowerCase(),
      content: decodeBody(body, headers.get('content-transfer-encoding')?.[0]),
    });
  };
  walk(top.headers, top.body);
  const one = (name: string) => decodeWords(top.headers.get(name)?.[0] ?? '');
  return {
    raw,
    headers: top.headers,
    subject: one('subject'),
    messageId: one('message-id'),
    to: one('to'),
    text: parts.find((p) => p.type.startsWith('text/plain'))?.content ?? '',
    html: parts.find((p) => p.type.startsWith('text/html'))?.content ?? '',
  };
}

/** `PUBLIC_URL/invite/<token>` from the text part */
export function linkIn(mail: { text: string }): { url: string; token: string } {
  const m = /(https?:\/\/\S+\/invite\/(inv_[A-Za-z0-9_-]+))/.exec(mail.text);
  if (!m?.[1] || !m[2]) throw new Error(`no invitation link in:\n${mail.text}`);
  return { url: m[1], token: m[2] };
}

// ---- the application with its dispatcher -------------------------------------------------------------

export const FAST_OUTBOX = {
  OUTBOX_BACKOFF_BASE: '50ms',
  OUTBOX_BACKOFF_MAX: '500ms',
  OUTBOX_POLL: '50ms',
  OUTBOX_LEASE: '5s',
  SMTP_TIMEOUT: '1s',
};

export interface MailApp {
  app: App;
  rt: Runtime;
  services: Services;
  outbox: Outbox;
  config: Config;
  url: string;
  logs: string[];
  token(email: string, opts?: { name?: string; admin?: boolean }): Promise<string>;
  close(): Promise<void>;
}

export async function createMailApp(
  dialect: TestDialect,
  env: Record<string, string> = {},
  opts: { databaseUrl?: string; dispatch?: boolean; clock?: Clock; resolve?: Resolve } = {},
): Promise<MailApp> {
  const url = opts.databaseUrl ?? (await freshDatabase(dialect)).url;
  const config = testConfig(url, { ...FAST_OUTBOX, ...env });
  const { rt, logs, token } = await testRuntime(config, opts.clock ?? systemClock);
  const outbox = createOutbox(rt, opts.resolve ? { resolve: opts.resolve } : {});
  const { app, services } = await composeApp(rt, { outbox });
  await app.ready();
  if (opts.dispatch !== false) outbox.dispatcher.start();
  return {
    app,
    rt,
    services,
    outbox,
    config,
    url,
    logs,
    token,
    async close() {
      await outbox.close(2_000);
      await app.close();
      await rt.close();
    },
  };
}

/**
 * Bounded polling: resolves once check() is truthy, fails after `timeoutMs` with the message. The
 * default bound is generous (a loaded machine has taken over 15 s to start two workers); a check that
 * holds returns at once.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  message: string,
  timeoutMs = 60_000,
  stepMs = 25,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${message}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
