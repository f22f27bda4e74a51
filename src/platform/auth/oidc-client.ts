import * as oidc from 'openid-client';

// The invitation page's OpenID Connect client (issue 14), one code path for both modes: built-in
// (Admit's own provider at PUBLIC_URL, client `admit-invitation-page`, public + PKCE) and external
// (AUTH_ISSUER with AUTH_CLIENT_ID / AUTH_CLIENT_SECRET). Authorization code + PKCE (S256), state
// and nonce, always `prompt=login`: an invitation is accepted by whoever signs in now, not by
// whoever happened to have a session at the provider. openid-client does the protocol checks
// (issuer, state, nonce, ID token signature and claims).

export const PAGE_SCOPE = 'openid email profile offline_access';

/** fetch as openid-client calls it (method, headers, body already serialized or URLSearchParams) */
export type LocalFetch = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: unknown },
) => Promise<Response>;

export interface OidcClientOptions {
  issuer: string;
  clientId: string;
  clientSecret: string | undefined;
  /** PUBLIC_URL + /auth/callback */
  redirectUri: string;
  /**
   * Requests to this origin go here instead of the network (built-in mode: the provider is in this
   * process, and the server need not resolve its own public name).
   */
  local?: { origin: string; fetch: LocalFetch } | undefined;
  timeoutMs: number;
}

/** The ID token's claims after a successful callback. */
export interface SignInResult {
  claims: Record<string, unknown>;
  refreshToken: string | undefined;
}

