import {
  createLocalJWKSet,
  type JWTPayload,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import { AppError, commonErrors } from '../../errors.js';
import { canonicalEmail } from '../email.js';
import type { BuiltinIssuer } from './builtin-issuer.js';
import { remoteKeySet } from './remote-jwks.js';

// Bearer verification with jose: signature, exp, nbf, iss and aud checked; asymmetric algorithms
// pinned (never `none`, never HMAC); `kid` only selects from the configured key set; an unknown kid
// refetches at most once per cooldown. Verified identities are kept per token for a bounded time
// (never past `exp`, never once their key has left the key set, never after a failed userinfo call).
// An ID token offered as an access token is refused where it shows itself as one (RFC 9068 `typ`,
// OIDC's `nonce` / `at_hash` / `c_hash`).

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
  /** the token's scope holds the one that makes a system administrator (built-in: admit:admin; external: AUTH_ADMIN_SCOPE) */
  grantsAdmin: boolean;
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
/**
 * How long a verified token is answered from memory before it is verified again: long enough that a
 * client reusing its token pays one verification a minute, short enough that a key withdrawn from
 * the issuer's key set (or a token it no longer vouches for) stops working soon after.
 */
export const VERIFIED_TOKEN_TTL_MS = 60_000;
/** Header `typ` values of access tokens (RFC 9068) and of plain JWTs; anything else is another kind of token. */
const ACCESS_TOKEN_TYPES = new Set(['jwt', 'at+jwt', 'application/at+jwt', 'application/jwt']);
/** Claims only ID tokens carry (OIDC Core §2, §3.1.3.6, §3.3.2.11). */
const ID_TOKEN_CLAIMS = ['nonce', 'at_hash', 'c_hash'];

export interface VerifierOptions {
  issuer: string;
  audience: string;
  algorithms: string[];
  getKey: JWTVerifyGetKey;
  /** whether the key `kid` is still in the key set as last loaded (a kept identity whose key left is dropped) */
  keyPublished?: (kid: string | undefined) => boolean;
  /** the scope value that makes a system administrator; undefined: none does */
  adminScope: string | undefined;
  emailClaim: string;
  emailVerifiedClaim: string;
  /** asks the issuer's userinfo endpoint when the access token lacks the email claims */
  userinfo?: (token: string) => Promise<Record<string, unknown>>;
  now: () => number;
}

/**
 * A provider's claims (an access token's, an ID token's or userinfo's) as the profile an Identity
 * carries: the canonical email, verified only on the provider's word (a non-canonical address is
 * kept as verified-but-matching-nothing), name and picture. The one reading of those claims.
 */
export function profileFromClaims(
  claims: Record<string, unknown>,
  emailClaim = 'email',
  emailVerifiedClaim = 'email_verified',
): Pick<Identity, 'email' | 'emailVerified' | 'name' | 'picture'> {
  const rawEmail = str(claims[emailClaim]);
  const canonical = rawEmail ? canonicalEmail(rawEmail) : undefined;
  const verified = claims[emailVerifiedClaim];
  return {
    email: canonical?.ok ? canonical.email : null,
    emailVerified: rawEmail !== null && (verified === true || verified === 'true'),
    name: str(claims.name),
    picture: str(claims.picture),
  };
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? v : null;
}

function scopesOf(payload: JWTPayload): string[] {
  if (typeof payload.scope === 'string') return payload.scope.split(' ').filter(Boolean);
  if (Array.isArray(payload.scp)) return payload.scp.filter((s): s is string => typeof s === 'string');
  return [];
}

interface Verified {
  identity: Identity;
  kid: string | undefined;
  expiresAt: number;
}

export function createVerifier(opts: VerifierOptions): TokenVerifier {
  const cache = new Map<string, Verified>();

  async function verifyUncached(token: string, now: number): Promise<Verified> {
    let payload: JWTPayload;
    let kid: string | undefined;
    try {
      let header: { kid?: string; typ?: string };
      ({ payload, protectedHeader: header } = await jwtVerify(token, opts.getKey, {
        issuer: opts.issuer,
        audience: opts.audience,
        algorithms: opts.algorithms,
        requiredClaims: ['exp', 'sub'],
        clockTolerance: CLOCK_TOLERANCE_S,
        currentDate: new Date(now),
      }));
      kid = header.kid;
      const typ = header.typ?.toLowerCase();
      if (typ !== undefined && !ACCESS_TOKEN_TYPES.has(typ))
        throw commonErrors.invalidToken('not_an_access_token');
      if (typ !== 'at+jwt' && typ !== 'application/at+jwt' && ID_TOKEN_CLAIMS.some((c) => c in payload))
        throw commonErrors.invalidToken('id_token_not_accepted');
    } catch (err) {
      if (err instanceof joseErrors.JOSEError) throw commonErrors.invalidToken(err.code);
      if (err instanceof AppError) throw err;
      throw commonErrors.invalidToken('unverifiable');
    }
    let claims: Record<string, unknown> = payload;
    if (!(opts.emailClaim in payload) && opts.userinfo) {
      // a failed userinfo call is not an answer about the email: 503, and nothing is kept
      try {
        claims = { ...(await opts.userinfo(token)), ...payload };
      } catch (err) {
        if (err instanceof AppError) throw err;
        throw commonErrors.unavailable(err);
      }
    }
    const scopes = scopesOf(payload);
    const identity: Identity = {
      issuer: opts.issuer,
      subject: String(payload.sub),
      ...profileFromClaims(claims, opts.emailClaim, opts.emailVerifiedClaim),
      scopes,
      clientId:
        typeof payload.client_id === 'string' && payload.client_id === payload.sub ? payload.client_id : null,
      grantsAdmin: opts.adminScope !== undefined && scopes.includes(opts.adminScope),
    };
    return { identity, kid, expiresAt: Math.min((payload.exp ?? 0) * 1000, now + VERIFIED_TOKEN_TTL_MS) };
  }

  return {
    async verify(token) {
      const now = opts.now();
      const hit = cache.get(token);
      if (hit && hit.expiresAt > now && (opts.keyPublished?.(hit.kid) ?? true)) return hit.identity;
      const fresh = await verifyUncached(token, now);
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

/** Where a verifier gets its keys, and whether a key it used is still published. */
export interface KeySource {
  getKey: JWTVerifyGetKey;
  keyPublished: (kid: string | undefined) => boolean;
}

/**
 * Built-in mode: the issuer's published keys as of now (re-read by the issuer every refresh interval,
 * and here at most once per cooldown for an unknown kid); a key that retires leaves at once.
 */
export function builtinKeySource(issuer: BuiltinIssuer, cooldownMs: number, now: () => number): KeySource {
  let local = createLocalJWKSet({ keys: [] });
  let version: string | undefined;
  let loadedAt = Number.NEGATIVE_INFINITY;
  const keys = () => {
    const set = issuer.current();
    if (set.version !== version) {
      local = createLocalJWKSet({ keys: set.published });
      version = set.version;
    }
    return local;
  };
  return {
    keyPublished: (kid) => issuer.current().publishedKids.has(kid),
    async getKey(header, input) {
      try {
        return await keys()(header, input);
      } catch (err) {
        if (!(err instanceof joseErrors.JWKSNoMatchingKey) || now() - loadedAt < cooldownMs) throw err;
        loadedAt = now();
        await issuer.reload();
        return keys()(header, input);
      }
    },
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
  adminScope: string | undefined;
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
  const keys = remoteKeySet(
    async () => {
      const url = opts.jwksUrl ?? (await discover()).jwks_uri;
      if (!url) throw new Error('the issuer publishes no jwks_uri');
      return url;
    },
    {
      cooldownMs: opts.cooldownMs,
      // refreshed at most this often while in use, so a withdrawn key is noticed as soon as kept
      // identities are verified again
      maxAgeMs: VERIFIED_TOKEN_TTL_MS,
      timeoutMs: opts.timeoutMs,
      now: opts.now,
    },
  );
  return createVerifier({
    issuer: opts.issuer,
    audience: opts.audience,
    algorithms: ASYMMETRIC,
    getKey: keys.getKey,
    // the key set as last fetched (refetched after its age or for an unknown kid)
    keyPublished: keys.keyPublished,
    adminScope: opts.adminScope,
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
      // the issuer refusing the token is its answer (401); any other failure is an outage (503)
      if (res.status === 401 || res.status === 403) throw commonErrors.invalidToken('userinfo_refused');
      if (!res.ok) throw new Error(`userinfo answered ${res.status}`);
      return (await res.json()) as Record<string, unknown>;
    },
  });
}

export { ASYMMETRIC };
