import type { FastifyRequest } from 'fastify';
import { commonErrors } from '../errors.js';
import type { Principal } from '../modules/users/principal.js';
import type { UsersService } from '../modules/users/users.service.js';
import type { TokenVerifier } from '../platform/auth/verifier.js';

export type Authenticate = (request: FastifyRequest) => Promise<Principal>;

const BEARER = /^Bearer ([A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_=]*)$/;

/** Resolves the caller from `Authorization: Bearer <JWT>`, once per request; 401 otherwise. */
export function createAuthenticator(deps: { verifier: TokenVerifier; users: UsersService }): Authenticate {
  const memo = new WeakMap<FastifyRequest, Promise<Principal>>();
  return (request) => {
    let p = memo.get(request);
    if (!p) {
      p = (async () => {
        const header = request.headers.authorization;
        if (!header) throw commonErrors.unauthorized();
        const m = BEARER.exec(header.trim());
        if (!m?.[1]) throw commonErrors.invalidToken('malformed');
        return deps.users.principalFor(await deps.verifier.verify(m[1]));
      })();
      memo.set(request, p);
    }
    return p;
  };
}
