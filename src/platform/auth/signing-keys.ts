import { createHash } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Sealer } from '../crypto.js';

// The built-in issuer's key set over time. Each key is published (in the JWKS) from its creation,
// signs from `activates_at`, stops signing when the next key (by activation) activates, and stays
// published until RETIRE_AFTER_MS after that, then retires. Nothing but `activates_at` is stored: a
// key's retirement follows from its successor's activation, so concurrent rotations need no update of
// older rows and every process derives the same states from the same rows and the same clock.

export const ALG = 'ES256';
export const SEAL_CONTEXT = 'signing-key';
/**
 * The longest lifetime a minted token may have (30 days). A bearer token cannot be revoked before it
 * expires, so a leaked one must not stay good for ever; `admit token --expires` refuses more.
 */
export const MAX_TOKEN_TTL_SECONDS = 30 * 24 * 60 * 60;
/**
 * How long a superseded key stays published after its successor activated: the longest token it can
 * have signed (30 days, the CLI's cap) plus a day. The day covers a process that could not re-read the
 * key set (database unreachable) and kept signing with the old key after its successor activated:
 * what such a process signs lives at most 24 hours (the first start's token; the provider's tokens
 * live 15 minutes to an hour), so up to a day of such staleness still ends before the key retires.
 */
export const RETIRE_AFTER_MS = MAX_TOKEN_TTL_SECONDS * 1000 + 86_400_000;

export interface StoredKey {
  kid: string;
  publicJwk: JWK;
  privateSealed: string;
  createdAt: number;
  activatesAt: number;
}

export type KeyState = 'published' | 'signing' | 'retired';

export interface KeyStatus {
  key: StoredKey;
  state: KeyState;
  /** when its successor activates plus RETIRE_AFTER_MS; null while no key succeeds it */
  retiresAt: number | null;
}

export interface Timeline {
  /** every stored key, in activation order (oldest first) */
  keys: KeyStatus[];
  /** the key that signs now (the last one activated); undefined before the first activates */
  signing: StoredKey | undefined;
  /** the next time a state changes (an activation or a retirement); Infinity when none is due */
  nextChange: number;
}

const byActivation = (a: StoredKey, b: StoredKey) =>
  a.activatesAt - b.activatesAt || a.createdAt - b.createdAt || (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0);

/** The states of the stored keys at `now`. */
export function timeline(stored: readonly StoredKey[], now: number): Timeline {
  const ordered = [...stored].sort(byActivation);
  let signing: StoredKey | undefined;
  let nextChange = Number.POSITIVE_INFINITY;
  const keys = ordered.map((key, i): KeyStatus => {
    const successor = ordered[i + 1];
    const retiresAt = successor ? successor.activatesAt + RETIRE_AFTER_MS : null;
    for (const t of [key.activatesAt, retiresAt])
      if (t !== null && t > now) nextChange = Math.min(nextChange, t);
    let state: KeyState = 'published';
    if (retiresAt !== null && now >= retiresAt) state = 'retired';
    else if (key.activatesAt <= now && !(successor && successor.activatesAt <= now)) {
      state = 'signing';
      signing = key;
    }
    return { key, state, retiresAt };
  });
  return { keys, signing, nextChange };
}

export async function loadKeys(db: Kysely<Database>): Promise<StoredKey[]> {
  const rows = await db.selectFrom('signing_keys').selectAll().execute();
  return rows.map((r) => ({
    kid: r.kid,
    publicJwk: JSON.parse(r.public_jwk) as JWK,
    privateSealed: r.private_sealed,
    createdAt: Number(r.created_at),
    activatesAt: Number(r.activates_at),
  }));
}

/** A new ES256 key, sealed with ADMIT_SECRET, published from now and signing from `activatesAt`. */
export async function createKey(
  db: Kysely<Database>,
  sealer: Sealer,
  at: { now: number; activatesAt: number },
): Promise<StoredKey> {
  const { publicKey, privateKey } = await generateKeyPair(ALG, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = createHash('sha256').update(JSON.stringify(publicJwk)).digest('base64url').slice(0, 16);
  const key: StoredKey = {
    kid,
    publicJwk: { ...publicJwk, kid, alg: ALG, use: 'sig' },
    privateSealed: sealer.seal(JSON.stringify(await exportJWK(privateKey)), SEAL_CONTEXT),
    createdAt: at.now,
    activatesAt: at.activatesAt,
  };
  await db
    .insertInto('signing_keys')
    .values({
      kid,
      alg: ALG,
      public_jwk: JSON.stringify(key.publicJwk),
      private_sealed: key.privateSealed,
      created_at: key.createdAt,
      activates_at: key.activatesAt,
    })
    .onConflict((oc) => oc.column('kid').doNothing())
    .execute();
  return key;
}

/**
 * How long after its creation a rotated key starts signing: two refresh intervals. Within the first,
 * every process re-reads the key set and publishes the key; within the second, every cached copy of
 * the JWKS (Cache-Control: max-age is one interval) has expired. So no verifier, Admit's own processes
 * or another service reading the JWKS, meets the new `kid` before it could have seen it.
 */
export function activationDelayMs(refreshMs: number): number {
  return 2 * refreshMs;
}