export interface OidcClient {
  /** Where to send the browser, and what the callback must check. */
  start(): Promise<{ url: string; state: string; nonce: string; codeVerifier: string }>;
  /** Redeems the code the provider sent back to `callbackUrl`; throws on any failed check. */
  finish(
    callbackUrl: URL,
    expected: { state: string; nonce: string; codeVerifier: string },
  ): Promise<SignInResult>;
  /** RFC 7009 revocation of a refresh token; best effort, the caller logs a failure. */
  revoke(refreshToken: string): Promise<void>;
  /** The issuer's origin (the page's CSP lets a form's redirect chain reach it). */
  issuerOrigin: string;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/** http is refused except on loopback hosts and Admit's own issuer (a provider reached in-process). */
export function httpIssuerAllowed(issuer: string, ownOrigin: string | undefined): boolean {
  const u = new URL(issuer);
  return u.protocol === 'https:' || LOOPBACK.test(u.hostname) || u.origin === ownOrigin;
}

export function createOidcClient(opts: OidcClientOptions): OidcClient {
  const issuerUrl = new URL(opts.issuer);
  const insecure = issuerUrl.protocol === 'http:';
  if (insecure && !httpIssuerAllowed(opts.issuer, opts.local?.origin)) {
    throw new Error(`the sign-in issuer ${opts.issuer} must use https (http only on loopback)`);
  }
  const local = opts.local;
  const ownIssuer = local !== undefined && issuerUrl.origin === local.origin;
  const customFetch: oidc.CustomFetch = (url, init) =>
    local && new URL(url).origin === local.origin ? local.fetch(url, init) : fetch(url, init as RequestInit);

  // discovery once, on first use; a failure is not cached, so a provider that was down is retried
  let config: Promise<oidc.Configuration> | undefined;
  const configuration = (): Promise<oidc.Configuration> => {
    config ??= oidc
      .discovery(
        issuerUrl,
        opts.clientId,
        undefined,
        opts.clientSecret ? oidc.ClientSecretPost(opts.clientSecret) : oidc.None(),
        {
          [oidc.customFetch]: customFetch,
          timeout: Math.ceil(opts.timeoutMs / 1000),
          ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
        },
      )
      .then((c) => {
        c[oidc.customFetch] = customFetch;
        return c;
      })
      .catch((err: unknown) => {
        config = undefined;
        throw err;
      });
    return config;
  };

  return {
    issuerOrigin: issuerUrl.origin,
    async start() {
      const c = await configuration();
      const codeVerifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const url = oidc.buildAuthorizationUrl(c, {
        redirect_uri: opts.redirectUri,
        scope: PAGE_SCOPE,
        response_type: 'code',
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
        // Admit's own provider (oidc-provider) issues a refresh token for offline_access only when
        // consent is prompted; it grants consent for its first-party page client without asking
        prompt: ownIssuer ? 'login consent' : 'login',
      });
      return { url: url.href, state, nonce, codeVerifier };
    },
    async finish(callbackUrl, expected) {
      const c = await configuration();
      const tokens = await oidc.authorizationCodeGrant(c, callbackUrl, {
        pkceCodeVerifier: expected.codeVerifier,
        expectedState: expected.state,
        expectedNonce: expected.nonce,
        idTokenExpected: true,
      });
      let claims: Record<string, unknown> = { ...(tokens.claims() ?? {}) };
      // providers may keep email out of the ID token; then it comes from userinfo (same subject checked)
      if (typeof claims.email !== 'string' && tokens.access_token && typeof claims.sub === 'string') {
        const info = await oidc.fetchUserInfo(c, tokens.access_token, claims.sub);
        claims = { ...info, ...claims };
      }
      return { claims, refreshToken: tokens.refresh_token };
    },
    async revoke(refreshToken) {
      const c = await configuration();
      if (!c.serverMetadata().revocation_endpoint) return;
      await oidc.tokenRevocation(c, refreshToken, { token_type_hint: 'refresh_token' });
    },
  };
}

/** An in-process HTTP call (Fastify's `inject`), described structurally so platform imports no framework. */
export type Inject = (req: {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
}) => Promise<{ statusCode: number; headers: Record<string, unknown>; body: string }>;

/** A fetch that answers from `inject`: built-in mode reaches its own provider without the network. */
export function injectFetch(inject: Inject): LocalFetch {
  return async (url, init) => {
    const u = new URL(url);
    const body = init.body;
    const res = await inject({
      method: init.method,
      url: u.pathname + u.search,
      headers: { ...init.headers, host: u.host },
      ...(body === undefined || body === null ? {} : { payload: String(body) }),
    });
    const headers = new Headers();
    for (const [k, v] of Object.entries(res.headers)) {
      if (Array.isArray(v)) for (const one of v) headers.append(k, String(one));
      else if (v !== undefined) headers.set(k, String(v));
    }
    const empty = res.statusCode === 204 || res.statusCode === 304;
    return new Response(empty ? null : res.body, { status: res.statusCode, headers });
  };
}

/**
 * The page's client settings from the configuration (OAUTH-CONTRACT seam 2): built-in mode signs in
 * at Admit's own provider with the static public client; external mode needs AUTH_CLIENT_ID, else
 * the page only previews (undefined).
 */
export function webClientSettings(config: {
  publicUrl: string;
  auth:
    | { mode: 'builtin' }
    | { mode: 'external'; issuer: string; clientId?: string | undefined; clientSecret?: string | undefined };
}): { issuer: string; clientId: string; clientSecret: string | undefined } | undefined {
  if (config.auth.mode === 'builtin') {
    return { issuer: config.publicUrl, clientId: 'admit-invitation-page', clientSecret: undefined };
  }
  if (!config.auth.clientId) return undefined;
  return {
    issuer: config.auth.issuer,
    clientId: config.auth.clientId,
    clientSecret: config.auth.clientSecret,
  };
}

/**
 * The page's sign-in as the composition wires it: the client (undefined when not configured, which
 * is logged once at start-up) and the issuer users are keyed by.
 */
export function webSignIn(
  config: Parameters<typeof webClientSettings>[0] & { timings: { jwksTimeoutMs: number } },
  inject: Inject,
  logger: { warn(obj: object, msg: string): void },
): { oidc: OidcClient | undefined; issuer: string } {
  const issuer = config.auth.mode === 'builtin' ? config.publicUrl : config.auth.issuer;
  const settings = webClientSettings(config);
  if (!settings) {
    logger.warn(
      { issuer },
      'invitation page sign-in is not configured: AUTH_CLIENT_ID is not set, so the page only previews invitations',
    );
    return { oidc: undefined, issuer };
  }
  const own = new URL(config.publicUrl).origin;
  const oidc = createOidcClient({
    ...settings,
    redirectUri: `${config.publicUrl}/auth/callback`,
    local: { origin: own, fetch: injectFetch(inject) },
    timeoutMs: config.timings.jwksTimeoutMs,
  });
  return { oidc, issuer };
}
