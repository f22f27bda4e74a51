import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../config.js';

/**
 * ADMIT_SECRET, or on SQLite without it the secret generated into the data directory on first start
 * (mode 0600, beside the database file) so restarts and the CLI share it.
 */
export function resolveSecret(config: Config): string {
  if (config.secret) return config.secret;
  if (config.database.kind !== 'sqlite') throw new Error('ADMIT_SECRET is required with PostgreSQL');
  const path =
    config.database.path === ':memory:' ? undefined : join(dirname(config.database.path), 'admit.secret');
  if (!path) return randomBytes(32).toString('base64url');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return readFileSync(path, 'utf8').trim();
}
