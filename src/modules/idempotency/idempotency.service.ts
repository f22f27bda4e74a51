import type { Db } from '../../db/create-db.js';
import type { Executor } from '../../db/tx.js';
import { AppError } from '../../errors.js';
import type { Clock } from '../../platform/clock.js';
import { type Sealer, sha256Hex } from '../../platform/crypto.js';
import { idempotencyErrors } from './idempotency.errors.js';
import { findKey, insertRunning, releaseKey, storeOutcome, takeOver } from './idempotency.repository.js';

// Idempotency keys (SPEC §8; the IETF Idempotency-Key draft and Stripe's design). A request with a key
// claims it (a row in state `running`, committed at once so a concurrent retry sees it and gets 409),
// does its work, and stores its outcome in the same transaction as the work: the invitation, its
// outbox row and the stored response commit together or not at all. A retry with the same key and
// body gets the stored outcome again; with another body, 422. Outcomes of requests that got past
// validation are kept (success, 403, 404, 409); a 400, 429 or 5xx forgets the key, so the client may
// fix the request and retry.

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** How long a claim holds without an outcome before another request may take it over (its owner died). */
export const IDEMPOTENCY_LOCK_MS = 60_000;
/** Outcomes worth replaying: decided by the request itself, not by a passing condition. */
const KEPT_ERRORS = new Set([403, 404, 409, 410]);

export interface IdempotentRequest {
  /** who asks: the key space is per caller */
  caller: string;
  method: string;
  /** the request path without its query */
  path: string;
  key: string;
  /** the parsed JSON body (compared as data: key order and spacing do not matter) */
  body: unknown;
}

/** Called by the service inside its transaction with what it is about to answer. */
export type CommitOutcome<T> = (trx: Executor, status: number, result: T) => Promise<void>;

export interface Outcome<T> {
  status: number;
  result: T;
  /** true when this is a stored outcome answered again (`Idempotent-Replayed: true`) */
  replayed: boolean;
}

type Stored<T> =
  | { result: T }
  | { error: { code: string; message: string; headers: Record<string, string> } };

/** JSON with every object's keys sorted: two bodies that parse alike hash alike. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

export function createIdempotencyService(deps: { db: Db; clock: Clock; sealer: Sealer; lockMs?: number }) {
  const { db, clock, sealer } = deps;
  const k = db.kysely;
  const lockMs = deps.lockMs ?? IDEMPOTENCY_LOCK_MS;
  const context = (id: string) => `idempotency:${id}`;

  async function claim(
    id: string,
    requestHash: string,
  ): Promise<(Stored<unknown> & { status: number }) | 'claimed'> {
    const now = clock.now();
    const row = {
      id,
      request_hash: requestHash,
      locked_until: now + lockMs,
      created_at: now,
      expires_at: now + IDEMPOTENCY_TTL_MS,
    };
    if (await insertRunning(k, row)) return 'claimed';
    const existing = await findKey(k, id);
    if (!existing) {
      // deleted between our insert and read (a 400 released it): claim again, once
      return (await insertRunning(k, row)) ? 'claimed' : Promise.reject(idempotencyErrors.inUse());
    }
    const stale =
      existing.expires_at <= now || (existing.state === 'running' && existing.locked_until <= now);
    if (stale) {
      if (await takeOver(k, row, now)) return 'claimed';
      throw idempotencyErrors.inUse();
    }
    if (existing.request_hash !== requestHash) throw idempotencyErrors.reused();
    if (
      existing.state === 'running' ||
      existing.response_status === null ||
      existing.response_sealed === null
    )
      throw idempotencyErrors.inUse();
    const opened = sealer.open(existing.response_sealed, context(id));
    if (opened === undefined) throw new Error('a stored idempotent response cannot be unsealed');
    return { ...(JSON.parse(opened) as Stored<unknown>), status: existing.response_status };
  }

  return {
    /**
     * Runs `work` once per (caller, method, path, key). `work` must call `commit` inside its
     * transaction; `status` is what a first, successful run answers.
     */
    async run<T>(
      request: IdempotentRequest,
      status: number,
      work: (commit: CommitOutcome<T>) => Promise<T>,
    ): Promise<Outcome<T>> {
      const id = sha256Hex(
        `${request.caller}\u0000${request.method}\u0000${request.path}\u0000${request.key}`,
      );
      const claimed = await claim(id, sha256Hex(canonicalJson(request.body)));
      if (claimed !== 'claimed') {
        if ('error' in claimed) {
          const { code, message, headers } = claimed.error;
          throw new AppError(claimed.status, code, message, { ...headers, 'idempotent-replayed': 'true' });
        }
        return { status: claimed.status, result: claimed.result as T, replayed: true };
      }
      const seal = (stored: Stored<T>) => sealer.seal(JSON.stringify(stored), context(id));
      let committed = false;
      try {
        const result = await work(async (trx, s, r) => {
          await storeOutcome(trx, id, s, seal({ result: r }));
          committed = true;
        });
        if (!committed) await storeOutcome(k, id, status, seal({ result }));
        return { status, result, replayed: false };
      } catch (err) {
        if (err instanceof AppError && KEPT_ERRORS.has(err.status) && !err.code.startsWith('idempotency_')) {
          const error = { code: err.code, message: err.message, headers: err.headers };
          await storeOutcome(k, id, err.status, seal({ error }));
        } else {
          // not an answer to this request (malformed, limited, or the service failed): forget the key
          await releaseKey(k, id).catch(() => undefined);
        }
        throw err;
      }
    },
  };
}

export type IdempotencyService = ReturnType<typeof createIdempotencyService>;
