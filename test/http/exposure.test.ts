import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, afterEach, before, describe, it } from 'node:test';
import { LIMITS_OFF } from '../../scripts/limits-off.js';
import { ensureBuilt, spawnNode } from '../../scripts/proc.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { MAX_TOKEN_TTL_SECONDS } from '../../src/platform/auth/builtin-issuer.js';
import { createLogger, createRuntime } from '../../src/runtime.js';
import { createTestApp, TEST_SECRET, type TestApp } from '../support/app.js';
import { createMailApp, type MailApp } from '../support/mail.js';

// Issue 12 item 5: what a deployment exposes without meaning to. The dev mailbox answers only a local
// browser (loopback peer, loopback Host, no proxy in between) and can be turned off; minted tokens
// live at most 30 days; the start-up log says where the secret came from; an undeclared proxy is
// reported once.

describe('[sqlite] the dev mailbox', () => {
  let t: MailApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  const get = (app: MailApp['app'], headers: Record<string, string>, remoteAddress = '127.0.0.1') =>
    app.inject({ method: 'GET', url: '/dev/mailbox', remoteAddress, headers });

  it('answers a loopback peer that names a loopback host, and says at start where it is', async () => {
    t = await createMailApp('sqlite', { HOST: '127.0.0.1', PORT: '3999' });
    for (const host of ['localhost:3999', '127.0.0.1:3999', '[::1]:3999', 'admit.localhost']) {
      const res = await get(t.app, { host });
      assert.equal(res.statusCode, 200, `${host}: ${res.body}`);
    }
    assert.equal((await get(t.app, { host: 'localhost' }, '::1')).statusCode, 200, 'IPv6 loopback peer');
    const line = t.logs.find((l) => l.includes('dev mailbox:') && l.includes('/dev/mailbox'));
    assert.ok(line?.includes('http://127.0.0.1:3999/dev/mailbox'), `start-up log: ${line}`);
  });

  it('is a 404 for a rebound host name, a non-loopback peer, or any proxy header', async () => {
    t = await createMailApp('sqlite', { HOST: '127.0.0.1' });
    const refused: [string, Record<string, string>, string?][] = [
      ['DNS rebinding: Host names the attacker', { host: 'evil.example:3000' }],
      ['a Host that only starts like loopback', { host: '127.0.0.1.evil.example' }],
      ['a peer on the network', { host: 'localhost' }, '192.168.1.20'],
      ['a same-host proxy (X-Forwarded-For)', { host: 'localhost', 'x-forwarded-for': '203.0.113.9' }],
      ['a same-host proxy (X-Forwarded-Host)', { host: 'localhost', 'x-forwarded-host': 'admit.example' }],
      ['a same-host proxy (X-Forwarded-Proto)', { host: 'localhost', 'x-forwarded-proto': 'https' }],
      ['a same-host proxy (Forwarded)', { host: 'localhost', forwarded: 'for=203.0.113.9' }],
    ];
    for (const [why, headers, peer] of refused) {
      const res = await get(t.app, headers, peer);
      assert.equal(res.statusCode, 404, why);
      assert.equal(res.json<{ code: string }>().code, 'not_found', `${why}: the same 404 as no route`);
      assert.ok(!res.body.includes('messages'), why);
    }
  });

  it('DEV_MAILBOX=off turns it off on loopback, and says so at start', async () => {
    t = await createMailApp('sqlite', { HOST: '127.0.0.1', DEV_MAILBOX: 'off' });
    assert.equal((await get(t.app, { host: 'localhost' })).statusCode, 404);
    assert.ok(t.logs.some((l) => l.includes('dev mailbox not served')));
  });

  it('DEV_MAILBOX takes auto or off, nothing else', () => {
    const base = { DATABASE_URL: 'sqlite::memory:', ADMIT_SECRET: TEST_SECRET };
    assert.equal(loadConfig(base).devMailbox, 'auto');
    assert.equal(loadConfig({ ...base, DEV_MAILBOX: 'off' }).devMailbox, 'off');
    assert.throws(
      () => loadConfig({ ...base, DEV_MAILBOX: 'yes' }),
      (e: unknown) => e instanceof ConfigError && /DEV_MAILBOX="yes": expected auto or off/.test(e.message),
    );
  });
});

