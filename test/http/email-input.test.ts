import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { assertProblem } from '../support/admin.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/db.js';
import { type Actor, actor, organization } from '../support/fixtures.js';

// Email canonicalization and header injection through the API (RELIABILITY-PLAN 1.4, cases 2 and
// 34–35): every address that is not one strict addr-spec is 400 invalid_email before anything is
// stored or queued for the mailer; the accepted ones are stored in their canonical form. MAIL_FROM
// that could inject a header or a second recipient stops the start.

const REFUSED: [string, string][] = [
  ['CR/LF and a Bcc header', 'a@example.com\r\nBcc: x@evil.example'],
  ['LF alone', 'a@example.com\nBcc: x@evil.example'],
  ['a NUL', 'a\u0000@example.com'],
  ['a quoted local part with a space', '"a b"@example.com'],
  ['a quoted local part hiding a domain', '"a@good.example x"@evil.example'],
  ['a comment gluing a domain', 'u@good.example(x)evil.example'],
  ['a leading comment', '(x)u@example.com'],
  ['two addresses', 'a@example.com, c@example.net'],
  ['an angle-addr', '<a@example.com>'],
  ['a display name', 'Name <a@example.com>'],
  ['a non-ASCII local part', 'müller@example.com'],
  ['a dotless ı', 'mıke@example.com'],
  ['two @', 'a@b@example.com'],
  ['a space inside', 'a b@example.com'],
  ['a 65-character local part', `${'a'.repeat(65)}@example.com`],
  ['over 254 bytes', `a@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.${'e'.repeat(63)}.com`],
  ['a domain literal', 'a@[127.0.0.1]'],
  ['no domain dot', 'a@localhost'],
];

const CANONICAL: [string, string][] = [
  ['  Mike@EXAMPLE.com ', 'mike@example.com'],
  ['user@Bücher.example', 'user@xn--bcher-kva.example'],
  ['a.b+tag@example.com', 'a.b+tag@example.com'],
  ['x@exаmple.com', 'x@xn--exmple-4nf.com'], // Cyrillic а: another domain, never example.com
];

for (const dialect of dialects()) {
  describe(`[${dialect}] invitation emails: strict addr-spec, canonical form`, () => {
    let t: TestApp;
    let owner: Actor;
    let org: string;
    const count = async (table: 'invitations' | 'outbox') =>
      Number(
        (
          await t.rt.db.kysely
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    before(async () => {
      t = await createTestApp(dialect);
      owner = await actor(t, 'owner@example.com');
      org = await organization(owner);
    });
    after(() => t.close());

    for (const [what, email] of REFUSED) {
      it(`refuses ${what}: 400 invalid_email, nothing stored or queued`, async () => {
        const before = [await count('invitations'), await count('outbox')];
        const res = await owner.api.post(`/v1/organizations/${org}/invitations`, { email, role: 'member' });
        assertProblem(res, 400, 'invalid_email');
        assert.ok(!res.body.includes('evil.example\r'), 'the input is not echoed raw');
        assert.deepEqual([await count('invitations'), await count('outbox')], before);
      });
    }

    for (const [input, canonical] of CANONICAL) {
      it(`stores ${JSON.stringify(input)} as ${canonical}`, async () => {
        const res = await owner.api.post(`/v1/organizations/${org}/invitations`, {
          email: input,
          role: 'member',
          sendEmail: false,
        });
        assert.equal(res.statusCode, 201, res.body);
        assert.equal(res.json<{ email: string }>().email, canonical);
      });
    }
  });
}

describe('MAIL_FROM is checked at start', () => {
  const base = { DATABASE_URL: 'sqlite:/tmp/unused.db' };
  const refused = (value: string) => {
    assert.throws(
      () => loadConfig({ ...base, MAIL_FROM: value }),
      (err: unknown) => err instanceof ConfigError && err.problems.some((p) => p.startsWith('MAIL_FROM')),
      JSON.stringify(value),
    );
  };

  it('refuses a header or a second recipient smuggled in', () => {
    for (const value of [
      'Admit <a@example.com>\r\nBcc: x@evil.example',
      'Admit <a@example.com>\nBcc: x@evil.example',
      'Admit <a@example.com>, x@evil.example',
      'a@example.com, x@evil.example',
      'a@example.com x@evil.example',
      'Admit <"x y"@example.com>',
      'Admit <a@good.example(x)evil.example>',
      'Ev"il <a@example.com>',
      'Admit <a@example.com',
      'Admit <a@example.com> trailing',
      'Admit\u0000 <a@example.com>',
      'no address at all',
      'Admit <>',
    ]) {
      refused(value);
    }
  });

  it('accepts a bare address or a display name with one address, the default included', () => {
    for (const value of [
      'Admit <no-reply@localhost>',
      'invites@acme.example',
      'Acme Invitations <invites@acme.example>',
    ]) {
      assert.equal(loadConfig({ ...base, MAIL_FROM: value }).mailFrom, value);
    }
    assert.equal(loadConfig(base).mailFrom, 'Admit <no-reply@localhost>');
  });
});
