import { randomUUID } from 'node:crypto';
import { newInvitationToken } from './crypto.js';

/** Randomness is a dependency: ids and tokens come from here (crypto.randomUUID / randomBytes). */
export interface Ids {
  uuid(): string;
  token(): string;
}

export const cryptoIds: Ids = { uuid: () => randomUUID(), token: newInvitationToken };

export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
