import type { Limit } from '../../config.js';
import type { AppError } from '../../errors.js';
import type { Counters } from '../../platform/counters.js';

// Quotas count only what commits. Each request reserves one unit of every quota it is under before
// its transaction (so concurrent requests cannot overshoot: the counter is the arbiter), and gives
// the units back when the transaction does not commit (a 409, a 400 found inside it, a failure). A
// refused request keeps nothing either, so failed creates never block anyone.

export interface QuotaCheck {
  limit: Limit;
  /** counter key: names the quota and its subject, e.g. `recipient:<org>:<email>` */
  key: string;
  /** the error for this quota, given the seconds until its window resets */
  exceeded: (retryAfterSeconds: number) => AppError;
}

/**
 * Reserves one unit of each quota, runs `work`, and keeps the units only if it succeeds. Throws the
 * first exceeded quota's error (429) without running `work`.
 */
export async function withQuotas<T>(
  counters: Counters,
  checks: QuotaCheck[],
  work: () => Promise<T>,
): Promise<T> {
  const taken: string[] = [];
  const giveBack = () => Promise.all(taken.map((key) => counters.release(key)));
  try {
    for (const check of checks) {
      if (check.limit === 'off') continue;
      const { count, resetInMs } = await counters.hit(check.key, check.limit.windowMs);
      taken.push(check.key);
      if (count > check.limit.max) throw check.exceeded(resetInMs / 1000);
    }
  } catch (err) {
    await giveBack();
    throw err;
  }
  try {
    return await work();
  } catch (err) {
    await giveBack().catch(() => undefined);
    throw err;
  }
}
