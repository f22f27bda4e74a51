import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JWTPayload,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import { commonErrors } from '../../errors.js';
import { canonicalEmail } from '../email.js';
import type { BuiltinIssuer } from './builtin-issuer.js';

// Bearer verification with jose: signature, exp, nbf, iss and aud checked; asymmetric algorithms
// pinned (never `none`, never HMAC); `kid` only selects from the configured key set; an unknown kid
// refetches at most once per cooldown. Verified identities are cached per token until it expires.

/** Verified claims, before the user row exists (the users service turns them into a Principal). */
export interface Identity {
  issuer: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  picture: string | null;
  scopes: readonly string[];
  /** the `client_id` claim of a token whose subject is that client (client credentials), else null */
  clientId: string | null;
}

export interface TokenVerifier {
  verify(token: string): Promise<Identity>;
}

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
/**
 * Verified tokens kept at most: each entry holds the whole token (its key, ~0.7 KB) and its
 * identity. 20,000 cost the server ~25 MB of resident memory under the bench's accept load, where
 * every request brings a new token; 10,000 active tokens still cover a large deployment's
 * concurrently signed-in users, each reusing one token for many requests.
 */
const CACHE_LIMIT = 10_000;
const CLOCK_TOLERANCE_S = 5;

export interface VerifierOptions {
  issuer: string;
  audience: string;
  algorithms: string[];
  getKey: JWTVerifyGetKey;
  emailClaim: string;
  emailVerifiedClaim: string;
  /** asks the issuer's userinfo endpoint when the access token lacks the email claims */
  userinfo?: (token: string) => Promise<Record<string, unknown>>;
  now: () => number;
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? v : null;
}

function scopesOf(payload: JWTPayload): string[] {
  if (typeof payload.scope === 'string') return payload.scope.split(' ').filter(Boolean);
  if (Array.isArray(payload.scp)) return payload.scp.filter((s): s is string => typeof s === 'string');
  return [];
}

export function createVerifier(opts: VerifierOptions): TokenVerifier {
  const cache = new Map<string, { identity: Identity; expiresAt: number }>();

  async function verifyUncached(token: string): Promise<{ identity: Identity; expiresAt: number }> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, opts.getKey, {
        issuer: opts.issuer,
        audience: opts.audience,
        algorithms: opts.algorithms,
        requiredClaims: ['exp', 'sub'],
        clockTolerance: CLOCK_TOLERANCE_S,
        currentDate: new Date(opts.now()),
      }));
    } catch (err) {
      if (err instanceof joseErrors.JOSEError) throw commonErrors.invalidToken(err.code);
      throw commonErrors.invalidToken('unverifiable');
    }
    let claims: Record<string, unknown> = payload;
    if (!(opts.emailClaim in payload) && opts.userinfo) {
      try {
        claims = { ...(await opts.userinfo(token)), ...payload };
      } catch {
        claims = payload;
      }
    }
    const rawEmail = str(claims[opts.emailClaim]);
    const canonical = rawEmail ? canonicalEmail(rawEmail) : undefined;
    const verified = claims[opts.emailVerifiedClaim];
    const identity: Identity = {
      issuer: opts.issuer,
      subject: String(payload.sub),
      email: canonical?.ok ? canonical.email : null,
      // verified is the provider's word on the address it holds; a non-canonical address still matches nothing
      emailVerified: rawEmail !== null && (verified === true || verified === 'true'),
      name: str(claims.name),
      picture: str(claims.picture),
      scopes: scopesOf(payload),
      clientId:
        typeof payload.client_id === 'string' && payload.client_id === payload.sub ? payload.client_id : null,
    };
    return { identity, expiresAt: (payload.exp ?? 0) * 1000 };
  }

  return {
    async verify(token) {
      const now = opts.now();
      const hit = cache.get(token);
      if (hit && hit.expiresAt > now) return hit.identity;
      const fresh = await verifyUncached(token);
      if (cache.size >= CACHE_LIMIT) {
        // the oldest tenth goes (a Map iterates in insertion order), and the expired ones after it
        let drop = CACHE_LIMIT / 10;
        for (const [k, v] of cache) {
          if (drop-- <= 0 && v.expiresAt > now) break;
          cache.delete(k);
        }
      }
      cache.set(token, fresh);
      return fresh.identity;
    },
  };
}

/** Built-in mode: keys from the database, reloaded at most once per cooldown for an unknown kid. */
export function builtinKeyGetter(
  issuer: BuiltinIssuer,
  cooldownMs: number,
  now: () => number,
): JWTVerifyGetKey {
  let local = createLocalJWKSet({ keys: [] });
  let loadedAt = Number.NEGATIVE_INFINITY;
  let loaded = false;
  return async (header, input) => {
    if (!loaded) {
      local = createLocalJWKSet({ keys: await issuer.publicKeys() });
      loaded = true;
    }
    try {
      return await local(header, input);
    } catch (err) {
      if (!(err instanceof joseErrors.JWKSNoMatchingKey) || now() - loadedAt < cooldownMs) throw err;
      loadedAt = now();
      await issuer.reload();
      local = createLocalJWKSet({ keys: await issuer.publicKeys() });
      return local(header, input);
    }
  };
}

interface Discovery {
  jwks_uri?: string;
  userinfo_endpoint?: string;
}

/** External mode: JWKS from AUTH_JWKS_URL or the issuer's discovery document, fetched lazily. */
export function externalVerifier(opts: {
  issuer: string;
  audience: string;
  jwksUrl: string | undefined;
  emailClaim: string;
  emailVerifiedClaim: string;
  cooldownMs: number;
  timeoutMs: number;
  now: () => number;
}): TokenVerifier {
  let discovery: Promise<Discovery> | undefined;
  const discover = (): Promise<Discovery> => {
    discovery ??= (async () => {
      const url = `${opts.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
      const res = await fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs) });
      if (!res.ok) throw new Error(`discovery answered ${res.status}`);
      return (await res.json()) as Discovery;
    })().catch((err) => {
      discovery = undefined; // try again on the next request
      throw err;
    });
    return discovery;
  };
  let remote: JWTVerifyGetKey | undefined;
  const getKey: JWTVerifyGetKey = async (header, input) => {
    if (!remote) {
      const url = opts.jwksUrl ?? (await discover()).jwks_uri;
      if (!url) throw new Error('the issuer publishes no jwks_uri');
      remote = createRemoteJWKSet(new URL(url), {
        cooldownDuration: opts.cooldownMs,
        timeoutDuration: opts.timeoutMs,
      });
    }
    return remote(header, input);
  };
  return createVerifier({
    issuer: opts.issuer,
    audience: opts.audience,
    algorithms: ASYMMETRIC,
    getKey,
    emailClaim: opts.emailClaim,
    emailVerifiedClaim: opts.emailVerifiedClaim,
    now: opts.now,
    userinfo: async (token) => {
      const endpoint = (await discover()).userinfo_endpoint;
      if (!endpoint) throw new Error('no userinfo endpoint');
      const res = await fetch(endpoint, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
      if (!res.ok) throw new Error(`userinfo answered ${res.status}`);
      return (await res.json()) as Record<string, unknown>;
    },
  });
}

export { ASYMMETRIC };
