/**
 * @module auth/client-auth
 * Client authentication at the token, introspection and revocation endpoints (RFC 6749 §2.3, RFC 7521,
 * RFC 7523, SMART App Launch 2 `client-confidential-symmetric` / `client-confidential-asymmetric`).
 *
 * A request uses exactly one method:
 * - `client_secret_basic`: `Authorization: Basic base64(urlencode(id) ":" urlencode(secret))`;
 * - `client_secret_post`: `client_id` and `client_secret` in the form body;
 * - `private_key_jwt`: `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`
 *   and a `client_assertion` JWT signed RS384 or ES384 with a key from the client's registered JWKS
 *   (inline, or fetched from its JWKS URL);
 * - `none`: a public client sends only `client_id`.
 *
 * Every `invalid_client` failure carries the same generic message, so a caller cannot tell an unknown
 * client from a wrong secret or a bad assertion; the precise reason is on `ClientAuthError.detail`, for
 * server logs only. Neither ever contains a secret or an assertion.
 */
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import type { JSONWebKeySet, JWTPayload, JWTVerifyGetKey } from 'jose';
import type { AuthStore, ClientRecord } from '../store/auth.js';
import { generateSecret, hashSecret, verifySecret } from './secrets.js';

export interface ClientAuthInput {
  /** The request's `Authorization` header, if any. */
  authorization?: string;
  /** The parsed `application/x-www-form-urlencoded` request body. */
  body: Record<string, string | undefined>;
  /** The token endpoint's URL, the `aud` SMART asks client assertions to carry. */
  tokenEndpointUrl: string;
  /**
   * Also accepted as an assertion's `aud`: SMART names the token endpoint, while Keycloak and OpenID
   * Connect client libraries (openid-client by default) send the issuer.
   */
  issuer?: string;
}

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';

export interface AuthenticatedClient {
  client: ClientRecord;
  method: ClientAuthMethod;
}

export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const BASIC_CHALLENGE = 'Basic realm="patient-access"';
/** Signature algorithms accepted on client assertions (SMART App Launch 2). */
export const ASSERTION_ALGORITHMS = ['RS384', 'ES384'] as const;
/** The furthest in the future an assertion's `exp` may lie (SMART: no more than five minutes). */
export const MAX_ASSERTION_LIFETIME_MS = 5 * 60_000;
/** Clock skew tolerated between the client and us. */
export const CLOCK_SKEW_S = 10;

const GENERIC_MESSAGE = 'Client authentication failed';
const DEFAULT_JWKS_TTL_MS = 5 * 60_000;
const DEFAULT_JWKS_CACHE_MAX_MS = 60 * 60_000;
/** A JWKS URL is refetched for an unknown `kid` at most this often per client. */
const JWKS_REFETCH_COOLDOWN_MS = 30_000;
const JWKS_FETCH_TIMEOUT_MS = 5_000;
const JWKS_MAX_BYTES = 256 * 1024;

export class ClientAuthError extends Error {
  readonly error: 'invalid_client' | 'invalid_request';
  readonly status: 400 | 401;
  /** The `WWW-Authenticate` header to send (when the client tried HTTP Basic). */
  readonly wwwAuthenticate?: string;
  /** Why authentication failed — for server logs, never for the response (it would tell an unknown
   * client from a known one). Never contains a secret. */
  readonly detail: string;

  constructor(
    error: 'invalid_client' | 'invalid_request',
    message: string,
    options: { detail?: string; wwwAuthenticate?: string } = {},
  ) {
    super(message);
    this.name = 'ClientAuthError';
    this.error = error;
    this.status = error === 'invalid_client' ? 401 : 400;
    if (options.wwwAuthenticate !== undefined) this.wwwAuthenticate = options.wwwAuthenticate;
    this.detail = options.detail ?? message;
  }
}

function invalidClient(detail: string, basic = false): ClientAuthError {
  return new ClientAuthError('invalid_client', GENERIC_MESSAGE, basic ? { detail, wwwAuthenticate: BASIC_CHALLENGE } : { detail });
}

