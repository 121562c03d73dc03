/**
 * @module client/smart
 * The OAuth side of a SMART App Launch 2 standalone patient launch, on openid-client (itself on
 * oauth4webapi): discovery from the FHIR base, PKCE S256, the authorize URL with `aud`, the code
 * exchange (client_secret_basic, none for public clients, private_key_jwt), refresh and revocation.
 * Nothing here speaks the protocol by hand; it only chooses the library's options and turns its
 * errors into {@link ClientError}s in plain words.
 */
import * as oidc from 'openid-client';
import { ClientError, authorizationError, isNetworkError, tokenError, unreachable } from './errors.js';

/** The fields of `.well-known/smart-configuration` this client uses. */
export interface SmartConfiguration {
  issuer?: string;
  authorization_endpoint: string;
  token_endpoint: string;
  revocation_endpoint?: string;
  introspection_endpoint?: string;
  jwks_uri?: string;
  userinfo_endpoint?: string;
  scopes_supported?: string[];
  capabilities?: string[];
  code_challenge_methods_supported?: string[];
  token_endpoint_auth_methods_supported?: string[];
  [k: string]: unknown;
}

/** Endpoints given by hand, used when the server has no (readable) SMART discovery document. */
export type ExplicitEndpoints = Partial<Pick<SmartConfiguration, 'issuer' | 'authorization_endpoint' | 'token_endpoint' | 'revocation_endpoint' | 'jwks_uri'>>;

export interface DiscoverOptions {
  endpoints?: ExplicitEndpoints;
  fetch?: typeof fetch;
}

/** `https://x/fhir/` → `https://x/fhir` (the `aud` must be the base exactly as the server names it). */
export function normalizeFhirBase(base: string): string {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new ClientError('NOT_SMART_SERVER', `“${base}” is not a URL. Give the FHIR base URL, e.g. http://localhost:8080/api/fhir/r4.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ClientError('NOT_SMART_SERVER', `The FHIR base must be an http(s) URL, not ${base}.`);
  return url.href.replace(/\/+$/, '');
}

/**
 * Reads `{fhirBase}/.well-known/smart-configuration`; when the server has none (or it is unusable),
 * falls back to `options.endpoints`. Explicit endpoints also override what discovery says.
 * @throws ClientError SERVER_UNREACHABLE when nothing answers, NOT_SMART_SERVER when there is neither.
 */
export async function discoverSmart(fhirBase: string, options: DiscoverOptions = {}): Promise<SmartConfiguration> {
  const base = normalizeFhirBase(fhirBase);
  const url = `${base}/.well-known/smart-configuration`;
  const f = options.fetch ?? fetch;
  let found: Partial<SmartConfiguration> | undefined;
  let why = '';
  try {
    const res = await f(url, { headers: { accept: 'application/json' } });
    if (res.ok) {
      try {
        found = (await res.json()) as Partial<SmartConfiguration>;
      } catch {
        why = 'it is not JSON';
      }
    } else why = `HTTP ${res.status}`;
  } catch (err) {
    if (isNetworkError(err)) throw unreachable(url, err);
    throw err;
  }
  const merged = { ...(found ?? {}), ...stripUndefined(options.endpoints ?? {}) } as Partial<SmartConfiguration>;
  if (!merged.authorization_endpoint || !merged.token_endpoint) {
    throw new ClientError(
      'NOT_SMART_SERVER',
      found
        ? `${url} has no authorization_endpoint or token_endpoint. Give them explicitly (authorizationEndpoint / tokenEndpoint).`
        : `No SMART configuration at ${url} (${why}). Check --fhir-base: it must be the FHIR base URL (for the demo server http://localhost:8080/api/fhir/r4), or give the endpoints explicitly.`,
    );
  }
  return merged as SmartConfiguration;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as Partial<T>;
}

/** How the client authenticates at the token endpoint. */
export type ClientAuthentication =
  | { method: 'client_secret_basic'; clientSecret: string }
  | { method: 'none' }
  | { method: 'private_key_jwt'; privateKey: CryptoKey; kid?: string };

export interface SmartClientOptions {
  fhirBase: string;
  clientId: string;
  /** Confidential client (HTTP Basic). */
  clientSecret?: string;
  /** Asymmetric client (private_key_jwt, e.g. RS384 or ES384). */
  privateKey?: { key: CryptoKey; kid?: string };
  endpoints?: ExplicitEndpoints;
  /** Skip discovery and use this configuration. */
  configuration?: SmartConfiguration;
  fetch?: typeof fetch;
}

/** What must be kept between the authorize URL and the code exchange. */
export interface PendingAuthorization {
  url: URL;
  redirectUri: string;
  state: string;
  codeVerifier: string;
  nonce?: string;
  scope: string;
}

