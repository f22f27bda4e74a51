import type { Config } from '../config.js';

// OpenAPI security (issue 14 item 5): beside the bearer scheme, an `oauth2` scheme with the real
// endpoints. Built-in mode: Admit's own authorization code (PKCE) and client credentials flows.
// External mode: the issuer's OpenID Connect discovery document, from which tools (Swagger UI
// included) derive its real URLs, since Admit does not fetch it at start. Every operation then
// declares its security: the bearer ones accept either scheme, the public ones say `security: []`.

const SCOPES = {
  openid: 'OpenID Connect sign-in',
  email: 'your email address (required by the API)',
  profile: 'your name',
  offline_access: 'a refresh token',
  'admit:admin': 'system administrator (granted only to --admin clients and SYSTEM_ADMIN_EMAILS)',
};

type Flow = {
  authorizationUrl?: string;
  tokenUrl: string;
  refreshUrl?: string;
  scopes: Record<string, string>;
};
export type OAuthScheme =
  | { type: 'openIdConnect'; openIdConnectUrl: string }
  | {
      type: 'oauth2';
      description: string;
      flows: { authorizationCode: Flow & { authorizationUrl: string }; clientCredentials: Flow };
    };

export function oauthSecurityScheme(config: Config): OAuthScheme {
  if (config.auth.mode === 'external') {
    return {
      type: 'openIdConnect' as const,
      openIdConnectUrl: `${config.auth.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`,
    };
  }
  const base = config.publicUrl;
  return {
    type: 'oauth2',
    description:
      'Admit as authorization server: authorization code with PKCE (S256) for people, client credentials for registered clients (`npx admit clients create`).',
    flows: {
      authorizationCode: {
        authorizationUrl: `${base}/oauth/authorize`,
        tokenUrl: `${base}/oauth/token`,
        refreshUrl: `${base}/oauth/token`,
        scopes: SCOPES,
      },
      clientCredentials: {
        tokenUrl: `${base}/oauth/token`,
        scopes: { 'admit:admin': SCOPES['admit:admin'] },
      },
    },
  };
}

type Operation = { security?: Record<string, string[]>[] };
type Doc = { paths?: object | undefined };
const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);

/** Every operation declares its security: bearer ones accept oauth2 too; the others are public. */
export function declareSecurity<T extends Doc>(doc: T): T {
  for (const item of Object.values(doc.paths ?? {}) as (Record<string, unknown> | undefined)[]) {
    for (const [method, value] of Object.entries(item ?? {})) {
      if (!METHODS.has(method)) continue;
      const op = value as Operation;
      if (!op.security) op.security = [];
      else if (op.security.some((s) => 'bearerAuth' in s) && !op.security.some((s) => 'oauth2' in s))
        op.security = [...op.security, { oauth2: [] }];
    }
  }
  return doc;
}