function invalidRequest(message: string): ClientAuthError {
  return new ClientAuthError('invalid_request', message);
}

/** A hash no secret matches, compared against for unknown clients so that they take as long as known ones. */
const DUMMY_SECRET_HASH = hashSecret(generateSecret());

/** Decodes one `application/x-www-form-urlencoded` value (`+` is a space, `%XX` a byte of UTF-8). */
function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses an HTTP Basic `Authorization` header into its form-decoded client id and secret. */
function parseBasic(header: string): { clientId: string; secret: string } {
  const match = /^basic[ ]+([A-Za-z0-9+/]+={0,2})[ ]*$/i.exec(header);
  if (!match) throw invalidClient('malformed Basic Authorization header', true);
  let decoded: string;
  try {
    decoded = utf8.decode(Buffer.from(match[1], 'base64'));
  } catch {
    throw invalidClient('Basic credentials are not UTF-8', true);
  }
  const colon = decoded.indexOf(':');
  if (colon < 0) throw invalidClient('Basic credentials have no colon', true);
  let clientId: string;
  let secret: string;
  try {
    clientId = formDecode(decoded.slice(0, colon));
    secret = formDecode(decoded.slice(colon + 1));
  } catch {
    throw invalidClient('Basic credentials are not form-urlencoded', true);
  }
  if (!clientId) throw invalidClient('Basic credentials have an empty client id', true);
  return { clientId, secret };
}

interface CachedJwks {
  url: string;
  jwks: JSONWebKeySet;
  resolve: JWTVerifyGetKey;
  fetchedAt: number;
  expiresAt: number;
}

function isJwks(value: unknown): value is JSONWebKeySet {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as { keys?: unknown }).keys) &&
    (value as { keys: unknown[] }).keys.every((k) => typeof k === 'object' && k !== null && !Array.isArray(k))
  );
}

/** How long a fetched JWKS may be cached, from its response headers: 0 for `no-store` / `no-cache`. */
export function jwksCacheLifetime(headers: Headers, now: number, maxMs: number): number {
  const cacheControl = (headers.get('cache-control') ?? '').toLowerCase();
  const directives = cacheControl.split(',').map((d) => d.trim());
  let ttl: number | undefined;
  if (directives.some((d) => d === 'no-store' || d === 'no-cache')) ttl = 0;
  else {
    const maxAge = directives.map((d) => /^max-age\s*=\s*"?(\d+)"?$/.exec(d)).find((m) => m);
    if (maxAge) ttl = Number(maxAge[1]) * 1000;
    else {
      const expires = headers.get('expires');
      if (expires !== null) {
        const at = Date.parse(expires);
        // An invalid Expires value means "already expired" (RFC 9111 §5.3).
        ttl = Number.isFinite(at) ? Math.max(0, at - now) : 0;
      }
    }
  }
  return Math.max(0, Math.min(ttl ?? DEFAULT_JWKS_TTL_MS, maxMs));
}

export class ClientAuthenticator {
  private readonly fetch: typeof fetch;
  private readonly now: () => number;
  private readonly jwksCacheMaxMs: number;
  private readonly jwksCache = new Map<string, CachedJwks>();
  private readonly jwksInFlight = new Map<string, Promise<CachedJwks>>();

  constructor(
    private readonly store: AuthStore,
    options: { fetch?: typeof fetch; now?: () => number; jwksCacheMaxMs?: number } = {},
  ) {
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.now = options.now ?? Date.now;
    this.jwksCacheMaxMs = options.jwksCacheMaxMs ?? DEFAULT_JWKS_CACHE_MAX_MS;
  }