/** The token endpoint's answer, with SMART's context fields. */
export type TokenResponse = oidc.TokenEndpointResponse & {
  patient?: string;
  encounter?: string;
  resource?: string;
  need_patient_banner?: boolean;
  smart_style_url?: string;
  refresh_expires_in?: number;
  [k: string]: unknown;
};

export function authenticationFor(o: Pick<SmartClientOptions, 'clientSecret' | 'privateKey'>): ClientAuthentication {
  if (o.privateKey) return { method: 'private_key_jwt', privateKey: o.privateKey.key, kid: o.privateKey.kid };
  if (o.clientSecret !== undefined && o.clientSecret !== '') return { method: 'client_secret_basic', clientSecret: o.clientSecret };
  return { method: 'none' };
}

/** One app at one SMART server. */
export class SmartClient {
  private constructor(
    readonly fhirBase: string,
    readonly clientId: string,
    readonly smart: SmartConfiguration,
    readonly auth: ClientAuthentication,
    private readonly config: oidc.Configuration,
  ) {}

  /** Discovers the server (or uses the given configuration) and sets up the client. */
  static async create(o: SmartClientOptions): Promise<SmartClient> {
    const fhirBase = normalizeFhirBase(o.fhirBase);
    const smart = o.configuration ?? (await discoverSmart(fhirBase, { endpoints: o.endpoints, fetch: o.fetch }));
    const auth = authenticationFor(o);
    const issuer = smart.issuer ?? new URL(smart.token_endpoint).origin;
    const server: oidc.ServerMetadata = {
      issuer,
      authorization_endpoint: smart.authorization_endpoint,
      token_endpoint: smart.token_endpoint,
      revocation_endpoint: smart.revocation_endpoint,
      introspection_endpoint: smart.introspection_endpoint,
      jwks_uri: smart.jwks_uri,
      userinfo_endpoint: smart.userinfo_endpoint,
    };
    const clientAuth =
      auth.method === 'client_secret_basic'
        ? oidc.ClientSecretBasic(auth.clientSecret)
        : auth.method === 'private_key_jwt'
          ? oidc.PrivateKeyJwt(auth.kid ? { key: auth.privateKey, kid: auth.kid } : auth.privateKey)
          : oidc.None();
    const metadata: Partial<oidc.ClientMetadata> = { token_endpoint_auth_method: auth.method };
    const config = new oidc.Configuration(server, o.clientId, metadata, clientAuth);
    // Plain http only for a local development server (the demo's http://localhost:8080).
    if ([fhirBase, smart.authorization_endpoint, smart.token_endpoint].some((u) => u.startsWith('http:'))) oidc.allowInsecureRequests(config);
    if (o.fetch) config[oidc.customFetch] = o.fetch as unknown as oidc.CustomFetch;
    return new SmartClient(fhirBase, o.clientId, smart, auth, config);
  }

  /** A fresh authorize request: PKCE S256, a random state, `aud` = the FHIR base (and a nonce with `openid`). */
  async authorizationRequest(redirectUri: string, scope: string, extra: Record<string, string> = {}): Promise<PendingAuthorization> {
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = scope.split(/\s+/).includes('openid') ? oidc.randomNonce() : undefined;
    const url = oidc.buildAuthorizationUrl(this.config, {
      response_type: 'code',
      redirect_uri: redirectUri,
      scope,
      state,
      aud: this.fhirBase,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      ...(nonce ? { nonce } : {}),
      ...extra,
    });
    return { url, redirectUri, state, codeVerifier, nonce, scope };
  }

