import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isoTime, writeIsoTime } from '../../src/platform/clock.js';

describe('isoTime', () => {
  it('formats exactly like Date#toISOString', () => {
    const samples = [
      0,
      1,
      999,
      1000,
      86_399_999,
      86_400_000,
      -1,
      -86_400_001,
      Date.UTC(2026, 10, 22, 23, 59, 59, 999),
      Date.UTC(2028, 1, 29, 12, 0, 0, 5),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
      Date.UTC(0, 0, 1) - 0,
      1.5,
    ];
    let x = 0x2545f491;
    for (let i = 0; i < 5_000; i++) {
      x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
      samples.push(Math.floor((x / 2 ** 31) * 4_102_444_800_000) - 1_000_000_000_000);
      samples.push(samples[samples.length - 1]! + (x % 1000));
    }
    for (const ms of samples) assert.equal(isoTime(ms), new Date(ms).toISOString(), String(ms));
  });

  it('takes the slow path outside years 0-9999 and throws on an invalid time like Date does', () => {
    assert.equal(isoTime(253_402_300_800_000), new Date(253_402_300_800_000).toISOString());
    assert.throws(() => isoTime(Number.NaN), RangeError);
  });
});

describe('writeIsoTime', () => {
  const FIRST = -62_167_219_200_000; // 0000-01-01T00:00:00.000Z
  const END = 253_402_300_800_000; // 10000-01-01T00:00:00.000Z

  it("writes Date#toISOString's 24 characters in place, touching no other byte, in years 0-9999", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: FIRST, max: END - 1 }),
          fc.constantFrom(FIRST, END - 1, 0, -1, 86_400_000),
        ),
        fc.integer({ min: 0, max: 8 }),
        (ms, at) => {
          const out = Buffer.alloc(at + 30, 0x2a);
          assert.equal(writeIsoTime(out, at, ms), true);
          assert.equal(
            out.toString('latin1'),
            `${'*'.repeat(at)}${new Date(ms).toISOString()}${'*'.repeat(6)}`,
          );
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('writes nothing and says so outside years 0-9999 (a longer string) or for a time that is not whole', () => {
    for (const ms of [FIRST - 1, END, 8.64e15, 1.5, Number.NaN]) {
      const out = Buffer.alloc(24, 0x2a);
      assert.equal(writeIsoTime(out, 0, ms), false, String(ms));
      assert.equal(out.toString('latin1'), '*'.repeat(24));
    }
  });
});
