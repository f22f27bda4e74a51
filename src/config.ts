import type { Config, Limit } from './config.types.js';
import { parseMailFrom } from './platform/email.js';

// The only reader of process.env. Every variable of SPEC §1 is parsed and validated here, every bad
// value is reported at once (ConfigError lists them all), and the result is frozen.

export type { Config, Limit } from './config.types.js';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `7d`, `36h`, `90m`, `2s`, `500ms` → milliseconds; undefined when malformed or zero. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  return ms > 0 && Number.isSafeInteger(ms) ? ms : undefined;
}

/** `30/1m`, `1000/1d` or `off`. */
export function parseLimit(text: string): Limit | undefined {
  if (text.trim() === 'off') return 'off';
  const m = /^(\d+)\/(.+)$/.exec(text.trim());
  if (!m) return undefined;
  const max = Number(m[1]);
  const windowMs = parseDuration(m[2]!);
  return max > 0 && windowMs ? { max, windowMs } : undefined;
}

function httpUrl(text: string): string | undefined {
  try {
    const u = new URL(text);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    if (u.search || u.hash || u.username || u.password) return undefined;
    return u.toString().replace(/\/+$/, '');
  } catch {
    return undefined;
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const problems: string[] = [];
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  function parse<T>(name: string, fallback: string, fn: (s: string) => T | undefined, expected: string): T {
    const raw = get(name) ?? fallback;
    const value = fn(raw);
    if (value === undefined) problems.push(`${name}=${JSON.stringify(raw)}: expected ${expected}`);
    return value as T;
  }
  const int = (min: number, max: number) => (s: string) => {
    const n = /^\d+$/.test(s) ? Number(s) : Number.NaN;
    return n >= min && n <= max ? n : undefined;
  };
  const durationMs = (name: string, fallback: string) =>
    parse(name, fallback, parseDuration, 'a duration such as 7d, 36h, 90m, 2s or 500ms');

  const port = parse('PORT', '3000', int(0, 65535), 'a port number 0-65535');
  const host = get('HOST') ?? '127.0.0.1';
  const publicUrl = parse('PUBLIC_URL', `http://localhost:${port}`, httpUrl, 'an http(s) URL without query');
  const appUrl = parse('APP_URL', publicUrl ?? 'http://localhost', httpUrl, 'an http(s) URL without query');

  const dbRaw = get('DATABASE_URL') ?? 'sqlite:./data/admit.db';
  let database: Config['database'] = { kind: 'sqlite', path: './data/admit.db' };
  if (dbRaw.startsWith('sqlite:')) {
    const path = dbRaw.slice('sqlite:'.length);
    if (!path) problems.push('DATABASE_URL: sqlite: needs a file path, e.g. sqlite:./data/admit.db');
    database = { kind: 'sqlite', path };
  } else if (/^postgres(ql)?:\/\//.test(dbRaw)) {
    database = { kind: 'postgres', url: dbRaw };
  } else {
    problems.push(`DATABASE_URL=${JSON.stringify(dbRaw)}: expected sqlite:PATH or postgres://…`);
  }

  const secret = get('ADMIT_SECRET');
  if (secret !== undefined && secret.length < 32) {
    problems.push('ADMIT_SECRET: must be at least 32 characters of random text');
  }
  if (secret === undefined && database.kind === 'postgres') {
    problems.push('ADMIT_SECRET: required with PostgreSQL so every process shares the same key material');
  }

  const invitationTtlMs = durationMs('INVITATION_TTL', '7d');
  const invitationMaxTtlMs = durationMs('INVITATION_MAX_TTL', '30d');
  if (invitationTtlMs && invitationMaxTtlMs && invitationTtlMs > invitationMaxTtlMs) {
    problems.push('INVITATION_TTL: must not exceed INVITATION_MAX_TTL');
  }

  let auth: Config['auth'] = { mode: 'builtin' };
  const issuer = get('AUTH_ISSUER');
  if (issuer) {
    const iss = httpUrl(issuer) ? issuer : undefined;
    if (!iss) problems.push(`AUTH_ISSUER=${JSON.stringify(issuer)}: expected an http(s) URL`);
    const audience = get('AUTH_AUDIENCE');
    if (!audience) problems.push('AUTH_AUDIENCE: required when AUTH_ISSUER is set');
    const jwks = get('AUTH_JWKS_URL');
    if (jwks && !httpUrl(jwks))
      problems.push(`AUTH_JWKS_URL=${JSON.stringify(jwks)}: expected an http(s) URL`);
    const clientId = get('AUTH_CLIENT_ID');
    const clientSecret = get('AUTH_CLIENT_SECRET');
    if (clientSecret && !clientId) problems.push('AUTH_CLIENT_SECRET: set without AUTH_CLIENT_ID');
    auth = {
      mode: 'external',
      issuer: issuer,
      audience: audience ?? '',
      jwksUrl: jwks,
      clientId,
      clientSecret,
      adminScope: get('AUTH_ADMIN_SCOPE'),
    };
  } else {
    for (const name of [
      'AUTH_AUDIENCE',
      'AUTH_JWKS_URL',
      'AUTH_CLIENT_ID',
      'AUTH_CLIENT_SECRET',
      'AUTH_ADMIN_SCOPE',
    ]) {
      if (get(name))
        problems.push(
          `${name}: only meaningful with AUTH_ISSUER (external mode); unset it or set AUTH_ISSUER`,
        );
    }
  }

  const systemAdminEmails = (get('SYSTEM_ADMIN_EMAILS') ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);

  const smtpUrl = get('SMTP_URL');
  if (smtpUrl && !/^smtps?:\/\/[^/]+/.test(smtpUrl)) {
    problems.push(`SMTP_URL: expected smtp://host:port or smtps://host:port`);
  }
  const devMailbox = parse(
    'DEV_MAILBOX',
    'auto',
    (s) => (s === 'auto' || s === 'off' ? s : undefined),
    'auto or off',
  );
  const mailFrom = get('MAIL_FROM') ?? 'Admit <no-reply@localhost>';
  if (!parseMailFrom(mailFrom))
    problems.push(
      `MAIL_FROM=${JSON.stringify(mailFrom)}: expected one address, bare or as Name <address>, without quotes, commas, comments or line breaks`,
    );

  const limitHint = 'COUNT/DURATION such as 30/1m, or off';
  const rateLimitPublic = parse('RATE_LIMIT_PUBLIC', '30/1m', parseLimit, limitHint);
  const quotaOrg = parse('INVITE_QUOTA_ORG', '1000/1d', parseLimit, limitHint);
  const quotaRecipient = parse('INVITE_QUOTA_RECIPIENT', '5/1d', parseLimit, limitHint);
  const quotaRecipientAll = parse('INVITE_QUOTA_RECIPIENT_ALL', '50/1d', parseLimit, limitHint);
  const quotaInviter = parse('INVITE_QUOTA_INVITER', '500/1d', parseLimit, limitHint);
  const quotaOrgCreate = parse('ORG_CREATE_QUOTA', '20/1d', parseLimit, limitHint);

  const trustRaw = get('TRUST_PROXY');
  let trustProxy: string[] | undefined;
  if (trustRaw) {
    trustProxy = trustRaw.split(',').map((s) => s.trim());
    for (const t of trustProxy) {
      if (!/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(t))
        problems.push(`TRUST_PROXY: ${JSON.stringify(t)} is not an address or CIDR`);
    }
  }
  const redisUrl = get('REDIS_URL');
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) problems.push('REDIS_URL: expected redis://host:port');

  const logLevel = get('LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel))
    problems.push(`LOG_LEVEL=${JSON.stringify(logLevel)}: expected one of ${LOG_LEVELS.join(', ')}`);

  const metricsRaw = get('METRICS') ?? 'off';
  if (metricsRaw !== 'on' && metricsRaw !== 'off')
    problems.push(`METRICS=${JSON.stringify(metricsRaw)}: expected on or off`);
  const metricsToken = get('METRICS_TOKEN');
  if (metricsToken !== undefined && metricsRaw !== 'on')
    problems.push('METRICS_TOKEN: only meaningful with METRICS=on; unset it or set METRICS=on');
  // a bearer secret that guards nothing stronger than itself: too short would be guessable
  if (metricsToken !== undefined && metricsToken.length < 32)
    problems.push('METRICS_TOKEN: must be at least 32 characters of random text');
  const webhookAllowedHosts = (get('WEBHOOK_ALLOWED_HOSTS') ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  for (const h of webhookAllowedHosts) {
    if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/.test(h))
      problems.push(`WEBHOOK_ALLOWED_HOSTS: ${JSON.stringify(h)} is not host or host:port`);
  }
  const eventRetentionMs = durationMs('EVENT_RETENTION', '90d');
  const outboxRetentionMs = durationMs('OUTBOX_RETENTION', '7d');

  const timings = {
    outboxBackoffBaseMs: durationMs('OUTBOX_BACKOFF_BASE', '2s'),
    outboxBackoffMaxMs: durationMs('OUTBOX_BACKOFF_MAX', '5m'),
    outboxLeaseMs: durationMs('OUTBOX_LEASE', '60s'),
    outboxPollMs: durationMs('OUTBOX_POLL', '1s'),
    smtpTimeoutMs: durationMs('SMTP_TIMEOUT', '15s'),
    jwksCooldownMs: durationMs('AUTH_JWKS_COOLDOWN', '30s'),
    jwksTimeoutMs: durationMs('AUTH_JWKS_TIMEOUT', '5s'),
    httpHeadersTimeoutMs: durationMs('HTTP_HEADERS_TIMEOUT', '10s'),
    httpRequestTimeoutMs: durationMs('HTTP_REQUEST_TIMEOUT', '30s'),
    httpIdleTimeoutMs: durationMs('HTTP_IDLE_TIMEOUT', '60s'),
    // above the 60 s idle timeout of common load balancers, so they never reuse a closing connection
    httpKeepAliveTimeoutMs: durationMs('HTTP_KEEP_ALIVE_TIMEOUT', '72s'),
    webhookTimeoutMs: durationMs('WEBHOOK_TIMEOUT', '10s'),
    sweepIntervalMs: durationMs('SWEEP_INTERVAL', '5m'),
    signingKeysRefreshMs: durationMs('SIGNING_KEYS_REFRESH', '5m'),
  };
  const { httpHeadersTimeoutMs: headersMs, httpRequestTimeoutMs: requestMs } = timings;
  if (headersMs && requestMs && headersMs > requestMs)
    problems.push('HTTP_HEADERS_TIMEOUT: must not exceed HTTP_REQUEST_TIMEOUT');

  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    port,
    host,
    publicUrl,
    appUrl,
    database,
    secret,
    invitationTtlMs,
    invitationMaxTtlMs,
    auth,
    emailClaim: get('AUTH_EMAIL_CLAIM') ?? 'email',
    emailVerifiedClaim: get('AUTH_EMAIL_VERIFIED_CLAIM') ?? 'email_verified',
    systemAdminEmails,
    smtpUrl,
    devMailbox,
    mailFrom,
    rateLimitPublic,
    trustProxy,
    redisUrl,
    quotaOrg,
    quotaRecipient,
    quotaRecipientAll,
    quotaInviter,
    quotaOrgCreate,
    logLevel,
    metrics: { enabled: metricsRaw === 'on', token: metricsToken },
    webhookAllowedHosts,
    eventRetentionMs,
    outboxRetentionMs,
    timings,
  });
}
