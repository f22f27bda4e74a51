import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';
import { freePort } from '../../scripts/proc.js';

// A second OpenID provider for external mode (issue 14): oidc-provider on a loopback port with its
// in-memory adapter and its development login form (any login, any password; the login is the email
// address). Consent is granted silently, as a company's own provider does for its own apps. It also
// mints API access tokens (iss = this issuer, aud = AUDIENCE) with the key its JWKS publishes, so the
// test can call Admit's API as an administrator of this issuer.

export const IDP_CLIENT = { id: 'admit-page', secret: 'admit-page-secret-0123456789abcdef' };
export const AUDIENCE = 'admit-api';

export interface TestIdp {
  issuer: string;
  /** an access token for Admit's API, as this provider would issue it */
  accessToken(email: string, opts?: { name?: string }): Promise<string>;
  close(): Promise<void>;
}

/** Starts the provider; `redirectUri` is Admit's PUBLIC_URL + /auth/callback. */
export async function startIdp(redirectUri: string): Promise<TestIdp> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(privateKey)), kid: 'idp-1', alg: 'ES256', use: 'sig' };

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: IDP_CLIENT.id,
        client_secret: IDP_CLIENT.secret,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
        id_token_signed_response_alg: 'ES256',
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: ['test-idp-cookie-key-0123456789'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    features: { devInteractions: { enabled: true }, revocation: { enabled: true } },
    pkce: { required: () => true },
    // the development login form's login text is the account id: the email, which is also the subject
    async findAccount(_ctx, id) {
      return {
        accountId: id,
        async claims() {
          return { sub: id, email: id, email_verified: true, name: id.split('@')[0] };
        },
      };
    },
    // first-party consent: the grant covers what the client asked for, without a prompt
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      const accountId = ctx.oidc.session?.accountId;
      const clientId = ctx.oidc.client?.clientId;
      if (!accountId || !clientId) return undefined;
      const grant = new ctx.oidc.provider.Grant({ accountId, clientId });
      grant.addOIDCScope(String(ctx.oidc.params?.scope ?? 'openid'));
      grant.addOIDCClaims(['email', 'email_verified', 'name']);
      await grant.save();
      return grant;
    },
  });

  const server: Server = createServer(provider.callback());
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));

  return {
    issuer,
    async accessToken(email, opts = {}) {
      return new SignJWT({ email, email_verified: true, ...(opts.name ? { name: opts.name } : {}) })
        .setProtectedHeader({ alg: 'ES256', kid: 'idp-1' })
        .setIssuer(issuer)
        .setAudience(AUDIENCE)
        .setSubject(email)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
