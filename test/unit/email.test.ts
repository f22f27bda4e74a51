import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalEmail } from '../../src/platform/email.js';

// SPEC §2: one canonical email — trim, NFC, lowercase, IDNA domain, ASCII local part, one strict addr-spec.

const ok = (input: string) => {
  const r = canonicalEmail(input);
  assert.ok(r.ok, `${JSON.stringify(input)} should be accepted: ${r.ok ? '' : r.reason}`);
  return r.email;
};
const bad = (input: string) => {
  const r = canonicalEmail(input);
  assert.equal(r.ok, false, `${JSON.stringify(input)} should be refused, got ${r.ok ? r.email : ''}`);
};

describe('canonicalEmail', () => {
  it('trims and folds case', () => {
    assert.equal(ok('  Alice@Example.COM  '), 'alice@example.com');
    assert.equal(ok('BOB@EXAMPLE.ORG'), 'bob@example.org');
  });

  it('keeps +tags and dots', () => {
    assert.equal(ok('First.Last+Tag@Example.com'), 'first.last+tag@example.com');
  });

  it('normalizes to NFC before converting the domain (decomposed é)', () => {
    const decomposed = 'user@caf\u0065\u0301.example';
    const composed = 'user@caf\u00e9.example';
    assert.notEqual(decomposed, composed);
    assert.equal(ok(decomposed), ok(composed));
    assert.equal(ok(composed), 'user@xn--caf-dma.example');
  });

  it('converts an IDN domain to punycode', () => {
    assert.equal(ok('Kim@Bücher.example'), 'kim@xn--bcher-kva.example');
    assert.equal(ok('kim@BÜCHER.EXAMPLE'), 'kim@xn--bcher-kva.example');
    assert.equal(ok('kim@xn--bcher-kva.example'), 'kim@xn--bcher-kva.example');
  });

  it('refuses a non-ASCII local part', () => {
    bad('jörg@example.com');
    bad('用户@example.com');
    bad('\u0131nfo@example.com'); // dotless ı: no Unicode case folding games
  });

  it('refuses header injection, quotes, comments, spaces and two @', () => {
    bad('a@b.com\r\nBcc: x@y.com');
    bad('a@b.com\nBcc: x@y.com');
    bad('a@b.com%0d%0aBcc:x@y.com');
    bad('"a b"@example.com');
    bad('"a"@example.com');
    bad('a(comment)@example.com');
    bad('a@example.com(comment)');
    bad('a b@example.com');
    bad('a@b@example.com');
    bad('a@exa mple.com');
    bad('a\u0000@example.com');
    bad('<a@example.com>');
    bad('Alice <a@example.com>');
    bad('a@example.com, b@example.com');
  });

  it('refuses malformed shapes', () => {
    bad('');
    bad('plain');
    bad('@example.com');
    bad('a@');
    bad('a@localhost');
    bad('.a@example.com');
    bad('a.@example.com');
    bad('a..b@example.com');
    bad('a@-example.com');
    bad('a@example..com');
    bad('a@[127.0.0.1]');
  });

  it('limits the local part to 64 and the address to 254 bytes', () => {
    assert.equal(ok(`${'a'.repeat(64)}@example.com`), `${'a'.repeat(64)}@example.com`);
    bad(`${'a'.repeat(65)}@example.com`);
    // 64 + 1 + 189 = 254
    const domain254 = `${['b'.repeat(63), 'c'.repeat(63), 'd'.repeat(57)].join('.')}.com`;
    assert.equal(64 + 1 + domain254.length, 254);
    ok(`${'a'.repeat(64)}@${domain254}`);
    bad(`${'a'.repeat(64)}@e${domain254}`);
  });
});
