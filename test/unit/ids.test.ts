import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cryptoIds, UUID_PATTERN, uuidv7 } from '../../src/platform/ids.js';

describe('uuidv7', () => {
  it('is a version-7, RFC 9562 variant UUID whose first 48 bits are the time in milliseconds', () => {
    const at = Date.UTC(2026, 10, 22, 4, 0, 0, 123);
    const id = uuidv7(at);
    assert.match(id, new RegExp(UUID_PATTERN));
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16), at);
    assert.match(uuidv7(0), /^00000000-0000-7/);
  });

  it('sorts by time and is unique within a millisecond', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => uuidv7(1_700_000_000_000 + Math.floor(i / 100)));
    assert.equal(new Set(ids).size, ids.length);
    for (let i = 100; i < ids.length; i += 100) assert.ok(ids[i - 1]! < ids[i]!, `${ids[i - 1]} < ${ids[i]}`);
  });

  it('increases strictly within one millisecond, in the order made', () => {
    const ids = Array.from({ length: 5000 }, () => uuidv7(1_800_000_000_000));
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1]! < ids[i]!, `${ids[i - 1]} < ${ids[i]}`);
    assert.ok(
      ids.every((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id)),
    );
  });

  it('is what the service uses for new rows', () => {
    const before = Date.now();
    const id = cryptoIds.uuid();
    const ms = Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
    assert.ok(ms >= before && ms <= Date.now() + 1, id);
  });
});
