import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay } from '../../src/outbox/dispatcher.js';
import { escapeHtml, oneLine, renderInvitationEmail } from '../../src/outbox/render.js';
import { classifySendError } from '../../src/platform/mailer.js';

const facts = {
  organizationName: 'Acme Corp',
  workspaceName: 'Main Workspace',
  roleName: 'Developer',
  inviterName: 'Alice',
  inviterEmail: 'alice@example.com',
  expireAt: Date.UTC(2026, 0, 8, 9, 30),
  url: 'http://admit.test/invite/inv_abc',
};

describe('invitation email rendering', () => {
  it('names the organization, inviter, role and workspace and shows the expiry and link in both parts', () => {
    const m = renderInvitationEmail(facts);
    assert.equal(m.subject, "You're invited to join Acme Corp");
    for (const part of [m.text, m.html]) {
      for (const s of ['Acme Corp', 'Alice', 'Developer', 'Main Workspace', 'January 8, 2026', '09:30 UTC']) {
        assert.ok(part.includes(s), `${s} in ${part}`);
      }
    }
    assert.ok(m.text.includes('\nhttp://admit.test/invite/inv_abc\n'));
    assert.ok(m.html.includes('href="http://admit.test/invite/inv_abc"'));
  });

  it('falls back to the inviter email and leaves the workspace out when there is none', () => {
    const m = renderInvitationEmail({ ...facts, inviterName: null, workspaceName: null });
    assert.match(m.text, /^alice@example\.com invited you to join Acme Corp as Developer\./);
    assert.ok(!m.html.includes('workspace'));
  });

  it('escapes every admin-controlled string in HTML', () => {
    const evil = '<script>alert("x")</script>&\'';
    const m = renderInvitationEmail({
      ...facts,
      organizationName: evil,
      workspaceName: evil,
      roleName: evil,
      inviterName: '<img src=x onerror=alert(1)>',
    });
    assert.ok(!m.html.includes('<script>'));
    assert.ok(!m.html.includes('<img'));
    assert.ok(m.html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;'));
    assert.ok(m.html.includes('&lt;img src=x onerror=alert(1)&gt;'));
  });

  it('builds a single-line subject whatever the organization name holds', () => {
    for (const name of [
      'Acme\r\nBcc: x@evil.com',
      'Acme\nBcc: x@evil.com',
      'Acme\rX',
      'A\u2028B\u0000C\tD',
      'x'.repeat(1000),
    ]) {
      const m = renderInvitationEmail({ ...facts, organizationName: name });
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is checked
      assert.doesNotMatch(m.subject, /[\r\n\u2028\u0000\t]/);
      assert.ok(m.subject.length <= 250);
    }
    assert.equal(oneLine('  a \r\n b  '), 'a b');
    assert.equal(escapeHtml('<&>"\''), '&lt;&amp;&gt;&quot;&#39;');
  });
});

describe('retry backoff', () => {
  it('is capped exponential with full jitter', () => {
    for (let n = 1; n <= 30; n++) {
      const ceiling = Math.min(500, 50 * 2 ** (n - 1));
      assert.equal(
        backoffDelay(n, 50, 500, () => 0),
        0,
        'full jitter reaches 0',
      );
      const top = backoffDelay(n, 50, 500, () => 0.999999);
      assert.ok(top <= ceiling && top >= ceiling - 1, `attempt ${n}: ${top} vs ${ceiling}`);
    }
    assert.equal(
      backoffDelay(1000, 2000, 300_000, () => 0.5),
      150_000,
      'no overflow for large attempt counts',
    );
  });
});

describe('SMTP error classes', () => {
  const cases: [unknown, boolean, string][] = [
    [{ code: 'EENVELOPE', responseCode: 550, message: 'no such user' }, true, 'smtp_5xx 550'],
    [{ code: 'EMESSAGE', responseCode: 554 }, true, 'smtp_5xx 554'],
    [{ code: 'EENVELOPE', responseCode: 451 }, false, 'smtp_4xx 451'],
    [{ code: 'EPROTOCOL', responseCode: 421 }, false, 'smtp_4xx 421'],
    [
      { code: 'ESOCKET', originalCode: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' },
      false,
      'connection_refused',
    ],
    [{ code: 'ETIMEDOUT', message: 'Greeting never received' }, false, 'timeout'],
    [{ code: 'ESOCKET', originalCode: 'ECONNRESET' }, false, 'connection_reset'],
    [{ code: 'EDNS', originalCode: 'ENOTFOUND' }, false, 'dns'],
    [{ code: 'EAUTH', responseCode: undefined }, false, 'auth'],
    [{ code: 'ECONNECTION' }, false, 'connection_closed'],
    [new Error('weird'), false, 'send_error'],
    ['not an error', false, 'send_error'],
  ];
  for (const [err, permanent, errorClass] of cases) {
    it(`${JSON.stringify(err)} → ${errorClass}`, () => {
      assert.deepEqual(classifySendError(err), { permanent, errorClass });
    });
  }

  it('never carries the reply text (which could echo anything) into the class', () => {
    const c = classifySendError({ responseCode: 451, message: 'inv_secret-token-here' });
    assert.ok(!c.errorClass.includes('inv_'));
  });
});
