import type { FastifyBaseLogger } from 'fastify';
import { Redis } from 'ioredis';
import pino, { type DestinationStream } from 'pino';
import { type AppDeps, buildApp } from './app.js';
import type { Config } from './config.js';
import { createDb, type Db, type PoolOptions } from './db/create-db.js';
import { migrateToLatest } from './db/migrate.js';
import { redactUrl } from './http/redact.js';
import { type BuiltinIssuer, createBuiltinIssuer } from './platform/auth/builtin-issuer.js';
import {
  builtinKeyGetter,
  createVerifier,
  externalVerifier,
  type TokenVerifier,
} from './platform/auth/verifier.js';
import { type Clock, systemClock } from './platform/clock.js';
import { type Counters, memoryCounters, redisCounters } from './platform/counters.js';
import { createSealer, type Sealer } from './platform/crypto.js';
import { cryptoIds, type Ids } from './platform/ids.js';
import { resolveSecret } from './platform/secret.js';

// The composition root's pieces, shared by `npm start`, the CLI, tests and the benchmark.

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

export interface Runtime {
  config: Config;
  db: Db;
  logger: pino.Logger;
  sealer: Sealer;
  clock: Clock;
  ids: Ids;
  issuer: BuiltinIssuer | undefined;
  verifier: TokenVerifier;
  counters: Counters;
  redis: Redis | undefined;
  /** true when this start found an empty database (no user and no organization yet) */
  fresh: boolean;
  close(): Promise<void>;
}

export async function createRuntime(
  config: Config,
  opts: { logger?: pino.Logger; clock?: Clock; ids?: Ids; pool?: PoolOptions; migrate?: boolean } = {},
): Promise<Runtime> {
  const logger = opts.logger ?? createLogger(config);
  const clock = opts.clock ?? systemClock;
  const ids = opts.ids ?? cryptoIds;
  const db = createDb(config.database, logger, opts.pool);
  try {
    if (opts.migrate !== false) await migrateToLatest(db.kysely);
    const sealer = createSealer(resolveSecret(config));
    const now = () => clock.now();
    let issuer: BuiltinIssuer | undefined;
    let verifier: TokenVerifier;
    if (config.auth.mode === 'builtin') {
      issuer = await createBuiltinIssuer({ db: db.kysely, sealer, issuer: config.publicUrl, now });
      verifier = createVerifier({
        issuer: config.publicUrl,
        audience: config.publicUrl,
        algorithms: ['ES256'],
        getKey: builtinKeyGetter(issuer, config.timings.jwksCooldownMs, now),
        emailClaim: 'email',
        emailVerifiedClaim: 'email_verified',
        now,
      });
    } else {
      verifier = externalVerifier({
        issuer: config.auth.issuer,
        audience: config.auth.audience,
        jwksUrl: config.auth.jwksUrl,
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
    const fresh =
      (await db.kysely.selectFrom('users').select('id').limit(1).executeTakeFirst()) === undefined &&
      (await db.kysely.selectFrom('organizations').select('id').limit(1).executeTakeFirst()) === undefined;
    return {
      config,
      db,
      logger,
      sealer,
      clock,
      ids,
      issuer,
      verifier,
      counters,
      redis,
      fresh,
      async close() {
        redis?.disconnect();
        await db.close();
      },
    };
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}

export function appDeps(rt: Runtime, extra: Partial<AppDeps> = {}): AppDeps {
  return {
    config: rt.config,
    db: rt.db,
    clock: rt.clock,
    ids: rt.ids,
    sealer: rt.sealer,
    verifier: rt.verifier,
    issuer: rt.issuer,
    counters: rt.counters,
    logger: rt.logger as FastifyBaseLogger,
    redis: rt.redis,
    ...extra,
  };
}

export { buildApp };
