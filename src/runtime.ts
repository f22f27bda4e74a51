import { Redis } from 'ioredis';
import pino, { type DestinationStream } from 'pino';
import type { Config } from './config.js';
import { createDb, type Db, type PoolOptions } from './db/create-db.js';
import { migrateToLatest } from './db/migrate.js';
import { redactUrl } from './http/redact.js';
import {
  BUILTIN_ADMIN_SCOPE,
  type BuiltinIssuer,
  createBuiltinIssuer,
} from './platform/auth/builtin-issuer.js';
import {
  builtinKeySource,
  createVerifier,
  externalVerifier,
  type TokenVerifier,
} from './platform/auth/verifier.js';
import { type Clock, systemClock } from './platform/clock.js';
import { type Counters, memoryCounters, redisCounters } from './platform/counters.js';
import { createSealer, type Sealer } from './platform/crypto.js';
import { cryptoIds, type Ids } from './platform/ids.js';
import { createMetrics, type Metrics } from './platform/metrics.js';
import { loadSecret, type SecretSource } from './platform/secret.js';

// What a process opens, in layers, so each command opens only what it needs:
//   openCore      logger, clock, ids, the database (migrated) and the sealer: `admit worker`, `admit token`
//   createRuntime the core plus token verification and the shared counters (Redis when REDIS_URL): the
//                 server, the tests and the benchmark, which then build services and the app (compose.ts)
// `admit migrate` opens the database alone (createDb + migrateToLatest).

export function createLogger(config: Pick<Config, 'logLevel'>, destination?: DestinationStream): pino.Logger {
  return pino(
    {
      level: config.logLevel,
      // secrets stay out of logs: token URL segments are redacted, auth headers never serialized
      serializers: {
        req: (req: { method: string; url: string; ip?: string }) => ({
          method: req.method,
          url: redactUrl(req.url),
          remoteAddress: req.ip,
        }),
      },
      redact: ['req.headers.authorization', 'headers.authorization', 'token', 'url_token'],
    },
    destination,
  );
}

/** What every command that reads or writes data opens. */
export interface Core {
  config: Config;
  db: Db;
  logger: pino.Logger;
  sealer: Sealer;
  clock: Clock;
  ids: Ids;
  close(): Promise<void>;
}

export interface CoreOptions {
  logger?: pino.Logger;
  clock?: Clock;
  ids?: Ids;
  pool?: PoolOptions;
  /** false: the schema is already current (another process migrated it) */
  migrate?: boolean;
}

export async function openCore(config: Config, opts: CoreOptions = {}): Promise<Core> {
  const logger = opts.logger ?? createLogger(config);
  const db = createDb(config.database, logger, opts.pool);
  try {
    if (opts.migrate !== false) await migrateToLatest(db.kysely);
    const { secret, source } = loadSecret(config);
    logSecretSource(logger, source);
    return {
      config,
      db,
      logger,
      sealer: createSealer(secret),
      clock: opts.clock ?? systemClock,
      ids: opts.ids ?? cryptoIds,
      close: () => db.close(),
    };
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}

/**
 * Says where the secret came from. The generated file sits beside the database, so whoever copies
 * the data directory (a backup, a volume snapshot) holds the key that seals the issuer's signing keys
 * and can mint administrator tokens: production sets ADMIT_SECRET from outside it.
 */
function logSecretSource(logger: pino.Logger, source: SecretSource): void {
  if (source.from === 'ADMIT_SECRET')
    logger.info({ secretFrom: 'ADMIT_SECRET' }, 'secret: from ADMIT_SECRET');
  else if (source.from === 'memory')
    logger.info({ secretFrom: 'memory' }, 'secret: generated for this in-memory database');
  else
    logger.warn(
      { secretFrom: 'file', path: source.path, created: source.created },
      'secret: from the generated file beside the database; a copy of the data directory can mint administrator tokens (set ADMIT_SECRET from outside it in production)',
    );
}

/**
 * The built-in issuer (AUTH_ISSUER unset): its signing keys live in the database, created on first use.
 * `refresh`: re-read them every SIGNING_KEYS_REFRESH (a long-running process; close() stops it).
 */
export function openIssuer(core: Core, opts: { refresh?: boolean } = {}): Promise<BuiltinIssuer> {
  return createBuiltinIssuer({
    db: core.db.kysely,
    sealer: core.sealer,
    issuer: core.config.publicUrl,
    now: () => core.clock.now(),
    refreshMs: opts.refresh ? core.config.timings.signingKeysRefreshMs : undefined,
    onRefreshError: (err) =>
      core.logger.warn(
        { err },
        'signing keys: re-reading the key set failed; the last one read stays in use',
      ),
  });
}

/** The server's runtime: the core, token verification, and counters shared by every process on Redis. */
export interface Runtime extends Core {
  issuer: BuiltinIssuer | undefined;
  verifier: TokenVerifier;
  counters: Counters;
  redis: Redis | undefined;
  /** METRICS=on: what GET /metrics serves, recorded into by the HTTP app and the outbox dispatcher */
  metrics: Metrics | undefined;
}

export async function createRuntime(config: Config, opts: CoreOptions = {}): Promise<Runtime> {
  const core = await openCore(config, opts);
  const { logger } = core;
  let issuer: BuiltinIssuer | undefined;
  try {
    const now = () => core.clock.now();
    let verifier: TokenVerifier;
    if (config.auth.mode === 'builtin') {
      issuer = await openIssuer(core, { refresh: true });
      verifier = createVerifier({
        issuer: config.publicUrl,
        audience: config.publicUrl,
        algorithms: ['ES256'],
        ...builtinKeySource(issuer, config.timings.jwksCooldownMs, now),
        adminScope: BUILTIN_ADMIN_SCOPE,
        emailClaim: 'email',
        emailVerifiedClaim: 'email_verified',
        now,
      });
    } else {
      verifier = externalVerifier({
        issuer: config.auth.issuer,
        audience: config.auth.audience,
        jwksUrl: config.auth.jwksUrl,
        adminScope: config.auth.adminScope,
        emailClaim: config.emailClaim,
        emailVerifiedClaim: config.emailVerifiedClaim,
        cooldownMs: config.timings.jwksCooldownMs,
        timeoutMs: config.timings.jwksTimeoutMs,
        now,
      });
    }
    const redis = config.redisUrl
      ? new Redis(config.redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false })
      : undefined;
    redis?.on('error', (err) => logger.warn({ err }, 'redis error'));
    const counters = redis ? redisCounters(redis) : memoryCounters(now);
    const metrics = config.metrics.enabled
      ? createMetrics({
          now,
          pool: core.db.poolStats,
          onError: (err) => logger.warn({ err }, 'metrics: reading the outbox backlog failed'),
        })
      : undefined;
    return {
      ...core,
      issuer,
      verifier,
      counters,
      redis,
      metrics,
      async close() {
        issuer?.close();
        redis?.disconnect();
        await core.close();
      },
    };
  } catch (err) {
    issuer?.close();
    await core.close().catch(() => undefined);
    throw err;
  }
}
