import { randomFillSync } from 'node:crypto';

/**
 * Cryptographically secure random bytes, drawn from a pooled buffer. Each `crypto.randomBytes` call
 * pays OpenSSL 3's fixed cost of a RAND_bytes call, ~5 µs whether it asks for 12 bytes or 4 KB, and a
 * create asks twice (its token and the outbox seal's IV): a token and its seal took 19.5 µs of CPU,
 * 7.4 µs from the pool (BENCHMARKS.md, item 50). This fills 4 KB at once from the same generator and
 * hands out copies, as Node's own `crypto.randomUUID` does with its entropy cache. Bytes handed out
 * are zeroed in the pool, so a token's randomness lives on only in the copy its caller holds.
 */
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let used = POOL_BYTES;

export function randomBytes(size: number): Buffer {
  if (!Number.isInteger(size) || size < 0) throw new RangeError(`random byte count ${size}`);
  if (size > POOL_BYTES / 8) return randomFillSync(Buffer.alloc(size));
  if (used + size > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const out = Buffer.from(pool.subarray(used, used + size));
  pool.fill(0, used, used + size);
  used += size;
  return out;
}
