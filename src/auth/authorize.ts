/**
 * @module auth/authorize
 * Checks an authorization request (SPEC §3). Two kinds of failure: a wrong client or redirect URI is
 * shown on an error page and never redirected to; every other problem goes back to the client's
 * redirect URI as `error`, `error_description` and `state`.
 */
import type { ClientRecord } from '../store/auth.js';

export interface AuthorizeRequest {
  clientId: string;
  redirectUri: string;
  scope: string;
  state?: string;
  codeChallenge: string;
  nonce?: string;
}

/** A failure that must not redirect: shown to the person in the browser. */
export class AuthorizePageError extends Error {
  constructor(
    readonly title: string,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}

/** A failure reported back to the client through its redirect URI. */
export class AuthorizeRedirectError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly redirectUri: string,
    readonly state: string | undefined,
  ) {
    super(description);
  }
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]']);
const CHALLENGE_RE = /^[A-Za-z0-9\-._~]{43,128}$/;

/**
 * Exact match with a registered URI, except that a registered loopback URI (`http://127.0.0.1/…` or
 * `http://[::1]/…`) matches any port, as native apps bind an ephemeral one (RFC 8252 §7.3).
 */
export function redirectUriAllowed(registered: readonly string[], given: string): boolean {
  if (registered.includes(given)) return true;
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' || !LOOPBACK_HOSTS.has(url.hostname) || url.username || url.password) return false;
  return registered.some((r) => {
    try {
      const reg = new URL(r);
      return (
        reg.protocol === 'http:' &&
        reg.hostname === url.hostname &&
        reg.pathname === url.pathname &&
        reg.search === url.search &&
        !url.hash
      );
    } catch {
      return false;
    }
  });
}

function single(params: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = params[name];
  return Array.isArray(v) ? undefined : v;
}

/**
 * Validates the parameters of an authorize request against the client.
 * @throws AuthorizePageError for an unknown or disabled client or an unregistered redirect URI.
 * @throws AuthorizeRedirectError for anything else.
 */
export function validateAuthorizeRequest(
  params: Record<string, string | string[] | undefined>,
  client: ClientRecord | undefined,
  fhirBaseUrl: string,
): AuthorizeRequest {
  for (const [k, v] of Object.entries(params)) {
    if (Array.isArray(v) && ['client_id', 'redirect_uri'].includes(k)) {
      throw new AuthorizePageError('This request cannot be completed', `The app sent '${k}' more than once.`);
    }
  }
  const clientId = single(params, 'client_id');
  if (!clientId || !client || client.status !== 'active') {
    throw new AuthorizePageError(
      'This app is not recognised',
      'The app that sent you here is not registered with this practice, or has been disabled. Close this page and contact the app’s developer.',
      clientId ? `client_id: ${clientId.slice(0, 100)}` : 'client_id is missing',
    );
  }
  const redirectUri = single(params, 'redirect_uri');
  if (!redirectUri || !redirectUriAllowed(client.redirectUris, redirectUri)) {
    throw new AuthorizePageError(
      'This app’s return address is not registered',
      'For your safety, you will not be sent back to an address this practice does not know. Close this page and contact the app’s developer.',
      redirectUri ? `redirect_uri: ${redirectUri.slice(0, 200)}` : 'redirect_uri is missing',
    );
  }
  const state = single(params, 'state');
  const fail = (error: string, description: string) => new AuthorizeRedirectError(error, description, redirectUri, state);
  for (const [k, v] of Object.entries(params)) {
    if (Array.isArray(v)) throw fail('invalid_request', `The parameter '${k}' was sent more than once`);
  }
  if (single(params, 'response_type') !== 'code') {
    throw fail('unsupported_response_type', "response_type must be 'code'");
  }
  const aud = single(params, 'aud');
  if (aud !== fhirBaseUrl) {
    throw fail('invalid_request', `aud must be the FHIR base URL of this server (${fhirBaseUrl})`);
  }
  const method = single(params, 'code_challenge_method');
  const codeChallenge = single(params, 'code_challenge');
  if (method !== 'S256') {
    throw fail('invalid_request', method === 'plain' ? "code_challenge_method 'plain' is not allowed; use S256" : 'code_challenge_method S256 is required (PKCE)');
  }
  if (!codeChallenge || !CHALLENGE_RE.test(codeChallenge)) {
    throw fail('invalid_request', 'code_challenge must be 43 to 128 characters of [A-Za-z0-9-._~] (PKCE S256)');
  }
  const scope = single(params, 'scope')?.trim();
  if (!scope) throw fail('invalid_scope', 'scope is required');
  return { clientId, redirectUri, scope, state, codeChallenge, nonce: single(params, 'nonce') };
}

/** The redirect URI with `params` added to its query. */
export function redirectWith(redirectUri: string, params: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.append(k, v);
  return url.toString();
}
