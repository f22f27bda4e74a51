import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactUrl } from '../../src/http/redact.js';
import {
  createSealer,
  looksLikeInvitationToken,
  newInvitationToken,
  sha256Hex,
} from '../../src/platform/crypto.js';
import { randomBytes } from '../../src/platform/random.js';

// SPEC §6: tokens are inv_ + 32 random bytes base64url; only a SHA-256 is stored; secrets sealed with AES-256-GCM.

describe('pooled random bytes', () => {
  it('never hand out the same bytes twice, across many refills of the pool', () => {
    // 5,000 draws of 32 bytes are ~40 refills of the 4 KB pool; a draw that repeated or overlapped
    // another (a pool not advanced, or not refilled) would repeat a 32-byte value
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const b = randomBytes(32);
      assert.equal(b.length, 32);
      seen.add(b.toString('hex'));
    }
    assert.equal(seen.size, 5000);
  });

  it('are random bytes of the size asked, not zeroes from the pool, whatever the size', () => {
    const counts = new Array<number>(256).fill(0);
    for (const size of [1, 12, 13, 500, 512, 513, 4096, 10_000]) {
      const b = randomBytes(size);
      assert.equal(b.length, size);
      for (const byte of b) counts[byte] = (counts[byte] ?? 0) + 1;
    }
    // 15,659 bytes: each of the 256 values expected ~61 times; a run of zeroes would show at 0
    assert.ok(
      counts.every((c) => c > 10 && c < 200),
      `byte value counts ${counts.join(',')}`,
    );
    assert.equal(randomBytes(0).length, 0);
    assert.throws(() => randomBytes(-1), RangeError);
  });
});

describe('invitation tokens', () => {
  it('are inv_ + 32 random bytes in base64url, all different', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const t = newInvitationToken();
      assert.match(t, /^inv_[A-Za-z0-9_-]{43}$/);
      assert.equal(Buffer.from(t.slice(4), 'base64url').length, 32);
      assert.ok(looksLikeInvitationToken(t));
      seen.add(t);
    }
    assert.equal(seen.size, 200);
    assert.equal(looksLikeInvitationToken('inv_short'), false);
    assert.equal(looksLikeInvitationToken('00000000-0000-4000-8000-000000000000'), false);
  });

  it('are stored as a 64-hex SHA-256', () => {
    const h = sha256Hex('inv_abc');
    assert.match(h, /^[0-9a-f]{64}$/);
    assert.equal(h, sha256Hex('inv_abc'));
    assert.notEqual(h, sha256Hex('inv_abd'));
  });

  it('are redacted from URLs in logs', () => {
    const t = newInvitationToken();
    assert.equal(redactUrl(`/api/v1/invitations/${t}`), '/api/v1/invitations/[redacted]');
    assert.equal(redactUrl(`/api/v1/invitations/${t}/accept`), '/api/v1/invitations/[redacted]/accept');
    assert.equal(redactUrl(`/invite/${t}?x=1`), '/invite/[redacted]?x=1');
    assert.ok(!redactUrl(`/anything?token=${t}`).includes(t));
    const id = '0b6f0f5e-8d1b-4c1e-9d6a-2c1f4b5e6a7b';
    assert.equal(redactUrl(`/api/v1/invitations/${id}`), `/api/v1/invitations/${id}`);
  });
});

describe('sealer', () => {
  const sealer = createSealer('s'.repeat(48));

  it('round-trips under the same key and context', () => {
    const box = sealer.seal('inv_secret', 'outbox:1');
    assert.ok(!box.includes('inv_secret'));
    assert.equal(sealer.open(box, 'outbox:1'), 'inv_secret');
  });

  it('never seals the same text twice alike (random IV)', () => {
    assert.notEqual(sealer.seal('x', 'c'), sealer.seal('x', 'c'));
  });

  it('refuses another context, another key, and tampering', () => {
    const box = sealer.seal('inv_secret', 'outbox:1');
    assert.equal(sealer.open(box, 'outbox:2'), undefined);
    assert.equal(createSealer('t'.repeat(48)).open(box, 'outbox:1'), undefined);
    const parts = box.split('.');
    const body = Buffer.from(parts[2] ?? '', 'base64url');
    body[0] = (body[0] ?? 0) ^ 1;
    parts[2] = body.toString('base64url');
    assert.equal(sealer.open(parts.join('.'), 'outbox:1'), undefined);
    assert.equal(sealer.open('garbage', 'outbox:1'), undefined);
    assert.equal(sealer.open('v1.a.b', 'outbox:1'), undefined);
  });

  it('refuses a box whose tag was truncated (the tag length is pinned to 16 bytes)', () => {
    const box = sealer.seal('inv_secret', 'outbox:1');
    const parts = box.split('.');
    const tag = Buffer.from(parts[3] ?? '', 'base64url');
    assert.equal(tag.length, 16);
    for (const n of [4, 8, 12, 15]) {
      parts[3] = tag.subarray(0, n).toString('base64url');
      assert.equal(sealer.open(parts.join('.'), 'outbox:1'), undefined, `a ${n}-byte tag is refused`);
    }
  });
});
