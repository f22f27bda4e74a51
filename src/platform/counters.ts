import type { Redis } from 'ioredis';

/** Fixed-window counters for quotas: in memory for one process, or in Redis shared by all. */
export interface Counters {
  /** Counts one hit on key in the current window; returns the count so far and ms until the window resets. */
  hit(key: string, windowMs: number): Promise<{ count: number; resetInMs: number }>;
  /** Gives back one hit of the current window (a reservation that did not commit); nothing once it has reset. */
  release(key: string): Promise<void>;
}

/** The one process's counters, with the number of windows they hold (bounded: see release). */
export function memoryCounters(now: () => number = Date.now): Counters & { size(): number } {
  const windows = new Map<string, { count: number; resetAt: number }>();
  let sweepAt = 0;
  return {
    size: () => windows.size,
    async hit(key, windowMs) {
      const t = now();
      if (t >= sweepAt) {
        // keep the store bounded: drop every finished window once a minute
        for (const [k, w] of windows) if (w.resetAt <= t) windows.delete(k);
        sweepAt = t + 60_000;
      }
      let w = windows.get(key);
      if (!w || w.resetAt <= t) {
        w = { count: 0, resetAt: t + windowMs };
        windows.set(key, w);
      }
      w.count += 1;
      return { count: w.count, resetInMs: w.resetAt - t };
    },
    async release(key) {
      const w = windows.get(key);
      if (!w || w.resetAt <= now() || w.count <= 0) return;
      w.count -= 1;
      // a window holding nothing limits nothing: forget it, so a flood of refused requests to random
      // subjects (addresses, organizations) leaves no key behind for the rest of a day-long window
      if (w.count === 0) windows.delete(key);
    },
  };
}

const RELEASE =
  "if redis.call('exists', KEYS[1]) == 1 and tonumber(redis.call('get', KEYS[1])) > 0 then redis.call('decr', KEYS[1]) end return 0";

export function redisCounters(redis: Redis, prefix = 'admit:quota:'): Counters {
  return {
    async hit(key, windowMs) {
      const k = prefix + key;
      const result = await redis.multi().incr(k).pexpire(k, windowMs, 'NX').pttl(k).exec();
      const count = Number(result?.[0]?.[1] ?? 1);
      const ttl = Number(result?.[2]?.[1] ?? windowMs);
      return { count, resetInMs: ttl > 0 ? ttl : windowMs };
    },
    async release(key) {
      // only within the window that counted it: a DECR on an expired (missing) key would start at -1
      await redis.eval(RELEASE, 1, prefix + key);
    },
  };
}
