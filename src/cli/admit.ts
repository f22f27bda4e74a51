#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, parseDuration } from '../config.js';
import { createDb } from '../db/create-db.js';
import { migrateToLatest } from '../db/migrate.js';
import { MAX_TOKEN_TTL_SECONDS } from '../platform/auth/builtin-issuer.js';
import { canonicalEmail } from '../platform/email.js';
import { openCore, openIssuer } from '../runtime.js';
import { CLIENTS_USAGE, runClients } from './clients.js';
import { KEYS_USAGE, runKeys } from './keys.js';
import { runSweep, runWorker } from './worker.js';

const USAGE = `usage:
  admit migrate                                   apply database migrations
  admit token --email E [--name N] [--admin] [--expires 24h]
                                                  mint a built-in bearer token (email verified;
                                                  --expires at most 30d)
  admit worker                                    run the dispatcher (mail, webhooks) and the sweep alone (PostgreSQL only)
  admit sweep                                     one retention pass: expire invitations, purge old rows
${CLIENTS_USAGE}
${KEYS_USAGE}`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const config = loadConfig();
  if (command === 'migrate') {
    const db = createDb(config.database, {
      error: (o, m) => process.stderr.write(`${m} ${JSON.stringify(o)}\n`),
    });
    try {
      const applied = await migrateToLatest(db.kysely);
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'up to date\n');
    } finally {
      await db.close();
    }
    return 0;
  }
  if (command === 'token') {
    const { values } = parseArgs({
      args: rest,
      options: {
        email: { type: 'string' },
        name: { type: 'string' },
        admin: { type: 'boolean', default: false },
        expires: { type: 'string', default: '24h' },
      },
    });
    const email = values.email ? canonicalEmail(values.email) : undefined;
    const ttlMs = parseDuration(values.expires ?? '24h');
    if (!email?.ok || !ttlMs) {
      process.stderr.write(
        `admit token: ${!email?.ok ? 'a valid --email is required' : 'bad --expires'}\n${USAGE}\n`,
      );
      return 2;
    }
    if (ttlMs > MAX_TOKEN_TTL_SECONDS * 1000) {
      // a bearer token cannot be revoked before it expires: a leaked one must not stay good for ever
      process.stderr.write('admit token: --expires is at most 30d (a token cannot be revoked early)\n');
      return 2;
    }
    if (config.auth.mode !== 'builtin') {
      process.stderr.write(
        'admit token: only in built-in mode (AUTH_ISSUER is set; your issuer mints tokens)\n',
      );
      return 2;
    }
    // the database holds the signing keys (migrated first, so a token can be minted before the first
    // start); no Redis, no verifier, no services
    const core = await openCore({ ...config, logLevel: 'silent' });
    try {
      const issuer = await openIssuer(core);
      const token = await issuer.sign({
        email: email.email,
        name: values.name ?? null,
        admin: values.admin ?? false,
        ttlSeconds: Math.floor(ttlMs / 1000),
      });
      process.stdout.write(`${token}\n`);
    } finally {
      await core.close();
    }
    return 0;
  }
  if (command === 'worker') return runWorker(config);
  if (command === 'sweep') return runSweep(config);
  if (command === 'clients') return runClients(config, rest);
  if (command === 'keys') return runKeys(config, rest);
  process.stderr.write(`${USAGE}\n`);
  return command ? 2 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(
      `admit: ${err instanceof ConfigError ? err.message : err instanceof Error ? err.message : String(err)}\n`,
    );
    process.exit(1);
  },
);
