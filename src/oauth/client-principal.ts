import type { Db } from '../db/create-db.js';
import type { ClientPrincipals } from '../http/auth.js';
import { createClientsStore } from './clients.js';

/**
 * The principal of a client-credentials token: the registered client read on every request (a
 * deleted client's tokens stop at once), no email, so it can never accept or decline; system
 * administrator exactly when registered with --admin.
 */
export function clientPrincipals(db: Db): ClientPrincipals {
  const clients = createClientsStore(db);
  return async (identity) => {
    const c = await clients.find(identity.clientId);
    if (!c || c.public) return undefined;
    return Object.freeze({
      kind: 'client' as const,
      userId: c.inviterUserId,
      issuer: identity.issuer,
      subject: identity.subject,
      email: null,
      emailVerified: false,
      name: c.name,
      picture: null,
      isSystemAdmin: c.admin,
      client: { clientId: c.clientId, organizationId: c.organizationId, roleKey: c.roleKey },
    });
  };
}
