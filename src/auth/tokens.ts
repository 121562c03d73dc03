/**
 * @module auth/tokens
 * Access tokens (RFC 9068 JWTs) and id_tokens: signing, and verification with a cache. A verified token
 * is remembered until it expires, but its grant's revocation state is re-read at least every
 * `REVOCATION_RECHECK_MS`, so a revocation anywhere takes effect within a second on every process.
 */
import { randomUUID } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify, SignJWT, errors as joseErrors } from 'jose';
import type { AuthStore } from '../store/auth.js';
import { SIGNING_ALG, type KeyRing } from './keys.js';

export const REVOCATION_RECHECK_MS = 500;
const MAX_CACHED_TOKENS = 50_000;

export interface AccessClaims {
  iss: string;
  aud: string;
  sub: string;
  client_id: string;
  scope: string;
  patient: string;
  fhirUser: string;
  /** The grant (consent) the token was issued under: revoking it revokes the token. */
  sid: string;
  jti: string;
  iat: number;
  exp: number;
}

export class TokenInvalidError extends Error {
  readonly code = 'AUTH_ERR_TOKEN_INVALID';
  /** The claims of a token this server did sign but that is no longer valid (expired, revoked), for the audit trail. */
  constructor(
    message: string,
    readonly claims?: AccessClaims,
  ) {
    super(message);
  }
}

export interface TokenSettings {
  issuer: string;
  audience: string;
  accessTokenTtlSeconds: number;
}

export class TokenService {
  readonly #verified = new Map<string, AccessClaims>();
  readonly #grantChecks = new Map<string, { at: number; ok: boolean }>();

  constructor(
    private readonly keys: KeyRing,
    private readonly store: AuthStore,
    readonly settings: TokenSettings,
    private readonly now: () => number = Date.now,
  ) {}

  async signAccessToken(claims: Omit<AccessClaims, 'iss' | 'aud' | 'jti' | 'iat' | 'exp'>): Promise<{ token: string; claims: AccessClaims }> {
    const iat = Math.floor(this.now() / 1000);
    const full: AccessClaims = {
      ...claims,
      iss: this.settings.issuer,
      aud: this.settings.audience,
      jti: randomUUID(),
      iat,
      exp: iat + this.settings.accessTokenTtlSeconds,
    };
    const { kid, key } = await this.keys.signingKey();
    const token = await new SignJWT({ ...full }).setProtectedHeader({ alg: SIGNING_ALG, kid, typ: 'at+jwt' }).sign(key);
    return { token, claims: full };
  }

  async signIdToken(claims: { sub: string; aud: string; fhirUser: string; nonce?: string; authTime: number; name?: string }): Promise<string> {
    const iat = Math.floor(this.now() / 1000);
    const { kid, key } = await this.keys.signingKey();
    return new SignJWT({
      fhirUser: claims.fhirUser,
      auth_time: Math.floor(claims.authTime / 1000),
      ...(claims.nonce ? { nonce: claims.nonce } : {}),
      ...(claims.name ? { name: claims.name } : {}),
    })
      .setProtectedHeader({ alg: SIGNING_ALG, kid, typ: 'JWT' })
      .setIssuer(this.settings.issuer)
      .setSubject(claims.sub)
      .setAudience(claims.aud)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.settings.accessTokenTtlSeconds)
      .sign(key);
  }

  /**
   * Verifies signature, type, issuer, audience, expiry and revocation.
   * @throws TokenInvalidError with a message safe to show the client.
   */
  async verifyAccessToken(token: string): Promise<AccessClaims> {
    const nowSeconds = this.now() / 1000;
    let claims = this.#verified.get(token);
    if (!claims) {
      claims = await this.#verifySignature(token);
      if (this.#verified.size >= MAX_CACHED_TOKENS) this.#verified.clear();
      this.#verified.set(token, claims);
    }
    if (claims.exp <= nowSeconds) {
      this.#verified.delete(token);
      throw new TokenInvalidError('The access token has expired', claims);
    }
    if (!(await this.#grantActive(claims))) throw new TokenInvalidError('The access token has been revoked', claims);
    return claims;
  }

  async #verifySignature(token: string): Promise<AccessClaims> {
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      throw new TokenInvalidError('The access token is malformed');
    }
    const key = kid ? await this.keys.verificationKey(kid) : undefined;
    if (!key) throw new TokenInvalidError('The access token was not signed by this server');
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: [SIGNING_ALG],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        typ: 'at+jwt',
        currentDate: new Date(this.now()),
        requiredClaims: ['exp', 'iat', 'jti', 'sub', 'client_id', 'scope', 'sid'],
      });
      return payload as unknown as AccessClaims;
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new TokenInvalidError('The access token has expired');
      throw new TokenInvalidError('The access token is not valid for this server');
    }
  }

  /**
   * The grant is not revoked, its client is active, and the token was issued after the client's cut-off
   * (a disabled client or a rotated secret). Cached per token for at most REVOCATION_RECHECK_MS.
   */
  async #grantActive(claims: AccessClaims): Promise<boolean> {
    const now = this.now();
    const key = `${claims.jti}|${claims.sid}`;
    const cached = this.#grantChecks.get(key);
    if (cached && now - cached.at < REVOCATION_RECHECK_MS) return cached.ok;
    const status = await this.store.grantStatus(claims.sid);
    const ok = !!status && !status.revoked && status.clientActive && claims.iat * 1000 >= status.clientValidAfter;
    if (this.#grantChecks.size > MAX_CACHED_TOKENS) this.#grantChecks.clear();
    this.#grantChecks.set(key, { at: now, ok });
    return ok;
  }

  /** Forgets cached revocation state (the process that revoked a grant need not wait for the recheck). */
  clearRevocationCache(): void {
    this.#grantChecks.clear();
  }
}