describe('[sqlite] minted token lifetimes', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp('sqlite');
    ensureBuilt();
  });
  after(() => t.close());

  it('the issuer signs up to 30 days and refuses more', async () => {
    assert.ok(await t.rt.issuer!.sign({ email: 'a@example.com', ttlSeconds: MAX_TOKEN_TTL_SECONDS }));
    await assert.rejects(
      t.rt.issuer!.sign({ email: 'a@example.com', ttlSeconds: MAX_TOKEN_TTL_SECONDS + 1 }),
      RangeError,
    );
  });

  it('admit token --expires above 30d exits 2 with a message; 30d works', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'admit-token-'));
    const env = { DATABASE_URL: `sqlite:${join(dir, 'admit.db')}`, ADMIT_SECRET: TEST_SECRET };
    const long = spawnNode(
      'dist/cli/admit.js',
      ['token', '--email', 'a@example.com', '--expires', '31d'],
      env,
    );
    assert.equal(await long.exited, 2, long.output());
    assert.match(long.output(), /--expires is at most 30d/);
    assert.equal(long.stdout(), '', 'no token printed');
    const ok = spawnNode('dist/cli/admit.js', ['token', '--email', 'a@example.com', '--expires', '30d'], env);
    assert.equal(await ok.exited, 0, ok.output());
    assert.match(ok.stdout(), /^ey[\w-]+\.[\w-]+\.[\w-]+\n$/);
  });
});

describe('[sqlite] where the secret came from', () => {
  async function startLogs(env: Record<string, string>): Promise<string[]> {
    const logs: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logs.push(String(chunk));
        cb();
      },
    });
    const config = loadConfig({ ...LIMITS_OFF, LOG_LEVEL: 'info', ...env });
    const rt = await createRuntime(config, { logger: createLogger(config, sink) });
    await rt.close();
    return logs;
  }

  it('says ADMIT_SECRET when it is set', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'admit-secret-'));
    const logs = await startLogs({ DATABASE_URL: `sqlite:${join(dir, 'a.db')}`, ADMIT_SECRET: TEST_SECRET });
    assert.ok(logs.some((l) => l.includes('"secretFrom":"ADMIT_SECRET"')));
    assert.ok(!logs.some((l) => l.includes(TEST_SECRET)), 'never the secret itself');
    assert.ok(!existsSync(join(dir, 'admit.secret')));
  });

  it('warns, naming the file, when the secret is generated beside the database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'admit-secret-'));
    const logs = await startLogs({ DATABASE_URL: `sqlite:${join(dir, 'a.db')}` });
    const line = logs.find((l) => l.includes('"secretFrom":"file"'));
    assert.ok(line, logs.join(''));
    const entry = JSON.parse(line) as { level: number; path: string; msg: string };
    assert.equal(entry.level, 40, 'a warning');
    assert.equal(entry.path, join(dir, 'admit.secret'));
    assert.match(entry.msg, /a copy of the data directory can mint administrator tokens/);
    assert.match(entry.msg, /ADMIT_SECRET/);
  });
});

describe('[sqlite] X-Forwarded-For without TRUST_PROXY', () => {
  it('is reported once, not per request', async () => {
    const t = await createTestApp('sqlite');
    try {
      const warning = () => t.logs.filter((l) => l.includes('TRUST_PROXY is unset')).length;
      await t.app.inject({ method: 'GET', url: '/healthz' });
      assert.equal(warning(), 0, 'no header, no warning');
      for (let i = 0; i < 3; i++) {
        await t.app.inject({
          method: 'GET',
          url: '/healthz',
          headers: { 'x-forwarded-for': `203.0.113.${i}` },
        });
      }
      assert.equal(warning(), 1);
    } finally {
      await t.close();
    }
  });

  it('is not reported when TRUST_PROXY is set', async () => {
    const t = await createTestApp('sqlite', { TRUST_PROXY: '127.0.0.1' });
    try {
      await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-forwarded-for': '203.0.113.1' } });
      assert.ok(!t.logs.some((l) => l.includes('TRUST_PROXY is unset')));
    } finally {
      await t.close();
    }
  });
});
