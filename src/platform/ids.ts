import { randomInt, randomUUID } from 'node:crypto';
import { newInvitationToken } from './crypto.js';

/** Randomness is a dependency: ids and tokens come from here (crypto.randomUUID / randomBytes). */
export interface Ids {
  uuid(): string;
  token(): string;
}

/**
 * A UUIDv7 (RFC 9562): the 48-bit Unix time in milliseconds, then version 7, a 12-bit counter and 62
 * random bits. New rows land at the end of the primary-key and foreign-key indexes that hold these ids
 * instead of on a random page, so a committed create writes fewer pages: with random ids, half of the
 * pages a create dirtied were random index pages (BENCHMARKS.md). The counter (RFC 9562 method 1,
 * randomly seeded each millisecond) keeps ids made by one process strictly increasing, so events
 * written in one millisecond list in the order they happened (the audit log sorts by time, then id).
 */
let lastMs = -1;
let seq = 0;
export function uuidv7(now = Date.now()): string {
  // a new millisecond (or a time far from the last: an explicit one, a clock set back) starts afresh
  if (now > lastMs || now < lastMs - 1) {
    lastMs = now;
    seq = randomInt(0, 0x800);
  } else if (++seq > 0xfff) {
    // 2048+ ids in one millisecond: borrow the next one rather than repeat or go backwards
    lastMs++;
    seq = 0;
  }
  const time = lastMs.toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${seq.toString(16).padStart(3, '0')}-${randomUUID().slice(19)}`;
}

export const cryptoIds: Ids = { uuid: () => uuidv7(), token: newInvitationToken };

export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
