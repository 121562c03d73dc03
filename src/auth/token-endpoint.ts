/**
 * @module auth/token-endpoint
 * The token, introspection, revocation and userinfo endpoints. Codes and refresh tokens are kept only as
 * hashes; a reused code or a rotated refresh token revokes the whole grant (RFC 9700 §4.14).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccountRecord, AuthStore, ClientRecord, GrantRecord } from '../store/auth.js';
import type { SearchParameterRegistry } from '../fhir/search/registry.js';
import { ClientAuthError, type ClientAuthenticator } from './client-auth.js';
import { OAuthError } from './errors.js';
import { formBody } from './http.js';
import { formatScopes, isSubset, parseScopes } from './scopes.js';
import { hashToken } from './secrets.js';
import { TokenInvalidError, type TokenService } from './tokens.js';
import type { AuditInput, AuditTrail } from '../admin/audit.js';

const VERIFIER_RE = /^[A-Za-z0-9\-._~]{43,128}$/;

export interface TokenEndpointOptions {
  authStore: AuthStore;
  registry: SearchParameterRegistry;
  tokens: TokenService;
  clientAuth: ClientAuthenticator;
  basePath: string;
  tokenEndpointUrl: string;
  fhirBaseUrl: string;
  practiceId: string;
  smartStyleUrl: string;
  offlineRefreshTtlSeconds: number;
  onlineRefreshTtlSeconds: number;
  audit: AuditTrail;
  now?: () => number;
}

function personRef(account: AccountRecord | undefined, grant: GrantRecord): string {
  return `Person/${account?.personId ?? grant.username}`;
}

export function registerTokenRoutes(app: FastifyInstance, o: TokenEndpointOptions): void {
  const now = o.now ?? Date.now;
  const p = `${o.basePath}/protocol/openid-connect`;

  const send = (reply: FastifyReply, status: number, body: unknown) =>
    reply.code(status).header('content-type', 'application/json').header('cache-control', 'no-store').header('pragma', 'no-cache').send(JSON.stringify(body));

  const sendError = (reply: FastifyReply, err: unknown) => {
    if (err instanceof ClientAuthError) {
      if (err.wwwAuthenticate) reply.header('www-authenticate', err.wwwAuthenticate);
      return send(reply, err.status, { error: err.error, error_description: err.message });
    }
    if (err instanceof OAuthError) {
      for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
      return send(reply, err.status, err.toJSON());
    }
    throw err;
  };

  const authenticate = async (request: FastifyRequest, form: URLSearchParams): Promise<ClientRecord> => {
    const body: Record<string, string | undefined> = {};
    for (const [k, v] of form) {
      if (body[k] !== undefined) throw new OAuthError('invalid_request', `The parameter '${k}' was sent more than once`);
      body[k] = v;
    }
    const { client } = await o.clientAuth.authenticate({
      authorization: request.headers.authorization,
      body,
      tokenEndpointUrl: o.tokenEndpointUrl,
      issuer: o.tokens.settings.issuer,
    });
    return client;
  };

  /** Issues the access token (and refresh and id tokens when granted) for `grant`, with its context. */
  const issue = async (client: ClientRecord, grant: GrantRecord, scope: string, extra: { nonce?: string; authTime?: number }) => {
    const parsed = parseScopes(scope, o.registry);
    const account = await o.authStore.getAccount(grant.username);
    const fhirUser = `${o.fhirBaseUrl}/${personRef(account, grant)}`;
    const { token, claims } = await o.tokens.signAccessToken({
      sub: account?.personId ?? grant.username,
      client_id: client.clientId,
      scope,
      patient: grant.patientId,
      fhirUser,
      sid: grant.grantId,
    });
    const t = now();
    const body: Record<string, unknown> = {
      access_token: token,
      expires_in: claims.exp - claims.iat,
      token_type: 'Bearer',
      'not-before-policy': 0,
      session_state: grant.grantId,
      scope,
    };
    if (parsed.offlineAccess || parsed.onlineAccess) {
      const ttl = parsed.offlineAccess ? o.offlineRefreshTtlSeconds : o.onlineRefreshTtlSeconds;
      const refresh = randomBytes(32).toString('base64url');
      await o.authStore.putRefreshToken(hashToken(refresh), grant.grantId, scope, t, t + ttl * 1000);
      body.refresh_token = refresh;
      body.refresh_expires_in = ttl;
    } else body.refresh_expires_in = 0;
    if (parsed.openid) {
      body.id_token = await o.tokens.signIdToken({
        sub: account?.personId ?? grant.username,
        aud: client.clientId,
        fhirUser,
        nonce: extra.nonce,
        authTime: extra.authTime ?? t,
        name: account?.displayName,
      });
    }
    Object.assign(body, {
      resource: personRef(account, grant),
      patient: grant.patientId,
      need_patient_banner: true,
      practice_id: o.practiceId,
      smart_style_url: o.smartStyleUrl,
      client_type: 'STANDALONE',
      subscription_type: 'PATIENT_ACCESS',
    });
    await o.authStore.touchGrant(grant.grantId, t);
    return { body, jti: claims.jti, account };
  };

  /** Records a token-side event; failures name the OAuth error, never a secret. */
  const record = (request: FastifyRequest, e: Omit<AuditInput, 'category' | 'source'>) =>
    o.audit.record({ category: 'auth', source: request.ip, ...e });
  /** `client` is the authenticated client, when authentication got that far. */
  const recordFailure = (request: FastifyRequest, action: string, err: unknown, client?: ClientRecord) => {
    if (err instanceof ClientAuthError || err instanceof OAuthError) {
      return record(request, { action, outcome: 'failure', status: err.status, clientId: client?.clientId, detail: `${err.error}: ${err.message}` });
    }
    return undefined;
  };

  app.post(`${p}/token`, async (request, reply) => {
    const form = formBody(request);
    const action = form.get('grant_type') === 'refresh_token' ? 'refresh' : 'token';
    let client: ClientRecord | undefined;
    try {
      client = await authenticate(request, form);
      const grantType = form.get('grant_type');
      let issued: Awaited<ReturnType<typeof issue>> & { grant: GrantRecord };
      if (grantType === 'authorization_code') issued = await codeGrant(client, form);
      else if (grantType === 'refresh_token') issued = await refreshGrant(client, form);
      else if (!grantType) throw new OAuthError('invalid_request', 'grant_type is required');
      else throw new OAuthError('unsupported_grant_type', 'Only authorization_code and refresh_token are supported');
      await record(request, {
        action,
        outcome: 'success',
        clientId: client.clientId,
        patientId: issued.grant.patientId,
        username: issued.grant.username,
        personId: issued.account?.personId,
        tokenJti: issued.jti,
      });
      return send(reply, 200, issued.body);
    } catch (err) {
      await recordFailure(request, action, err, client);
      return sendError(reply, err);
    }
  });

  const codeGrant = async (client: ClientRecord, form: URLSearchParams) => {
    const code = form.get('code');
    const verifier = form.get('code_verifier');
    const redirectUri = form.get('redirect_uri');
    if (!code) throw new OAuthError('invalid_request', 'code is required');
    if (!redirectUri) throw new OAuthError('invalid_request', 'redirect_uri is required');
    if (verifier === null) throw new OAuthError('invalid_request', 'code_verifier is required (PKCE)');
    const use = await o.authStore.useCode(hashToken(code), now());
    if (!use.data || !use.grantId) throw new OAuthError('invalid_grant', 'The authorization code is not valid');
    if (!use.consumed && !use.expired) {
      // A code presented twice: someone else may hold it. Everything issued from it stops working.
      await o.authStore.revokeGrant(use.grantId, now());
      o.tokens.clearRevocationCache();
      throw new OAuthError('invalid_grant', 'The authorization code has already been used; the tokens issued from it are revoked');
    }
    if (use.expired) throw new OAuthError('invalid_grant', 'The authorization code has expired');
    const data = use.data as { clientId: string; redirectUri: string; codeChallenge: string; nonce?: string; authTime?: number };
    if (data.clientId !== client.clientId) throw new OAuthError('invalid_grant', 'The authorization code was issued to another client');
    if (data.redirectUri !== redirectUri) throw new OAuthError('invalid_grant', 'redirect_uri does not match the authorization request');
    if (!VERIFIER_RE.test(verifier)) throw new OAuthError('invalid_grant', 'code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~]');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    if (challenge !== data.codeChallenge) throw new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge');
    const grant = await o.authStore.getGrant(use.grantId);
    if (!grant || grant.revokedAt !== null) throw new OAuthError('invalid_grant', 'The authorization has been revoked');
    return { ...(await issue(client, grant, grant.scope, { nonce: data.nonce, authTime: data.authTime })), grant };
  };

  const refreshGrant = async (client: ClientRecord, form: URLSearchParams) => {
    const token = form.get('refresh_token');
    if (!token) throw new OAuthError('invalid_request', 'refresh_token is required');
    const use = await o.authStore.useRefreshToken(hashToken(token), now());
    if (!use.grantId) throw new OAuthError('invalid_grant', 'The refresh token is not valid');
    const grant = await o.authStore.getGrant(use.grantId);
    if (!grant || grant.clientId !== client.clientId) throw new OAuthError('invalid_grant', 'The refresh token is not valid');
    if (!use.rotated && !use.expired) {
      // A rotated refresh token came back: the family is compromised (RFC 9700 §4.14.2).
      await o.authStore.revokeGrant(grant.grantId, now());
      o.tokens.clearRevocationCache();
      throw new OAuthError('invalid_grant', 'The refresh token has already been used; this authorization is revoked');
    }
    if (use.expired) throw new OAuthError('invalid_grant', 'The refresh token has expired');
    if (grant.revokedAt !== null) throw new OAuthError('invalid_grant', 'The authorization has been revoked');
    const status = await o.authStore.grantStatus(grant.grantId);
    if (!status?.clientActive) throw new OAuthError('invalid_grant', 'The client is disabled');
    // A secret rotation (or a disable) cuts off refresh tokens issued before it, like access tokens.
    if ((use.createdAt ?? 0) < status.clientValidAfter) throw new OAuthError('invalid_grant', 'The refresh token was issued before the client’s credentials changed');
    let scope = use.scope ?? grant.scope;
    const asked = form.get('scope');
    if (asked !== null) {
      const requested = parseScopes(asked, o.registry);
      if (requested.invalid.length || !isSubset(requested, parseScopes(scope, o.registry))) {
        throw new OAuthError('invalid_scope', 'A refresh may only keep or narrow the scope that was granted');
      }
      scope = formatScopes(requested);
    }
    return { ...(await issue(client, grant, scope, {})), grant };
  };

  const withClient = (action: string, handler: (client: ClientRecord, form: URLSearchParams, reply: FastifyReply, request: FastifyRequest) => Promise<unknown>) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      let client: ClientRecord | undefined;
      try {
        const form = formBody(request);
        client = await authenticate(request, form);
        return await handler(client, form, reply, request);
      } catch (err) {
        await recordFailure(request, action, err, client);
        return sendError(reply, err);
      }
    };

  /** The grant a token (access or refresh) belongs to, if it is one of ours. */
  const grantOfToken = async (token: string): Promise<{ grant: GrantRecord; kind: 'access' | 'refresh'; exp: number; scope: string } | undefined> => {
    if (token.split('.').length === 3) {
      try {
        const claims = await o.tokens.verifyAccessToken(token);
        const grant = await o.authStore.getGrant(claims.sid);
        return grant ? { grant, kind: 'access', exp: claims.exp, scope: claims.scope } : undefined;
      } catch (err) {
        if (err instanceof TokenInvalidError) return undefined;
        throw err;
      }
    }
    const r = await o.authStore.refreshTokenGrant(hashToken(token));
    if (!r || r.rotated || r.expiresAt < now()) return undefined;
    const grant = await o.authStore.getGrant(r.grantId);
    if (!grant || grant.revokedAt !== null) return undefined;
    return { grant, kind: 'refresh', exp: Math.floor(r.expiresAt / 1000), scope: r.scope };
  };

  app.post(
    `${p}/token/introspect`,
    withClient('introspect', async (client, form, reply, request) => {
      const token = form.get('token');
      if (!token) throw new OAuthError('invalid_request', 'token is required');
      const found = await grantOfToken(token);
      // A client learns only about its own tokens.
      const active = !!found && found.grant.clientId === client.clientId;
      await record(request, { action: 'introspect', outcome: 'success', clientId: client.clientId, patientId: active ? found.grant.patientId : undefined, detail: `active=${active}` });
      if (!found || !active) return send(reply, 200, { active: false });
      const account = await o.authStore.getAccount(found.grant.username);
      return send(reply, 200, {
        active: true,
        scope: found.scope,
        client_id: found.grant.clientId,
        exp: found.exp,
        patient: found.grant.patientId,
        iss: o.tokens.settings.issuer,
        sub: account?.personId ?? found.grant.username,
        fhirUser: `${o.fhirBaseUrl}/${personRef(account, found.grant)}`,
        token_type: found.kind === 'access' ? 'Bearer' : 'refresh_token',
      });
    }),
  );

  app.post(
    `${p}/revoke`,
    withClient('revoke', async (client, form, reply, request) => {
      const token = form.get('token');
      if (!token) throw new OAuthError('invalid_request', 'token is required');
      const found = await grantOfToken(token);
      const own = !!found && found.grant.clientId === client.clientId;
      if (own) {
        await o.authStore.revokeGrant(found.grant.grantId, now());
        o.tokens.clearRevocationCache();
      }
      await record(request, { action: 'revoke', outcome: 'success', clientId: client.clientId, patientId: own ? found.grant.patientId : undefined, detail: own ? 'revoked' : 'not a token of this client' });
      // RFC 7009 §2.2: the answer is the same whether or not the token was valid.
      return send(reply, 200, {});
    }),
  );

  const userinfo = async (request: FastifyRequest, reply: FastifyReply) => {
    const m = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/.exec(request.headers.authorization ?? '');
    const fail = (description: string) =>
      reply
        .code(401)
        .header('www-authenticate', `Bearer realm="patient-access", error="invalid_token", error_description="${description}"`)
        .header('cache-control', 'no-store')
        .send({ error: 'invalid_token', error_description: description });
    if (!m) return fail('A bearer access token is required');
    try {
      const claims = await o.tokens.verifyAccessToken(m[1]);
      const grant = await o.authStore.getGrant(claims.sid);
      const account = grant ? await o.authStore.getAccount(grant.username) : undefined;
      return send(reply, 200, { sub: claims.sub, fhirUser: claims.fhirUser, ...(account ? { name: account.displayName, preferred_username: account.username } : {}) });
    } catch (err) {
      if (err instanceof TokenInvalidError) return fail(err.message);
      throw err;
    }
  };
  app.get(`${p}/userinfo`, userinfo);
  app.post(`${p}/userinfo`, userinfo);
}
