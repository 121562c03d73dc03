/**
 * @module client/errors
 * Typed errors of the reference client. Each carries a stable `code` and a message in plain words that
 * says what went wrong and what to check, so a developer can act on it without reading a stack trace.
 */
import * as oidc from 'openid-client';

export type ClientErrorCode =
  | 'WRONG_AUD'
  | 'REDIRECT_NOT_REGISTERED'
  | 'INVALID_CLIENT'
  | 'SCOPE_REFUSED'
  | 'TOKEN_EXPIRED_NOT_REFRESHABLE'
  | 'SERVER_UNREACHABLE'
  | 'NOT_SMART_SERVER'
  | 'STATE_MISMATCH'
  | 'AUTHORIZATION_FAILED'
  | 'TOKEN_REQUEST_FAILED'
  | 'NOT_CONNECTED'
  | 'RATE_LIMITED'
  | 'FHIR_ERROR'
  | 'TIMEOUT';

export class ClientError extends Error {
  override readonly name = 'ClientError';
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    options: { cause?: unknown; status?: number; oauthError?: string } = {},
  ) {
    super(message, { cause: options.cause });
    this.status = options.status;
    this.oauthError = options.oauthError;
  }
  /** HTTP status of the answer that caused it, when there was one. */
  readonly status: number | undefined;
  /** The OAuth `error` code of the server's answer, when there was one. */
  readonly oauthError: string | undefined;
}

/** True for the errors `fetch` throws when nothing answers (refused, DNS, reset, timeout). */
export function isNetworkError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err instanceof TypeError && /fetch failed|network/i.test(err.message)) return true;
  const code = (err as { code?: string; cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code;
  return typeof code === 'string' && /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|UND_ERR_)/.test(code);
}

export function unreachable(url: string, err: unknown): ClientError {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const why = cause?.code ?? cause?.message ?? (err as Error).message;
  return new ClientError(
    'SERVER_UNREACHABLE',
    `Could not reach ${url} (${why}). Check that the server is running and that the URL (host, port, http/https) is right — ` +
      'for the demo server, `npm start` serves http://localhost:8080 and its FHIR base is http://localhost:8080/api/fhir/r4.',
    { cause: err },
  );
}

/** Turns an error of the authorization response (the redirect back) into a ClientError. */
export function authorizationError(error: string, description: string | undefined, fhirBase: string): ClientError {
  const desc = description ? ` The server said: “${description}”.` : '';
  if (error === 'access_denied') {
    return new ClientError('SCOPE_REFUSED', `The patient (or the server) refused the request (access_denied).${desc} Run connect again and press Allow on the consent screen; check that the scopes you ask for are ones the app is registered for.`, { oauthError: error });
  }
  if (error === 'invalid_scope') {
    return new ClientError('SCOPE_REFUSED', `The server refused the requested scopes (invalid_scope).${desc} Check --scope against the scopes the app is registered for and the server's scopes_supported in its .well-known/smart-configuration.`, { oauthError: error });
  }
  if (error === 'invalid_request' && description && /\baud\b/i.test(description)) {
    return new ClientError('WRONG_AUD', `The server refused the aud parameter: it must be exactly the server's own FHIR base URL, and ${fhirBase} is not it.${desc} Check --fhir-base: use the FHIR base the server prints at start-up (the same host name — localhost and 127.0.0.1 differ — port, scheme and path, no trailing slash).`, { oauthError: error });
  }
  if (error === 'unauthorized_client' || error === 'invalid_client') {
    return new ClientError('INVALID_CLIENT', `The server does not accept this client (${error}).${desc} Check --client-id and that the app is approved and enabled.`, { oauthError: error });
  }
  return new ClientError('AUTHORIZATION_FAILED', `The authorization failed: ${error}.${desc}`, { oauthError: error });
}

/** Turns whatever openid-client threw during a token request into a ClientError. */
export function tokenError(err: unknown, what: 'exchange' | 'refresh', tokenEndpoint: string, fhirBase: string): ClientError {
  if (err instanceof ClientError) return err;
  if (isNetworkError(err)) return unreachable(tokenEndpoint, err);
  if (err instanceof oidc.AuthorizationResponseError) return authorizationError(err.error, err.error_description, fhirBase);
  if (err instanceof oidc.ResponseBodyError) {
    const desc = err.error_description ? ` The server said: “${err.error_description}”.` : '';
    if (err.error === 'invalid_client' || err.status === 401) {
      return new ClientError(
        'INVALID_CLIENT',
        `The token endpoint did not accept the client's credentials (${err.error}).${desc} Check --client-id; a confidential app needs its secret (--client-secret-stdin), a public app must not send one; the app must be approved and enabled.`,
        { cause: err, status: err.status, oauthError: err.error },
      );
    }
    if (err.error === 'invalid_grant' && what === 'refresh') {
      return new ClientError(
        'TOKEN_EXPIRED_NOT_REFRESHABLE',
        `The saved authorization can no longer be refreshed (invalid_grant).${desc} The refresh token has expired, was revoked, or was used already. Run \`patient-access connect\` again to sign in.`,
        { cause: err, status: err.status, oauthError: err.error },
      );
    }
    if (err.error === 'invalid_scope') {
      return new ClientError('SCOPE_REFUSED', `The server refused the scope (invalid_scope).${desc}`, { cause: err, status: err.status, oauthError: err.error });
    }
    if (err.error === 'invalid_grant') {
      return new ClientError(
        'TOKEN_REQUEST_FAILED',
        `The authorization code was not accepted (invalid_grant).${desc} Codes are single-use and short-lived (60 s on this server): run connect again and finish within a minute; the redirect URI must be the same as in the authorize request.`,
        { cause: err, status: err.status, oauthError: err.error },
      );
    }
    return new ClientError('TOKEN_REQUEST_FAILED', `The token request failed: ${err.error} (HTTP ${err.status}).${desc}`, { cause: err, status: err.status, oauthError: err.error });
  }
  if (err instanceof oidc.ClientError && /state/i.test(err.message)) {
    return new ClientError('STATE_MISMATCH', `The state in the redirect does not match this run's request (${err.message}). Paste the URL of the latest sign-in, started by this run of connect.`, { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ClientError('TOKEN_REQUEST_FAILED', `The token ${what} failed: ${message}`, { cause: err });
}
