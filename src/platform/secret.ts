import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../config.js';
import { randomBytes } from './random.js';

/** Where the secret came from, for the start-up log. */
export type SecretSource =
  | { from: 'ADMIT_SECRET' }
  | { from: 'file'; path: string; created: boolean }
  | { from: 'memory' };

/**
 * ADMIT_SECRET, or on SQLite without it the secret generated into the data directory on first start
 * (mode 0600, beside the database file) so restarts and the CLI share it.
 */
export function loadSecret(config: Config): { secret: string; source: SecretSource } {
  if (config.secret) return { secret: config.secret, source: { from: 'ADMIT_SECRET' } };
  if (config.database.kind !== 'sqlite') throw new Error('ADMIT_SECRET is required with PostgreSQL');
  if (config.database.path === ':memory:') {
    return { secret: randomBytes(32).toString('base64url'), source: { from: 'memory' } };
  }
  const path = join(dirname(config.database.path), 'admit.secret');
  if (existsSync(path)) {
    return { secret: readFileSync(path, 'utf8').trim(), source: { from: 'file', path, created: false } };
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { secret: readFileSync(path, 'utf8').trim(), source: { from: 'file', path, created: true } };
}

export function resolveSecret(config: Config): string {
  return loadSecret(config).secret;
}
