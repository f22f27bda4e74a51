// The shape of the validated configuration (src/config.ts reads and checks it; everything else reads this).

export type Limit = { max: number; windowMs: number } | 'off';

export interface Config {
  port: number;
  host: string;
  publicUrl: string;
  appUrl: string;
  database: { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };
  /** undefined only on SQLite before the data directory's generated secret is loaded (see main.ts). */
  secret: string | undefined;
  invitationTtlMs: number;
  invitationMaxTtlMs: number;
  auth:
    | { mode: 'builtin' }
    | {
        mode: 'external';
        issuer: string;
        audience: string;
        jwksUrl: string | undefined;
        clientId: string | undefined;
        clientSecret: string | undefined;
        /** the scope value that makes a system administrator; unset: none does */
        adminScope: string | undefined;
      };
  emailClaim: string;
  emailVerifiedClaim: string;
  systemAdminEmails: readonly string[];
  smtpUrl: string | undefined;
  /** `auto`: the dev mailbox is served when SMTP_URL is unset and HOST is loopback; `off`: never */
  devMailbox: 'auto' | 'off';
  mailFrom: string;
  rateLimitPublic: Limit;
  trustProxy: string[] | undefined;
  redisUrl: string | undefined;
  quotaOrg: Limit;
  quotaRecipient: Limit;
  quotaRecipientAll: Limit;
  quotaInviter: Limit;
  quotaOrgCreate: Limit;
  logLevel: string;
  /** GET /metrics (METRICS=on): loopback peers, or a bearer of METRICS_TOKEN when one is set */
  metrics: { enabled: boolean; token: string | undefined };
  /** `host[:port]` (lowercase) that webhooks may call although loopback or private, and over http */
  webhookAllowedHosts: readonly string[];
  /** how long events stay in the audit log */
  eventRetentionMs: number;
  /** how long delivered (or finally failed, cancelled) outbox rows and webhook deliveries are kept */
  outboxRetentionMs: number;
  timings: {
    /** first outbox retry delay (before jitter) */
    outboxBackoffBaseMs: number;
    /** cap of the outbox retry delay */
    outboxBackoffMaxMs: number;
    /** how long a claimed outbox row stays leased to one dispatcher */
    outboxLeaseMs: number;
    /** idle poll interval of the dispatcher */
    outboxPollMs: number;
    /** SMTP connection, greeting and socket timeout */
    smtpTimeoutMs: number;
    /** minimum time between two JWKS refetches for an unknown kid */
    jwksCooldownMs: number;
    /** how long to wait for the JWKS or discovery endpoint */
    jwksTimeoutMs: number;
    /** HTTP: a request's headers must have arrived this long after it started (slow-loris bound) */
    httpHeadersTimeoutMs: number;
    /** HTTP: a whole request (headers and body) must have arrived within this */
    httpRequestTimeoutMs: number;
    /** HTTP: a socket with no traffic at all is closed after this */
    httpIdleTimeoutMs: number;
    /** HTTP: how long an idle keep-alive connection is held open for the next request */
    httpKeepAliveTimeoutMs: number;
    /** one webhook attempt: connect, send, answer */
    webhookTimeoutMs: number;
    /** how often each process runs the retention sweep */
    sweepIntervalMs: number;
    /** built-in mode: how often each process re-reads the signing keys; a rotated key signs two of these after its creation */
    signingKeysRefreshMs: number;
  };
}
