import { createHash } from 'node:crypto';
import { importJWK, type JWK, SignJWT } from 'jose';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Sealer } from '../crypto.js';
import {
  ALG,
  createKey,
  loadKeys,
  MAX_TOKEN_TTL_SECONDS,
  SEAL_CONTEXT,
  type StoredKey,
  timeline,
} from './signing-keys.js';

// Built-in mode: Admit is its own issuer (iss = aud = PUBLIC_URL). ES256 keys live in the database,
// the private half sealed with ADMIT_SECRET, so every process signs and verifies with the same keys.
// The key set is re-read every refresh interval (`admit keys rotate` adds a key in another process);
// which key signs and which are published is decided at each use by the clock (signing-keys.ts).

export { ALG, MAX_TOKEN_TTL_SECONDS } from './signing-keys.js';
/** The scope that makes a built-in token's bearer a system administrator. */
export const BUILTIN_ADMIN_SCOPE = 'admit:admin';

/** The key set at one moment; the same object until the set or a key's state changes. */
export interface KeySet {
  /** the published kids, the signing one first: changes whenever anything below changes */
  version: string;
  /** the key that signs now */
  signingKid: string;
  /** the published public keys (JWKS), the signing key first */
  published: JWK[];
  publishedKids: ReadonlySet<string | undefined>;
  /** the published keys' private halves (kid, alg, use set), the signing key first; keys sealed under another secret are left out */
  privateJwks: JWK[];
}

export interface BuiltinIssuer {
  issuer: string;
  /** the key set as of now */
  current(): KeySet;
  /** re-reads the key set from the database (a key created by another process) */
  reload(): Promise<void>;
  /** stops the periodic re-read */
  close(): void;
  sign(claims: {
    email: string;
    name?: string | null;
    admin?: boolean;
    emailVerified?: boolean;
    ttlSeconds: number;
    scope?: string;
  }): Promise<string>;
}

/** One stable subject per canonical email. */
export function builtinSubject(email: string): string {
  return `email|${createHash('sha256').update(`admit:${email}`).digest('hex').slice(0, 32)}`;
}

const unsealable = (kid: string) =>
  new Error(`the signing key ${kid} cannot be unsealed: ADMIT_SECRET differs from the one that sealed it`);

export async function createBuiltinIssuer(deps: {
  db: Kysely<Database>;
  sealer: Sealer;
  issuer: string;
  now: () => number;
  /** re-read the key set this often (unset: only on reload()) */
  refreshMs?: number | undefined;
  onRefreshError?: ((err: unknown) => void) | undefined;
}): Promise<BuiltinIssuer> {
  const { db, sealer } = deps;
  let stored: StoredKey[] = [];
  /** bumped when a re-read finds a different set of keys */
  let generation = 0;
  let kept: { generation: number; from: number; until: number; set: KeySet } | undefined;
  /** unsealed private halves by kid (null: sealed under another secret) */
  const privates = new Map<string, JWK | null>();
  const signingKeys = new Map<string, Promise<CryptoKey | Uint8Array>>();

  const privateOf = (k: StoredKey): JWK | null => {
    let jwk = privates.get(k.kid);
    if (jwk === undefined) {
      const opened = sealer.open(k.privateSealed, SEAL_CONTEXT);
      jwk = opened ? { ...(JSON.parse(opened) as JWK), kid: k.kid, alg: ALG, use: 'sig' } : null;
      privates.set(k.kid, jwk);
    }
    return jwk;
  };

  async function load(): Promise<void> {
    const keys = await loadKeys(db);
    const before = stored.map((k) => `${k.kid}@${k.activatesAt}`).join(',');
    const after = keys.map((k) => `${k.kid}@${k.activatesAt}`).join(',');
    stored = keys;
    if (before !== after) generation++;
  }

  function current(): KeySet {
    const now = deps.now();
    // the same until the key set is re-read with a change or the next state change is reached (a
    // test's clock may also go back)
    if (kept && kept.generation === generation && now >= kept.from && now < kept.until) return kept.set;
    const t = timeline(stored, now);
    // before the first key activates (only when keys were written by hand) the oldest one signs
    const signing = t.signing ?? t.keys[0]?.key;
    if (!signing) throw new Error('no signing key');
    const live = t.keys.filter((k) => k.state !== 'retired').map((k) => k.key);
    const ordered = [signing, ...live.filter((k) => k.kid !== signing.kid)];
    const published = ordered.map((k) => k.publicJwk);
    const set: KeySet = {
      version: ordered.map((k) => k.kid).join(','),
      signingKid: signing.kid,
      published,
      publishedKids: new Set(published.map((k) => k.kid)),
      privateJwks: ordered.map(privateOf).filter((k): k is JWK => k !== null),
    };
    kept = { generation, from: now, until: t.nextChange, set };
    return set;
  }

  function signingKey(kid: string): Promise<CryptoKey | Uint8Array> {
    let key = signingKeys.get(kid);
    if (!key) {
      const k = stored.find((s) => s.kid === kid);
      const jwk = k ? privateOf(k) : null;
      if (!jwk) throw unsealable(kid);
      key = importJWK(jwk, ALG);
      signingKeys.set(kid, key);
    }
    return key;
  }

  await load();
  if (stored.length === 0) {
    // the first key signs at once: nobody holds a token yet, so nobody needs to learn it first
    const now = deps.now();
    await createKey(db, sealer, { now, activatesAt: now });
    await load();
  }
  // a process with the wrong ADMIT_SECRET fails at start, not at its first token
  const first = current();
  if (!first.privateJwks.some((k) => k.kid === first.signingKid)) throw unsealable(first.signingKid);

  let reloading: Promise<void> | undefined;
  const reload = () => {
    reloading ??= load().finally(() => {
      reloading = undefined;
    });
    return reloading;
  };
  const timer =
    deps.refreshMs === undefined
      ? undefined
      : setInterval(() => {
          reload().catch((err: unknown) => deps.onRefreshError?.(err));
        }, deps.refreshMs);
  timer?.unref();

  return {
    issuer: deps.issuer,
    current,
    reload,
    close: () => clearInterval(timer),
    async sign(c) {
      if (!(c.ttlSeconds <= MAX_TOKEN_TTL_SECONDS)) {
        throw new RangeError(`a token lives at most 30 days, not ${c.ttlSeconds} s`);
      }
      const nowSec = Math.floor(deps.now() / 1000);
      const kid = current().signingKid;
      const payload: Record<string, unknown> = {
        email: c.email,
        email_verified: c.emailVerified ?? true,
      };
      if (c.name) payload.name = c.name;
      const scope = [c.scope, c.admin ? BUILTIN_ADMIN_SCOPE : undefined].filter(Boolean).join(' ');
      if (scope) payload.scope = scope;
      return new SignJWT(payload)
        .setProtectedHeader({ alg: ALG, kid, typ: 'JWT' })
        .setIssuer(deps.issuer)
        .setAudience(deps.issuer)
        .setSubject(builtinSubject(c.email))
        .setIssuedAt(nowSec)
        .setExpirationTime(nowSec + c.ttlSeconds)
        .sign(await signingKey(kid));
    },
  };
}