  async authenticate(input: ClientAuthInput): Promise<AuthenticatedClient> {
    const { body } = input;
    const hasBasic = input.authorization !== undefined && input.authorization.trim() !== '';
    const hasSecret = body.client_secret !== undefined;
    const hasAssertion = body.client_assertion !== undefined || body.client_assertion_type !== undefined;
    const methods = Number(hasBasic) + Number(hasSecret) + Number(hasAssertion);
    if (methods > 1) throw invalidRequest('Use exactly one client authentication method');

    if (hasBasic) {
      const { clientId, secret } = parseBasic(input.authorization as string);
      if (body.client_id !== undefined && body.client_id !== clientId) {
        throw invalidRequest('client_id does not match the Authorization header');
      }
      return this.bySecret(clientId, secret, 'client_secret_basic');
    }
    if (hasSecret) {
      if (!body.client_id) throw invalidClient('client_secret without client_id');
      return this.bySecret(body.client_id, body.client_secret as string, 'client_secret_post');
    }
    if (hasAssertion) return this.byAssertion(input);

    // No credentials: only a public client may do this.
    if (!body.client_id) throw invalidClient('no client authentication and no client_id');
    const client = await this.store.getClient(body.client_id);
    if (!client) throw invalidClient('unknown client');
    if (client.status !== 'active') throw invalidClient('client is disabled');
    if (client.type !== 'public') throw invalidClient(`${client.type} client sent no credentials`);
    return { client, method: 'none' };
  }

  private async bySecret(clientId: string, secret: string, method: 'client_secret_basic' | 'client_secret_post'): Promise<AuthenticatedClient> {
    const basic = method === 'client_secret_basic';
    const client = await this.store.getClient(clientId);
    // Always compare a hash, even for unknown clients and clients without a secret, so that timing
    // does not tell them apart from a wrong secret.
    const matches = verifySecret(secret, client?.secretHash ?? DUMMY_SECRET_HASH);
    if (!client) throw invalidClient('unknown client', basic);
    if (client.status !== 'active') throw invalidClient('client is disabled', basic);
    if (client.type !== 'confidential' || client.secretHash === null) {
      throw invalidClient(`${client.type} client may not authenticate with a client secret`, basic);
    }
    if (!matches) throw invalidClient('wrong client secret', basic);
    return { client, method };
  }

  private async byAssertion(input: ClientAuthInput): Promise<AuthenticatedClient> {
    const { body, tokenEndpointUrl } = input;
    if (body.client_assertion_type !== JWT_BEARER_ASSERTION_TYPE) {
      throw invalidRequest(`client_assertion_type must be ${JWT_BEARER_ASSERTION_TYPE}`);
    }
    const assertion = body.client_assertion;
    if (!assertion) throw invalidRequest('client_assertion is missing');

    let claims: ReturnType<typeof decodeJwt>;
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      claims = decodeJwt(assertion);
      header = decodeProtectedHeader(assertion);
    } catch {
      throw invalidClient('client_assertion is not a JWT');
    }
    const clientId = claims.iss;
    if (typeof clientId !== 'string' || !clientId || claims.sub !== clientId) {
      throw invalidClient('client_assertion iss and sub must both be the client_id');
    }
    if (body.client_id !== undefined && body.client_id !== clientId) {
      throw invalidClient('client_id does not match the client_assertion');
    }

    const client = await this.store.getClient(clientId);
    if (!client) throw invalidClient('unknown client');
    if (client.status !== 'active') throw invalidClient('client is disabled');
    if (client.type !== 'asymmetric') throw invalidClient(`${client.type} client may not use private_key_jwt`);
    if (header.jku !== undefined && header.jku !== client.jwksUri) {
      throw invalidClient('jku header is not the client\'s registered JWKS URL');
    }

