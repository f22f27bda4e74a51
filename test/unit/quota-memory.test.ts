import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { AppError } from '../../src/errors.js';
import { withQuotas } from '../../src/modules/quotas/reserve.js';
import { memoryCounters } from '../../src/platform/counters.js';
import { STRESS } from '../support/db.js';

// The in-memory quota store stays bounded under a flood of refused requests to random addresses
// (RELIABILITY-PLAN case 54/56): a reservation given back leaves nothing behind, so only what
// committed occupies memory until its window ends, and that is bounded by the quotas themselves.

const FLOOD = STRESS ? 1_000_000 : 20_000;
const DAY = 86_400_000;
const refused = () => new AppError(429, 'quota', 'over');

describe('memory quota counters under a flood', () => {
  it(`keep no key for ${FLOOD.toLocaleString('en')} refused reservations to random recipients`, async () => {
    const counters = memoryCounters(() => 1_000);
    // an inviter already at its quota: every request to a new address is refused at the last check
    await withQuotas(
      counters,
      [{ limit: { max: 1, windowMs: DAY }, key: 'inviter:x', exceeded: refused }],
      async () => 1,
    );
    for (let i = 0; i < FLOOD; i++) {
      const email = `${randomBytes(6).toString('hex')}@victim.example`;
      await assert.rejects(
        withQuotas(
          counters,
          [
            { limit: { max: 5, windowMs: DAY }, key: `recipient:org:${email}`, exceeded: refused },
            { limit: { max: 50, windowMs: DAY }, key: `recipient-all:${email}`, exceeded: refused },
            { limit: { max: 1, windowMs: DAY }, key: 'inviter:x', exceeded: refused },
          ],
          async () => 1,
        ),
      );
    }
    assert.equal(counters.size(), 1, 'only the inviter window that committed is kept');
  });

  it('keeps none for work that failed inside its transaction either', async () => {
    const counters = memoryCounters(() => 1_000);
    for (let i = 0; i < 10_000; i++) {
      const check = { limit: { max: 5, windowMs: DAY }, key: `r:${i}`, exceeded: refused };
      await assert.rejects(
        withQuotas(counters, [check], async () => {
          throw new AppError(409, 'invitation_pending', 'pending');
        }),
      );
    }
    assert.equal(counters.size(), 0);
  });

  it('still counts what committed until its window ends', async () => {
    let now = 1_000;
    const counters = memoryCounters(() => now);
    const check = { limit: { max: 2, windowMs: 60_000 }, key: 'recipient:a', exceeded: refused };
    await withQuotas(counters, [check], async () => 1);
    await withQuotas(counters, [check], async () => 1);
    await assert.rejects(
      withQuotas(counters, [check], async () => 1),
      /over/,
    );
    assert.equal(counters.size(), 1);
    now += 60_001;
    await withQuotas(counters, [check], async () => 1);
  });
});
