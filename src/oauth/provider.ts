import { hkdfSync } from 'node:crypto';
import type { JWK } from 'jose';
import Provider, {
  type Adapter,
  type ClientMetadata,
  type Configuration,
  errors,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import type { Db } from '../db/create-db.js';
import {
  type ClientRecord,
  type ClientsStore,
  DOCS_CLIENT_ID,
  secretMatches,
  WEB_CLIENT_ID,
} from './clients.js';
import { renderLogout, renderLogoutDone, renderProviderError } from './pages.js';

// Admit's built-in OAuth2 authorization server and OpenID provider, on oidc-provider (see README.md
// beside this file). Access tokens are JWTs for the one resource PUBLIC_URL, signed with the built-in
// issuer's sealed ES256 keys, so the API's verifier accepts them unchanged.

export const ADMIN_SCOPE = 'admit:admin';
export const ACCESS_TOKEN_TTL_S = 15 * 60;
const REFRESH_TOKEN_TTL_S = 30 * 86_400;
const SESSION_TTL_S = 14 * 86_400;

export interface ProviderDeps {
  db: Db;
  publicUrl: string;
  /** ADMIT_SECRET: the cookie keys are derived from it, so every process shares them */
  secret: string;
  /**
   * The built-in issuer's key set when this provider is built: the provider signs with the key
   * `signingKid` names (the first of privateJwks) and verifies its own tokens with all of them. A new
   * key set is a new provider (plugin.ts).
   */
  keys: { privateJwks: JWK[]; signingKid: string };
  clients: ClientsStore;
  /** subject → canonical email of a provider account */
  accountEmail(subject: string): Promise<string | undefined>;
  isSystemAdminEmail(email: string): boolean;
  adapter: (override: (model: string) => Adapter | undefined) => (model: string) => Adapter;
}

const USER_SCOPES = 'openid email profile offline_access';

/** The registered client as oidc-provider metadata; `client_secret` holds the secret's hash. */
function metadataOf(c: ClientRecord): ClientMetadata {
  const code = c.redirectUris.length > 0;
  const grants = [
    ...(code ? ['authorization_code', 'refresh_token'] : []),
    ...(c.public ? [] : ['client_credentials']),
  ];
  return {
    client_id: c.clientId,
    client_name: c.name,
    ...(c.secretHash ? { client_secret: c.secretHash } : {}),
    token_endpoint_auth_method: c.public ? 'none' : 'client_secret_basic',
    redirect_uris: c.redirectUris,
    response_types: code ? ['code'] : [],
    grant_types: grants,
    admit_admin: c.admin,
  };
}

function webClient(publicUrl: string): ClientMetadata {
  return {
    client_id: WEB_CLIENT_ID,
    client_name: 'Admit invitation page',
    token_endpoint_auth_method: 'none',
    redirect_uris: [`${publicUrl}/auth/callback`],
    post_logout_redirect_uris: [`${publicUrl}/`],
    response_types: ['code'],
    grant_types: ['authorization_code', 'refresh_token'],
    scope: USER_SCOPES,
  };
}

function docsClient(publicUrl: string): ClientMetadata {
  return {
    client_id: DOCS_CLIENT_ID,
    client_name: 'Admit API docs',
    token_endpoint_auth_method: 'none',
    redirect_uris: [`${publicUrl}/docs/static/oauth2-redirect.html`],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    scope: 'openid email profile',
  };
}

/** Cookie signing keys from ADMIT_SECRET (HKDF), the same in every process. */
export function cookieKeys(secret: string): string[] {
  return [
    Buffer.from(hkdfSync('sha256', secret, 'admit', 'admit oauth cookies v1', 32)).toString('base64url'),
  ];
}

function accountOf(ctx: KoaContextWithOIDC): string | undefined {
  return ctx.oidc.session?.accountId ?? ctx.oidc.entities.AuthorizationCode?.accountId;
}

export function createProvider(deps: ProviderDeps): Provider {
  const { publicUrl } = deps;
  const secure = publicUrl.startsWith('https:');
  const cookie = { signed: true, secure, httpOnly: true, sameSite: 'lax' as const };

  const clientAdapter: Adapter = {
    async find(id) {
      const c = await deps.clients.find(id);
      return c ? metadataOf(c) : undefined;
    },
    upsert: async () => undefined,
    findByUid: async () => undefined,
    findByUserCode: async () => undefined,
    consume: async () => undefined,
    destroy: async () => undefined,
    revokeByGrantId: async () => undefined,
  };

  const configuration: Configuration = {
    adapter: deps.adapter((model) => (model === 'Client' ? clientAdapter : undefined)),
    clients: [webClient(publicUrl), docsClient(publicUrl)],
    extraClientMetadata: { properties: ['admit_admin'] },
    // ID tokens and userinfo are signed with the first key that fits (keystore.selectForSign keeps
    // the given order among equals): the signing key comes first
    jwks: { keys: deps.keys.privateJwks as NonNullable<Configuration['jwks']>['keys'] },
    cookies: {
      keys: cookieKeys(deps.secret),
      long: cookie,
      short: cookie,
      names: { session: 'admit_op_session', interaction: 'admit_op_interaction', resume: 'admit_op_resume' },
    },
    // OIDC scopes only: admit:admin is a scope of the resource PUBLIC_URL, offered per caller below
    scopes: ['openid', 'offline_access', 'email', 'profile'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    // the invitation page reads email from the ID token: it never calls userinfo
    conformIdTokenClaims: false,
    clientDefaults: {
      id_token_signed_response_alg: 'ES256',
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
    responseTypes: ['code'],
    clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post'],
    // secrets are stored hashed, so nothing may be keyed with them (no HS*, no client_secret_jwt)
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256'],
      userinfoSigningAlgValues: ['ES256'],
      requestObjectSigningAlgValues: ['ES256', 'RS256', 'PS256', 'EdDSA'],
    },
    async findAccount(_ctx, sub) {
      const email = await deps.accountEmail(sub);
      if (!email) return undefined;
      return { accountId: sub, claims: async () => ({ sub, email, email_verified: true }) };
    },
    async extraTokenClaims(_ctx, token) {
      if (!('accountId' in token) || !token.accountId) return undefined;
      const email = await deps.accountEmail(token.accountId);
      return email ? { email, email_verified: true } : undefined;
    },
    formats: {
      customizers: {
        // an --admin client is a system administrator whether or not it asked for the scope
        async jwt(ctx, token, parts) {
          if (token.kind !== 'ClientCredentials' || ctx.oidc.client?.['admit_admin'] !== true) return;
          const scopes = new Set(
            String(parts.payload.scope ?? '')
              .split(' ')
              .filter(Boolean),
          );
          scopes.add(ADMIN_SCOPE);
          parts.payload.scope = [...scopes].join(' ');
        },
      },
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: renderLogout,
        postLogoutSuccessSource: renderLogoutDone,
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => publicUrl,
        useGrantedResource: () => true,
        async getResourceServerInfo(ctx, resource, client) {
          if (resource !== publicUrl) throw new errors.InvalidTarget();
          return {
            scope: (await adminOffered(ctx, client['admit_admin'] === true)) ? ADMIN_SCOPE : '',
            audience: publicUrl,
            accessTokenTTL: ACCESS_TOKEN_TTL_S,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256', kid: deps.keys.signingKid } },
          };
        },
      },
    },
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    routes: {
      authorization: '/oauth/authorize',
      token: '/oauth/token',
      revocation: '/oauth/revoke',
      userinfo: '/oauth/userinfo',
      end_session: '/oauth/logout',
      jwks: '/.well-known/jwks.json',
      introspection: '/oauth/introspect',
      pushed_authorization_request: '/oauth/par',
    },
    interactions: { url: (_ctx, interaction) => `/oauth/interaction/${interaction.uid}` },
    issueRefreshToken: async (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    ttl: {
      AccessToken: ACCESS_TOKEN_TTL_S,
      ClientCredentials: ACCESS_TOKEN_TTL_S,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 3600,
      RefreshToken: REFRESH_TOKEN_TTL_S,
      Session: SESSION_TTL_S,
      Grant: REFRESH_TOKEN_TTL_S,
    },
    renderError: renderProviderError,
  };

  /**
   * admit:admin is offered only to an --admin client's client credentials, and in a user's flow only
   * once the signed-in account's email is a SYSTEM_ADMIN_EMAILS address: asking never grants it. At
   * the token endpoint of a user's flow the grant (made at sign-in) already holds only what was offered.
   */
  async function adminOffered(ctx: KoaContextWithOIDC, adminClient: boolean): Promise<boolean> {
    if (ctx.oidc.route === 'token') {
      const grantType = ctx.oidc.params?.['grant_type'];
      return grantType === 'client_credentials' ? adminClient : true;
    }
    const account = accountOf(ctx);
    const email = account ? await deps.accountEmail(account) : undefined;
    return email !== undefined && deps.isSystemAdminEmail(email);
  }

  const provider = new Provider(publicUrl, configuration);
  // behind Admit's own hook: the protocol and host come from PUBLIC_URL (set on each request there)
  provider.proxy = true;
  // the stored client_secret is the SHA-256 of the real one (the sanctioned extension point)
  provider.Client.prototype.compareClientSecret = async function compare(
    this: { clientSecret?: string },
    actual: string,
  ) {
    return typeof this.clientSecret === 'string' && secretMatches(this.clientSecret, actual);
  };
  return provider;
}
