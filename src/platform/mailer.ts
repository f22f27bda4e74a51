import nodemailer from 'nodemailer';

// The mail transport behind an interface: nodemailer over SMTP in production, the in-memory dev
// mailbox without SMTP_URL (SPEC §7), recording fakes in tests. A send never throws: it answers
// with a classified outcome so the dispatcher decides retry or give-up without knowing nodemailer.

export interface OutgoingMail {
  /** MAIL_FROM, validated at start (no line breaks) */
  from: string;
  /** the stored canonical address only; sent as an address object, never a free-form list */
  to: string;
  subject: string;
  text: string;
  html: string;
  /** `<uuid@host>`, stable per outbox row so receivers can drop duplicates */
  messageId: string;
}

export type SendOutcome =
  | { ok: true }
  /** errorClass is a short class such as `smtp_4xx 451` or `timeout`: never the reply text, never the token */
  | { ok: false; permanent: boolean; errorClass: string };

export interface Mailer {
  readonly kind: 'smtp' | 'dev-mailbox';
  send(mail: OutgoingMail): Promise<SendOutcome>;
  close(): Promise<void>;
}

interface MailErrorLike {
  code?: unknown;
  originalCode?: unknown;
  responseCode?: unknown;
  message?: unknown;
}

/**
 * RFC 5321 reply classes decide: 5xx is final, 4xx and everything on the network (refused, reset,
 * timeouts, TLS, DNS) is worth retrying. Authentication and configuration problems are retried too:
 * they are the operator's to fix, and the mail should go once they are fixed.
 */
export function classifySendError(err: unknown): { permanent: boolean; errorClass: string } {
  const e: MailErrorLike = typeof err === 'object' && err !== null ? (err as MailErrorLike) : {};
  const reply = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  if (reply !== undefined && reply >= 500 && reply < 600)
    return { permanent: true, errorClass: `smtp_5xx ${reply}` };
  if (reply !== undefined && reply >= 400 && reply < 500)
    return { permanent: false, errorClass: `smtp_4xx ${reply}` };
  const code = typeof e.code === 'string' ? e.code : '';
  const original = typeof e.originalCode === 'string' ? e.originalCode : '';
  const message = typeof e.message === 'string' ? e.message : '';
  if (code === 'ETIMEDOUT' || original === 'ETIMEDOUT' || /timeout/i.test(message)) {
    return { permanent: false, errorClass: 'timeout' };
  }
  if (original === 'ECONNREFUSED' || /ECONNREFUSED/.test(message)) {
    return { permanent: false, errorClass: 'connection_refused' };
  }
  if (original === 'ECONNRESET' || /ECONNRESET/.test(message))
    return { permanent: false, errorClass: 'connection_reset' };
  if (code === 'EDNS' || original === 'ENOTFOUND' || original === 'EAI_AGAIN')
    return { permanent: false, errorClass: 'dns' };
  if (code === 'ETLS') return { permanent: false, errorClass: 'tls' };
  if (code === 'EAUTH' || code === 'ENOAUTH') return { permanent: false, errorClass: 'auth' };
  if (code === 'ECONNECTION' || code === 'ESOCKET')
    return { permanent: false, errorClass: 'connection_closed' };
  if (code === 'EPROTOCOL') return { permanent: false, errorClass: 'protocol' };
  return { permanent: false, errorClass: 'send_error' };
}

export interface SmtpMailerOptions {
  url: string;
  timeoutMs: number;
  /** pooled connections; also the number of sends the dispatcher runs at once */
  maxConnections: number;
}

/** nodemailer over SMTP_URL: pooled, with explicit connection, greeting and socket timeouts. */
export function smtpMailer(opts: SmtpMailerOptions): Mailer {
  const transport = nodemailer.createTransport({
    url: opts.url,
    pool: true,
    maxConnections: opts.maxConnections,
    connectionTimeout: opts.timeoutMs,
    greetingTimeout: opts.timeoutMs,
    socketTimeout: opts.timeoutMs,
    dnsTimeout: opts.timeoutMs,
  } as Parameters<typeof nodemailer.createTransport>[0]);
  // an idle pooled connection that dies must not crash the process
  transport.on('error', () => undefined);
  return {
    kind: 'smtp',
    async send(mail) {
      try {
        await transport.sendMail({
          from: mail.from,
          to: { name: '', address: mail.to },
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          messageId: mail.messageId,
          disableFileAccess: true,
          disableUrlAccess: true,
        });
        return { ok: true };
      } catch (err) {
        return { ok: false, ...classifySendError(err) };
      }
    },
    async close() {
      transport.close();
    },
  };
}

export interface MailboxEntry {
  messageId: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** ISO-8601 time it was delivered into the mailbox */
  receivedAt: string;
}

export interface DevMailbox extends Mailer {
  /** newest first */
  list(): MailboxEntry[];
}

/**
 * Without SMTP_URL: the last `capacity` messages kept in memory (the link is in them, so they are
 * readable only on loopback, see surfaces/system/mailbox.ts) and logged as recipient and subject only.
 */
export function devMailbox(opts: {
  capacity?: number;
  now: () => number;
  log: (entry: { to: string; subject: string; messageId: string }) => void;
}): DevMailbox {
  const capacity = opts.capacity ?? 100;
  const entries: MailboxEntry[] = [];
  return {
    kind: 'dev-mailbox',
    async send(mail) {
      entries.push({ ...mail, receivedAt: new Date(opts.now()).toISOString() });
      if (entries.length > capacity) entries.splice(0, entries.length - capacity);
      opts.log({ to: mail.to, subject: mail.subject, messageId: mail.messageId });
      return { ok: true };
    },
    async close() {},
    list: () => entries.slice().reverse(),
  };
}