  /**
   * Asks the authorize endpoint about the request without a browser (no redirects followed) and turns
   * what it refuses up front — unknown client, unregistered redirect URI (an error page, never a
   * redirect), wrong `aud`, refused scopes — into a ClientError before the user is sent there.
   * A server that answers otherwise (a sign-in page, a redirect to its screens) passes.
   */
  async preflight(pending: PendingAuthorization): Promise<void> {
    const f = this.fetchImpl;
    let res: Response;
    try {
      res = await f(pending.url.href, { redirect: 'manual', headers: { accept: 'text/html' } });
    } catch (err) {
      if (isNetworkError(err)) throw unreachable(pending.url.origin, err);
      throw err;
    }
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      let target: URL;
      try {
        target = new URL(location, pending.url);
      } catch {
        return;
      }
      const back = new URL(pending.redirectUri);
      if (target.origin === back.origin && target.pathname === back.pathname) {
        const error = target.searchParams.get('error');
        if (error) throw authorizationError(error, target.searchParams.get('error_description') ?? undefined, this.fhirBase);
      }
      return;
    }
    if (res.status >= 400 && res.status < 500) {
      const text = (await res.text()).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
      const said = text.length ? ` The server's page says: “${text.slice(0, 300).trim()}”.` : '';
      if (/redirect|return address/i.test(text) && !/not recogni[sz]ed|unknown client|client_id/i.test(text.slice(0, 200))) {
        throw new ClientError(
          'REDIRECT_NOT_REGISTERED',
          `The server does not know the redirect URI ${pending.redirectUri} for client ${this.clientId} (HTTP ${res.status}, error page).${said} ` +
            'Check the redirect URIs registered for the app; native apps should register http://127.0.0.1/callback (any port), or use --redirect-uri with a registered one (e.g. https://oauth.pstmn.io/v1/callback) and --paste.',
          { status: res.status },
        );
      }
      if (/app|client/i.test(text)) {
        throw new ClientError(
          'INVALID_CLIENT',
          `The server does not recognise client “${this.clientId}” (HTTP ${res.status}, error page).${said} Check --client-id (the demo apps are demo-confidential-app and demo-public-app) and that the app is approved and enabled.`,
          { status: res.status },
        );
      }
      throw new ClientError('AUTHORIZATION_FAILED', `The authorize endpoint refused the request (HTTP ${res.status}).${said}`, { status: res.status });
    }
    await res.body?.cancel();
    if (res.status >= 500) throw new ClientError('AUTHORIZATION_FAILED', `The authorize endpoint failed (HTTP ${res.status}); try again later or ask the server's operator.`, { status: res.status });
  }

  /** Exchanges the code in `callbackUrl` (state checked, PKCE verifier sent; the id_token, if any, validated). */
  async exchangeCode(pending: PendingAuthorization, callbackUrl: string | URL): Promise<TokenResponse> {
    let url: URL;
    try {
      url = new URL(callbackUrl);
    } catch {
      throw new ClientError('AUTHORIZATION_FAILED', `“${String(callbackUrl).slice(0, 100)}” is not a URL. Paste the whole address of the page the browser landed on after Allow.`);
    }
    const error = url.searchParams.get('error');
    if (error) {
      if (url.searchParams.get('state') !== pending.state) {
        throw new ClientError('STATE_MISMATCH', 'The redirect carries an error but not this run’s state; it belongs to another sign-in. Start again.');
      }
      throw authorizationError(error, url.searchParams.get('error_description') ?? undefined, this.fhirBase);
    }
    if (!url.searchParams.get('code')) {
      throw new ClientError('AUTHORIZATION_FAILED', `The redirect ${url.origin}${url.pathname} carries no code. Paste the whole address of the page the browser landed on after Allow (it contains ?code=…&state=…).`);
    }
    if (url.searchParams.get('state') !== pending.state) {
      throw new ClientError('STATE_MISMATCH', 'The state in the redirect does not match this run’s authorize request: the URL belongs to another sign-in. Use the URL of the sign-in this run started.');
    }
    // openid-client compares the URL it is given to redirect_uri only through the token request; give it the registered one.
    const current = new URL(pending.redirectUri);
    current.search = url.search;
    try {
      const tokens = await oidc.authorizationCodeGrant(this.config, current, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: false,
      });
      return tokens as unknown as TokenResponse;
    } catch (err) {
      throw tokenError(err, 'exchange', this.smart.token_endpoint, this.fhirBase);
    }
  }

  /** A refresh (optionally narrowing the scope). */
  async refresh(refreshToken: string, scope?: string): Promise<TokenResponse> {
    try {
      const tokens = await oidc.refreshTokenGrant(this.config, refreshToken, scope ? { scope } : undefined);
      return tokens as unknown as TokenResponse;
    } catch (err) {
      throw tokenError(err, 'refresh', this.smart.token_endpoint, this.fhirBase);
    }
  }

  /** Revokes a token (RFC 7009); a refresh token revokes the whole authorization on this server. */
  async revoke(token: string, hint?: 'access_token' | 'refresh_token'): Promise<void> {
    if (!this.smart.revocation_endpoint) throw new ClientError('NOT_SMART_SERVER', 'The server advertises no revocation_endpoint.');
    try {
      await oidc.tokenRevocation(this.config, token, hint ? { token_type_hint: hint } : undefined);
    } catch (err) {
      throw tokenError(err, 'refresh', this.smart.revocation_endpoint, this.fhirBase);
    }
  }

  private get fetchImpl(): typeof fetch {
    return (this.config[oidc.customFetch] as unknown as typeof fetch | undefined) ?? fetch;
  }
}
