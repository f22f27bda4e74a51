import type { Db } from '../../db/create-db.js';
import { committedAlone } from '../../db/tx.js';
import type { Identity } from '../../platform/auth/verifier.js';
import type { Clock } from '../../platform/clock.js';
import type { Ids } from '../../platform/ids.js';
import type { Principal } from './principal.js';
import { findUserByIdentity, upsertUser } from './users.repository.js';

export interface UsersService {
  /** Provisions the user for a verified identity just in time, keyed by (issuer, sub); writes only on change. */
  principalFor(identity: Identity): Promise<Principal>;
}

const CACHE_LIMIT = 10_000;

export function createUsersService(deps: {
  db: Db;
  clock: Clock;
  ids: Ids;
  systemAdminEmails: readonly string[];
}): UsersService {
  const { db, clock, ids } = deps;
  const admins = new Set(deps.systemAdminEmails);
  // (issuer, sub) → user id and the profile last written; a hit with the same profile needs no query.
  const known = new Map<string, { id: string; fingerprint: string }>();
  // The verifier hands out one Identity object per token for the token's lifetime: its principal is
  // kept with it and answered again while `known` still holds the profile it was made from.
  const principals = new WeakMap<Identity, { key: string; fingerprint: string; principal: Principal }>();

  return {
    async principalFor(identity) {
      const kept = principals.get(identity);
      if (kept && known.get(kept.key)?.fingerprint === kept.fingerprint) return kept.principal;
      const key = `${identity.issuer}\u0000${identity.subject}`;
      const profile = {
        email: identity.email,
        email_verified: identity.emailVerified ? 1 : 0,
        name: identity.name,
        picture: identity.picture,
      };
      const fingerprint = JSON.stringify(profile);
      let id = known.get(key)?.fingerprint === fingerprint ? known.get(key)?.id : undefined;
      if (!id) {
        // one statement: a new user inserted, a changed profile written, an unchanged row left
        // alone (committedAlone: on PostgreSQL one round trip; on SQLite in the group commit)
        id =
          (await committedAlone(db, (exec) =>
            upsertUser(
              exec,
              { id: ids.uuid(), issuer: identity.issuer, subject: identity.subject, ...profile },
              clock.now(),
            ),
          )) ?? (await findUserByIdentity(db.reads, identity.issuer, identity.subject))?.id;
        // users are never deleted: the row the upsert found is there to read
        if (!id) throw new Error('user vanished after upsert');
        if (known.size >= CACHE_LIMIT) known.clear();
        known.set(key, { id, fingerprint });
      }
      const principal: Principal = Object.freeze({
        kind: 'user' as const,
        client: null,
        userId: id,
        issuer: identity.issuer,
        subject: identity.subject,
        email: identity.email,
        emailVerified: identity.emailVerified,
        name: identity.name,
        picture: identity.picture,
        isSystemAdmin:
          identity.grantsAdmin ||
          (identity.emailVerified && identity.email !== null && admins.has(identity.email)),
      });
      principals.set(identity, { key, fingerprint, principal });
      return principal;
    },
  };
}
