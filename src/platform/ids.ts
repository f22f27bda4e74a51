import { randomUUID } from 'node:crypto';
import { newInvitationToken } from './crypto.js';

/** Randomness is a dependency: ids and tokens come from here (crypto.randomUUID / randomBytes). */
export interface Ids {
  uuid(): string;
  token(): string;
}

/**
 * A UUIDv7 (RFC 9562): the 48-bit Unix time in milliseconds, then version 7 and 74 random bits. New
 * rows land at the end of the primary-key and foreign-key indexes that hold these ids instead of on a
 * random page, so a committed create writes fewer pages: with random ids, half of the pages a create
 * dirtied were random index pages (BENCHMARKS.md). The random bits are a v4 UUID's, which has the
 * same layout after its version digit.
 */
export function uuidv7(now = Date.now()): string {
  const time = now.toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${randomUUID().slice(15)}`;
}

export const cryptoIds: Ids = { uuid: () => uuidv7(), token: newInvitationToken };

export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
