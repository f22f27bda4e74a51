import { timingSafeEqual } from 'node:crypto';
import type { Db } from '../../db/create-db.js';
import { type Identity, profileFromClaims } from '../../platform/auth/verifier.js';
import type { Clock } from '../../platform/clock.js';
import { type Sealer, sha256Hex } from '../../platform/crypto.js';
import { randomBytes } from '../../platform/random.js';
import { deleteExpiredSessions, deleteSession, findSession, insertSession } from './sessions.repository.js';

// Web sessions of the invitation page. The cookie carries 256 random bits; only their SHA-256 is
// stored, so reading the table does not yield a usable cookie. A session lives SESSION_TTL_MS from
// sign-in (no sliding renewal: it only needs to last a visit) and ends for good at sign-out.
//
// The sign-in in progress (state, nonce, PKCE verifier, where to return) is not a session: it rides
// in a short-lived cookie sealed with ADMIT_SECRET (AES-GCM), bound to this purpose by the seal's
// context, so nothing is stored for visitors who never come back from the provider.

export const SESSION_TTL_MS = 8 * 60 * 60 * 1000;
export const PENDING_TTL_MS = 10 * 60 * 1000;
const PENDING_CONTEXT = 'web-signin';
const REFRESH_CONTEXT = 'web-session-refresh';

export interface WebSession {
  identity: Identity;
  userId: string;
  /** the synchronizer token the session's forms carry */
  csrfToken: string;
  expiresAt: number;
}

/** What the callback needs to finish a sign-in it started. */
export interface PendingSignIn {
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
}

const random = () => randomBytes(32).toString('base64url');
const text = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

/**
 * The provider's ID token (or userinfo) claims as the same Identity the API's verifier builds from an
 * access token: canonical email, verified only on the provider's word, no scopes. Undefined without a
 * subject.
 */
export function identityFromClaims(issuer: string, claims: Record<string, unknown>): Identity | undefined {
  const subject = text(claims.sub);
  if (!subject) return undefined;
  return {
    issuer,
    subject,
    ...profileFromClaims(claims),
    scopes: [],
    clientId: null,
    grantsAdmin: false,
  };
}

export function createSessionsService(deps: { db: Db; clock: Clock; sealer: Sealer }) {
  const { clock, sealer } = deps;
  const k = deps.db.kysely;

  return {
    identityFromClaims,

    /** Starts a session for a provisioned user; answers the cookie value (shown only to the browser). */
    async start(input: { userId: string; identity: Identity; refreshToken: string | undefined }) {
      const now = clock.now();
      const cookie = random();
      const { identity } = input;
      await deleteExpiredSessions(k, now);
      await insertSession(k, {
        id_hash: sha256Hex(cookie),
        user_id: input.userId,
        issuer: identity.issuer,
        subject: identity.subject,
        email: identity.email,
        email_verified: identity.emailVerified ? 1 : 0,
        name: identity.name,
        picture: identity.picture,
        csrf_token: random(),
        refresh_sealed: input.refreshToken ? sealer.seal(input.refreshToken, REFRESH_CONTEXT) : null,
        created_at: now,
        expires_at: now + SESSION_TTL_MS,
      });
      return { cookie, maxAgeSeconds: SESSION_TTL_MS / 1000 };
    },

    /** The live session a cookie names, or undefined (unknown, signed out or expired). */
    async find(cookie: string | undefined): Promise<WebSession | undefined> {
      if (!cookie || cookie.length > 100) return undefined;
      const row = await findSession(k, sha256Hex(cookie));
      if (!row || row.expires_at <= clock.now()) return undefined;
      return {
        userId: row.user_id,
        csrfToken: row.csrf_token,
        expiresAt: row.expires_at,
        identity: {
          issuer: row.issuer,
          subject: row.subject,
          email: row.email,
          emailVerified: row.email_verified === 1,
          name: row.name,
          picture: row.picture,
          // a page session never carries API scopes: it cannot make anyone a system administrator
          scopes: [],
          clientId: null,
          grantsAdmin: false,
        },
      };
    },

    /** Ends the session; answers its refresh token (to revoke at the issuer) when it had one. */
    async end(cookie: string | undefined): Promise<{ refreshToken: string | undefined }> {
      if (!cookie || cookie.length > 100) return { refreshToken: undefined };
      const row = await deleteSession(k, sha256Hex(cookie));
      const sealed = row?.refresh_sealed;
      return { refreshToken: sealed ? sealer.open(sealed, REFRESH_CONTEXT) : undefined };
    },

    /** Constant-time comparison of a submitted form token with the session's. */
    csrfMatches(session: WebSession, submitted: unknown): boolean {
      if (typeof submitted !== 'string') return false;
      const a = Buffer.from(session.csrfToken);
      const b = Buffer.from(submitted);
      return a.length === b.length && timingSafeEqual(a, b);
    },

    sealPending(p: PendingSignIn): string {
      return sealer.seal(JSON.stringify({ ...p, exp: clock.now() + PENDING_TTL_MS }), PENDING_CONTEXT);
    },

    /** The sign-in this browser started, or undefined when missing, tampered with or older than PENDING_TTL_MS. */
    openPending(sealed: string | undefined): PendingSignIn | undefined {
      if (!sealed || sealed.length > 2000) return undefined;
      const plain = sealer.open(sealed, PENDING_CONTEXT);
      if (!plain) return undefined;
      const p = JSON.parse(plain) as PendingSignIn & { exp: number };
      if (p.exp <= clock.now()) return undefined;
      return { state: p.state, nonce: p.nonce, codeVerifier: p.codeVerifier, returnTo: p.returnTo };
    },
  };
}

export type SessionsService = ReturnType<typeof createSessionsService>;
