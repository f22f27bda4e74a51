import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isoTime } from '../../src/platform/clock.js';

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
