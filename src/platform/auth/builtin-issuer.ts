import { createHash } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Sealer } from '../crypto.js';

// Built-in mode: Admit is its own issuer (iss = aud = PUBLIC_URL). ES256 keys live in the database,
// the private half sealed with ADMIT_SECRET, so every process signs and verifies with the same keys.

export const ALG = 'ES256';
/** The scope that makes a built-in token's bearer a system administrator. */
export const BUILTIN_ADMIN_SCOPE = 'admit:admin';
const SEAL_CONTEXT = 'signing-key';
/**
 * The longest lifetime a minted token may have (30 days). A bearer token cannot be revoked before it
 * expires, so a leaked one must not stay good for ever; `admit token --expires` refuses more.
 */
export const MAX_TOKEN_TTL_SECONDS = 30 * 24 * 60 * 60;

export interface BuiltinIssuer {
  issuer: string;
  /** public keys for /.well-known/jwks.json and verification */
  publicKeys(): Promise<JWK[]>;
  /** the private keys (kid, alg, use set) for the OpenID provider, which signs with the same keys */
  privateJwks(): Promise<JWK[]>;
  /** reloads the key set from the database (a key created by another process) */
  reload(): Promise<void>;
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

export async function createBuiltinIssuer(deps: {
  db: Kysely<Database>;
  sealer: Sealer;
  issuer: string;
  now: () => number;
}): Promise<BuiltinIssuer> {
  const { db, sealer } = deps;
  let keys: { kid: string; publicJwk: JWK; privateSealed: string }[] = [];

  async function load(): Promise<void> {
    const rows = await db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc').execute();
    keys = rows.map((r) => ({
      kid: r.kid,
      publicJwk: JSON.parse(r.public_jwk) as JWK,
      privateSealed: r.private_sealed,
    }));
  }

  await load();
  if (keys.length === 0) {
    const { publicKey, privateKey } = await generateKeyPair(ALG, { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const privateJwk = await exportJWK(privateKey);
    const kid = createHash('sha256').update(JSON.stringify(publicJwk)).digest('base64url').slice(0, 16);
    await db
      .insertInto('signing_keys')
      .values({
        kid,
        alg: ALG,
        public_jwk: JSON.stringify({ ...publicJwk, kid, alg: ALG, use: 'sig' }),
        private_sealed: sealer.seal(JSON.stringify(privateJwk), SEAL_CONTEXT),
        created_at: deps.now(),
      })
      .onConflict((oc) => oc.column('kid').doNothing())
      .execute();
    await load();
  }
  const first = keys[0];
  if (!first) throw new Error('no signing key');
  const opened = sealer.open(first.privateSealed, SEAL_CONTEXT);
  if (!opened)
    throw new Error('the signing key cannot be unsealed: ADMIT_SECRET differs from the one that sealed it');
  const signingKey = await importJWK(JSON.parse(opened) as JWK, ALG);
  const signingKid = first.kid;

  return {
    issuer: deps.issuer,
    publicKeys: async () => keys.map((k) => k.publicJwk),
    async privateJwks() {
      const out: JWK[] = [];
      for (const k of keys) {
        const opened = sealer.open(k.privateSealed, SEAL_CONTEXT);
        // a key sealed under another ADMIT_SECRET cannot sign; it still verifies through publicKeys
        if (opened) out.push({ ...(JSON.parse(opened) as JWK), kid: k.kid, alg: ALG, use: 'sig' });
      }
      return out;
    },
    reload: load,
    async sign(c) {
      if (!(c.ttlSeconds <= MAX_TOKEN_TTL_SECONDS)) {
        throw new RangeError(`a token lives at most 30 days, not ${c.ttlSeconds} s`);
      }
      const nowSec = Math.floor(deps.now() / 1000);
      const payload: Record<string, unknown> = {
        email: c.email,
        email_verified: c.emailVerified ?? true,
      };
      if (c.name) payload.name = c.name;
      const scope = [c.scope, c.admin ? BUILTIN_ADMIN_SCOPE : undefined].filter(Boolean).join(' ');
      if (scope) payload.scope = scope;
      return new SignJWT(payload)
        .setProtectedHeader({ alg: ALG, kid: signingKid, typ: 'JWT' })
        .setIssuer(deps.issuer)
        .setAudience(deps.issuer)
        .setSubject(builtinSubject(c.email))
        .setIssuedAt(nowSec)
        .setExpirationTime(nowSec + c.ttlSeconds)
        .sign(signingKey);
    },
  };
}
