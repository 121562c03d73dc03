/**
 * @module client/tokens
 * A `TokenSet` keeps the tokens of one authorization with their expiry times and refreshes the access
 * token when less than a minute is left; a `TokenFile` keeps them between runs in a file only the user
 * can read (mode 0600), keyed by FHIR base and client id.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ClientError } from './errors.js';
import type { SmartClient, TokenResponse } from './smart.js';

/** What is saved of one authorization. Times are epoch milliseconds. */
export interface SavedTokens {
  fhirBase: string;
  clientId: string;
  /** A confidential client's secret, kept so that later runs can refresh (the file is 0600). */
  clientSecret?: string;
  /** An asymmetric client's private key (a JWK file) used for refreshes. */
  privateKeyFile?: string;
  accessToken: string;
  tokenType: string;
  /** When the access token expires. */
  expiresAt: number;
  refreshToken?: string;
  /** When the refresh token expires (undefined: unknown or never). */
  refreshExpiresAt?: number;
  idToken?: string;
  scope: string;
  patient?: string;
  encounter?: string;
  /** The signed-in account (`Person/…`), SMART's `resource` / fhirUser. */
  resource?: string;
  obtainedAt: number;
  /** The other fields of the last token response (need_patient_banner, smart_style_url, …). */
  context?: Record<string, unknown>;
}

const KNOWN = new Set(['access_token', 'token_type', 'expires_in', 'refresh_token', 'refresh_expires_in', 'id_token', 'scope', 'patient', 'encounter', 'resource']);

/** The saved form of a token response (a refresh keeps what it does not replace). */
export function tokensFromResponse(r: TokenResponse, base: Pick<SavedTokens, 'fhirBase' | 'clientId' | 'clientSecret' | 'privateKeyFile'>, previous?: SavedTokens, now = Date.now()): SavedTokens {
  const context: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) if (!KNOWN.has(k) && typeof v !== 'function') context[k] = v;
  const expiresIn = typeof r.expires_in === 'number' ? r.expires_in : Number(r.expires_in ?? 3600);
  const refreshIn = typeof r.refresh_expires_in === 'number' ? r.refresh_expires_in : undefined;
  const refreshToken = r.refresh_token ?? previous?.refreshToken;
  return {
    ...base,
    accessToken: r.access_token,
    tokenType: r.token_type ?? 'bearer',
    expiresAt: now + expiresIn * 1000,
    refreshToken,
    refreshExpiresAt: r.refresh_token ? (refreshIn ? now + refreshIn * 1000 : undefined) : previous?.refreshExpiresAt,
    idToken: r.id_token ?? previous?.idToken,
    scope: r.scope ?? previous?.scope ?? '',
    patient: (r.patient as string | undefined) ?? previous?.patient,
    encounter: (r.encounter as string | undefined) ?? previous?.encounter,
    resource: (r.resource as string | undefined) ?? previous?.resource,
    obtainedAt: now,
    context: { ...(previous?.context ?? {}), ...context },
  };
}

export interface TokenSetOptions {
  /** Refresh when less than this is left (default 60 s). */
  refreshMarginMs?: number;
  /** Called after every refresh, e.g. to save the new tokens. */
  onRefresh?: (tokens: SavedTokens) => void | Promise<void>;
  now?: () => number;
}

/** The tokens of one authorization, refreshed when needed. */
export class TokenSet {
  #tokens: SavedTokens;
  #refreshing: Promise<SavedTokens> | undefined;
  readonly #margin: number;
  readonly #now: () => number;
  /** How many refreshes this set has made (for reporting and tests). */
  refreshCount = 0;

  constructor(
    tokens: SavedTokens,
    private readonly client: SmartClient | (() => Promise<SmartClient>),
    private readonly options: TokenSetOptions = {},
  ) {
    this.#tokens = tokens;
    this.#margin = options.refreshMarginMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  get tokens(): SavedTokens {
    return this.#tokens;
  }
  get patient(): string | undefined {
    return this.#tokens.patient;
  }
  get scope(): string {
    return this.#tokens.scope;
  }
  /** Seconds the access token has left (negative when expired). */
  get expiresIn(): number {
    return Math.floor((this.#tokens.expiresAt - this.#now()) / 1000);
  }
  get refreshable(): boolean {
    const t = this.#tokens;
    return !!t.refreshToken && (t.refreshExpiresAt === undefined || t.refreshExpiresAt > this.#now());
  }

  /** A valid access token: the current one, or a refreshed one when it has less than a minute left. */
  async getAccessToken(): Promise<string> {
    if (this.#tokens.expiresAt - this.#now() > this.#margin) return this.#tokens.accessToken;
    return (await this.refresh()).accessToken;
  }

  /** Refreshes now (one refresh at a time; concurrent callers share it). */
  refresh(): Promise<SavedTokens> {
    this.#refreshing ??= this.#doRefresh().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #doRefresh(): Promise<SavedTokens> {
    const t = this.#tokens;
    if (!this.refreshable) {
      throw new ClientError(
        'TOKEN_EXPIRED_NOT_REFRESHABLE',
        t.refreshToken
          ? 'The access token has expired and so has the refresh token. Run `patient-access connect` again to sign in.'
          : 'The access token has expired and there is no refresh token (ask for offline_access or online_access to get one). Run `patient-access connect` again to sign in.',
      );
    }
    const client = typeof this.client === 'function' ? await this.client() : this.client;
    const response = await client.refresh(t.refreshToken as string);
    this.#tokens = tokensFromResponse(response, { fhirBase: t.fhirBase, clientId: t.clientId, clientSecret: t.clientSecret, privateKeyFile: t.privateKeyFile }, t, this.#now());
    this.refreshCount++;
    await this.options.onRefresh?.(this.#tokens);
    return this.#tokens;
  }
}

/** Where tokens are saved unless told otherwise: `$PATIENT_ACCESS_TOKEN_FILE`, else `$XDG_CONFIG_HOME` or `~/.config`. */
export function defaultTokenFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PATIENT_ACCESS_TOKEN_FILE) return env.PATIENT_ACCESS_TOKEN_FILE;
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(config, 'patient-access', 'tokens.json');
}

export function tokenKey(fhirBase: string, clientId: string): string {
  return `${fhirBase.replace(/\/+$/, '')} ${clientId}`;
}

/** The saved authorizations of this user, in one JSON file of mode 0600 (its folder 0700). */
export class TokenFile {
  constructor(readonly path: string) {}

  #readAll(): Record<string, SavedTokens> {
    if (!existsSync(this.path)) return {};
    try {
      const parsed = JSON.parse(readFileSync(this.path, 'utf8')) as { version?: number; tokens?: Record<string, SavedTokens> };
      return parsed.tokens ?? {};
    } catch {
      throw new ClientError('NOT_CONNECTED', `The token file ${this.path} is not readable JSON. Delete it and run \`patient-access connect\` again.`);
    }
  }

  get(fhirBase: string, clientId: string): SavedTokens | undefined {
    return this.#readAll()[tokenKey(fhirBase, clientId)];
  }

  save(tokens: SavedTokens): void {
    const all = this.#readAll();
    all[tokenKey(tokens.fhirBase, tokens.clientId)] = tokens;
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ version: 1, tokens: all }, null, 2) + '\n', { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.path);
  }

  delete(fhirBase: string, clientId: string): void {
    const all = this.#readAll();
    if (!(tokenKey(fhirBase, clientId) in all)) return;
    delete all[tokenKey(fhirBase, clientId)];
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ version: 1, tokens: all }, null, 2) + '\n', { mode: 0o600 });
    renameSync(tmp, this.path);
  }
}
