import type { FastifyRequest } from 'fastify';
import { commonErrors } from '../errors.js';
import type { Principal } from '../modules/users/principal.js';
import type { UsersService } from '../modules/users/users.service.js';
import type { Identity, TokenVerifier } from '../platform/auth/verifier.js';

export type Authenticate = (request: FastifyRequest) => Promise<Principal>;

const BEARER = /^Bearer ([A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_=]*)$/;
/**
 * Longest bearer token looked at: access tokens are well under 2 KB, and anything longer is refused
 * (401) before any decoding or signature work. Node itself answers 431 for a header section over
 * 16 KB (its maxHeaderSize), before the request reaches Admit.
 */
export const MAX_BEARER_LENGTH = 8 * 1024;

/** The principal of a client-credentials token (built-in mode); undefined when the client is unknown. */
export type ClientPrincipals = (identity: Identity & { clientId: string }) => Promise<Principal | undefined>;

/**
 * Resolves the caller from `Authorization: Bearer <JWT>`, once per request; 401 otherwise. A token a
 * registered client obtained for itself is that client, never provisioned as a user.
 */
export function createAuthenticator(deps: {
  verifier: TokenVerifier;
  users: UsersService;
  clients?: ClientPrincipals | undefined;
}): Authenticate {
  const memo = new WeakMap<FastifyRequest, Promise<Principal>>();
  return (request) => {
    let p = memo.get(request);
    if (!p) {
      p = (async () => {
        const header = request.headers.authorization;
        if (!header) throw commonErrors.unauthorized();
        if (header.length > MAX_BEARER_LENGTH + 'Bearer '.length) throw commonErrors.invalidToken('too_long');
        const m = BEARER.exec(header.trim());
        if (!m?.[1]) throw commonErrors.invalidToken('malformed');
        const identity = await deps.verifier.verify(m[1]);
        const { clientId } = identity;
        if (clientId !== null && deps.clients) {
          const client = await deps.clients({ ...identity, clientId });
          if (!client) throw commonErrors.invalidToken('unknown client');
          return client;
        }
        return deps.users.principalFor(identity);
      })();
      memo.set(request, p);
    }
    return p;
  };
}