    const getKey = this.keyResolver(client, header.jku !== undefined);
    const now = this.now();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(assertion, getKey, {
        algorithms: [...ASSERTION_ALGORITHMS],
        issuer: clientId,
        subject: clientId,
        audience: input.issuer ? [tokenEndpointUrl, input.issuer] : tokenEndpointUrl,
        requiredClaims: ['exp', 'jti'],
        currentDate: new Date(now),
        clockTolerance: CLOCK_SKEW_S,
      }));
    } catch (err) {
      if (err instanceof ClientAuthError) throw err;
      throw invalidClient(`client_assertion rejected: ${describeJoseError(err)}`);
    }

    const exp = payload.exp as number;
    if (exp * 1000 > now + MAX_ASSERTION_LIFETIME_MS + CLOCK_SKEW_S * 1000) {
      throw invalidClient('client_assertion exp is more than five minutes in the future');
    }
    if (typeof payload.jti !== 'string' || !payload.jti) throw invalidClient('client_assertion jti is missing');
    if (!(await this.store.rememberAssertion(clientId, payload.jti, exp * 1000, now))) {
      throw invalidClient('client_assertion jti was used before (replay)');
    }
    return { client, method: 'private_key_jwt' };
  }

  /** The keys an assertion from `client` may be verified with. */
  private keyResolver(client: ClientRecord, useJku: boolean): JWTVerifyGetKey {
    if (client.jwks && !useJku) {
      let jwks: unknown;
      try {
        jwks = JSON.parse(client.jwks);
      } catch {
        jwks = undefined;
      }
      if (!isJwks(jwks)) throw invalidClient('client\'s registered JWKS is not a JWK Set');
      return createLocalJWKSet(jwks);
    }
    const url = client.jwksUri;
    if (!url) throw invalidClient('client has no registered keys');
    return async (protectedHeader, token) => {
      let entry = await this.remoteJwks(client.clientId, url, false);
      try {
        return await entry.resolve(protectedHeader, token);
      } catch (err) {
        // An unknown kid may mean the client rotated its keys: refetch once, but not more often than
        // every 30 s per client, so that assertions with made-up kids cannot make us hammer the URL.
        if (!(err instanceof joseErrors.JWKSNoMatchingKey)) throw err;
        if (this.now() - entry.fetchedAt < JWKS_REFETCH_COOLDOWN_MS) throw err;
        entry = await this.remoteJwks(client.clientId, url, true);
        return entry.resolve(protectedHeader, token);
      }
    };
  }

  /** The client's JWKS from its URL, from the cache while that is fresh. */
  private async remoteJwks(clientId: string, url: string, force: boolean): Promise<CachedJwks> {
    const cached = this.jwksCache.get(clientId);
    if (!force && cached && cached.url === url && this.now() < cached.expiresAt) return cached;
    const pending = this.jwksInFlight.get(clientId);
    if (pending) return pending;
    const promise = this.fetchJwks(url).finally(() => this.jwksInFlight.delete(clientId));
    this.jwksInFlight.set(clientId, promise);
    const entry = await promise;
    this.jwksCache.set(clientId, entry);
    return entry;
  }

  private async fetchJwks(url: string): Promise<CachedJwks> {
    let response: Response;
    let text: string;
    try {
      response = await this.fetch(url, {
        headers: { accept: 'application/jwk-set+json, application/json' },
        redirect: 'error',
        signal: AbortSignal.timeout(JWKS_FETCH_TIMEOUT_MS),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const length = Number(response.headers.get('content-length') ?? 0);
      if (length > JWKS_MAX_BYTES) throw new Error('response too large');
      text = await response.text();
    } catch (err) {
      throw invalidClient(`could not fetch the client's JWKS from ${url}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (text.length > JWKS_MAX_BYTES) throw invalidClient(`the client's JWKS at ${url} is too large`);
    let jwks: unknown;
    try {
      jwks = JSON.parse(text);
    } catch {
      jwks = undefined;
    }
    if (!isJwks(jwks)) throw invalidClient(`the client's JWKS at ${url} is not a JWK Set`);
    const fetchedAt = this.now();
    const ttl = jwksCacheLifetime(response.headers, fetchedAt, this.jwksCacheMaxMs);
    return { url, jwks, resolve: createLocalJWKSet(jwks), fetchedAt, expiresAt: fetchedAt + ttl };
  }
}

function describeJoseError(err: unknown): string {
  if (err instanceof joseErrors.JOSEError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}
