import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, parseDuration, parseLimit } from '../../src/config.js';

// SPEC §1: configuration is environment variables only, validated at start, every bad value at once.

const SECRET = 'x'.repeat(40);

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  assert.fail(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    assert.equal(c.port, 3000);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.publicUrl, 'http://localhost:3000');
    assert.equal(c.appUrl, c.publicUrl);
    assert.deepEqual(c.database, { kind: 'sqlite', path: './data/admit.db' });
    assert.equal(c.invitationTtlMs, 7 * 86_400_000);
    assert.equal(c.invitationMaxTtlMs, 30 * 86_400_000);
    assert.deepEqual(c.auth, { mode: 'builtin' });
    assert.equal(c.emailClaim, 'email');
    assert.equal(c.emailVerifiedClaim, 'email_verified');
    assert.equal(c.mailFrom, 'Admit <no-reply@localhost>');
    assert.deepEqual(c.rateLimitPublic, { max: 30, windowMs: 60_000 });
    assert.deepEqual(c.quotaOrg, { max: 1000, windowMs: 86_400_000 });
    assert.deepEqual(c.quotaRecipient, { max: 5, windowMs: 86_400_000 });
    assert.deepEqual(c.quotaRecipientAll, { max: 50, windowMs: 86_400_000 });
    assert.deepEqual(c.quotaInviter, { max: 500, windowMs: 86_400_000 });
    assert.deepEqual(c.quotaOrgCreate, { max: 20, windowMs: 86_400_000 });
    assert.equal(c.logLevel, 'info');
    assert.ok(Object.isFrozen(c));
  });

  it('PUBLIC_URL defaults from PORT and loses its trailing slash', () => {
    assert.equal(loadConfig({ PORT: '8080' }).publicUrl, 'http://localhost:8080');
    assert.equal(loadConfig({ PUBLIC_URL: 'https://admit.example/' }).publicUrl, 'https://admit.example');
  });

  it('reports every bad value at once, naming each variable', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      PUBLIC_URL: 'ftp://x',
      DATABASE_URL: 'mysql://db',
      INVITATION_TTL: 'a week',
      INVITATION_MAX_TTL: '0d',
      RATE_LIMIT_PUBLIC: 'lots',
      INVITE_QUOTA_ORG: '10',
      INVITE_QUOTA_RECIPIENT: '5/ever',
      INVITE_QUOTA_RECIPIENT_ALL: 'x',
      INVITE_QUOTA_INVITER: '-1/1d',
      ORG_CREATE_QUOTA: 'none',
      AUTH_ADMIN_SCOPE: 'admins',
      SMTP_URL: 'http://mail',
      LOG_LEVEL: 'loud',
      REDIS_URL: 'memcached://x',
      TRUST_PROXY: 'everyone',
      ADMIT_SECRET: 'short',
      MAIL_FROM: 'a\r\nBcc: x@y.com',
    });
    for (const name of [
      'PORT',
      'PUBLIC_URL',
      'DATABASE_URL',
      'INVITATION_TTL',
      'INVITATION_MAX_TTL',
      'RATE_LIMIT_PUBLIC',
      'INVITE_QUOTA_ORG',
      'INVITE_QUOTA_RECIPIENT',
      'INVITE_QUOTA_RECIPIENT_ALL',
      'INVITE_QUOTA_INVITER',
      'ORG_CREATE_QUOTA',
      'AUTH_ADMIN_SCOPE',
      'SMTP_URL',
      'LOG_LEVEL',
      'REDIS_URL',
      'TRUST_PROXY',
      'ADMIT_SECRET',
      'MAIL_FROM',
    ]) {
      assert.ok(
        problems.some((p) => p.startsWith(name)),
        `${name} is not reported in:\n${problems.join('\n')}`,
      );
    }
    assert.ok(problems.length >= 14);
  });

  it('the error message lists every problem', () => {
    try {
      loadConfig({ PORT: '-1', LOG_LEVEL: 'nope' });
      assert.fail('expected ConfigError');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /PORT/);
      assert.match(err.message, /LOG_LEVEL/);
    }
  });

  it('AUTH_ISSUER without AUTH_AUDIENCE stops the start', () => {
    const problems = problemsOf({ AUTH_ISSUER: 'https://issuer.example' });
    assert.ok(problems.some((p) => p.startsWith('AUTH_AUDIENCE')));
  });

  it('external-mode variables without AUTH_ISSUER are refused', () => {
    const problems = problemsOf({ AUTH_AUDIENCE: 'x', AUTH_JWKS_URL: 'https://x/jwks' });
    assert.ok(problems.some((p) => p.startsWith('AUTH_AUDIENCE')));
    assert.ok(problems.some((p) => p.startsWith('AUTH_JWKS_URL')));
  });

  it('a full external configuration selects external mode', () => {
    const c = loadConfig({
      AUTH_ISSUER: 'https://issuer.example',
      AUTH_AUDIENCE: 'admit',
      AUTH_EMAIL_CLAIM: 'https://example.com/email',
    });
    assert.equal(c.auth.mode, 'external');
    assert.equal(c.auth.mode === 'external' && c.auth.audience, 'admit');
    assert.equal(c.emailClaim, 'https://example.com/email');
  });

  it('PostgreSQL requires ADMIT_SECRET', () => {
    const problems = problemsOf({ DATABASE_URL: 'postgres://u@localhost/admit' });
    assert.ok(problems.some((p) => p.startsWith('ADMIT_SECRET')));
    const c = loadConfig({ DATABASE_URL: 'postgres://u@localhost/admit', ADMIT_SECRET: SECRET });
    assert.deepEqual(c.database, { kind: 'postgres', url: 'postgres://u@localhost/admit' });
  });

  it('INVITATION_TTL may not exceed INVITATION_MAX_TTL', () => {
    const problems = problemsOf({ INVITATION_TTL: '40d' });
    assert.ok(problems.some((p) => p.startsWith('INVITATION_TTL')));
  });

  it('parses durations and limits, and off', () => {
    assert.equal(parseDuration('7d'), 7 * 86_400_000);
    assert.equal(parseDuration('36h'), 36 * 3_600_000);
    assert.equal(parseDuration('90m'), 90 * 60_000);
    assert.equal(parseDuration('2s'), 2000);
    assert.equal(parseDuration('500ms'), 500);
    for (const badValue of ['', '7', 'd', '1.5h', '-1d', '0s', '7 days', '7D']) {
      assert.equal(parseDuration(badValue), undefined, badValue);
    }
    assert.equal(loadConfig({ INVITATION_TTL: '36h' }).invitationTtlMs, 36 * 3_600_000);
    assert.deepEqual(parseLimit('30/1m'), { max: 30, windowMs: 60_000 });
    assert.equal(parseLimit('off'), 'off');
    assert.equal(parseLimit('0/1m'), undefined);
    assert.equal(loadConfig({ INVITE_QUOTA_ORG: 'off' }).quotaOrg, 'off');
  });

  it('SYSTEM_ADMIN_EMAILS is a comma-separated, lowercased list', () => {
    assert.deepEqual(
      loadConfig({ SYSTEM_ADMIN_EMAILS: ' Root@Example.com, ops@example.com ,' }).systemAdminEmails,
      ['root@example.com', 'ops@example.com'],
    );
  });
});
