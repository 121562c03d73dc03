/**
 * @module config
 * Settings from the environment (and CLI flags), validated once at start-up. Everything else receives a
 * frozen `Settings` object and never reads `process.env` itself.
 */
import { resolve } from 'node:path';
import { z } from 'zod';

const DEFAULT_PORT = 8080;

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(DEFAULT_PORT),
  HOST: z.string().min(1).default('0.0.0.0'),
  PUBLIC_URL: z.string().url().optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  REALM: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _ only').default('patient-access'),
  DEMO_PASSWORD: z.string().min(10, 'must be at least 10 characters').default('Demo-Passw0rd!'),
  NODE_ENV: z.string().default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: z.string().min(1).default('loopback'),
  RATE_LIMIT_API: z.coerce.number().int().min(0).default(600),
  RATE_LIMIT_AUTH: z.coerce.number().int().min(0).default(60),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(16 * 1024 * 1024),
  PRACTICE_NAME: z.string().min(1).max(200).default('Solana Beach Family Medicine'),
  PRACTICE_ID: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).default('1673497'),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(86400).default(900),
  OFFLINE_REFRESH_TTL_DAYS: z.coerce.number().int().min(90).max(3650).default(90),
  ONLINE_REFRESH_TTL_HOURS: z.coerce.number().int().min(1).max(720).default(12),
});

export interface Settings {
  readonly port: number;
  readonly host: string;
  /** Externally visible origin, without a trailing slash: every absolute URL starts with it. */
  readonly publicUrl: string;
  /** `${publicUrl}/api/fhir/r4`: the FHIR base and the `aud` of tokens. */
  readonly fhirBaseUrl: string;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly realm: string;
  readonly demoPassword: string;
  readonly production: boolean;
  readonly logLevel: string;
  /** Which proxies' X-Forwarded-For to believe: `loopback` (default), `true`, `false`, or addresses/CIDRs. */
  readonly trustProxy: boolean | string | string[];
  readonly rateLimitApi: number;
  readonly rateLimitAuth: number;
  readonly maxBodyBytes: number;
  readonly practiceName: string;
  readonly practiceId: string;
  /** `${publicUrl}/auth/realms/${realm}`: the OpenID issuer. */
  readonly issuer: string;
  readonly accessTokenTtlSeconds: number;
  /** Lifetime of refresh tokens issued with offline_access (at least 90 days). */
  readonly offlineRefreshTtlSeconds: number;
  /** Lifetime of refresh tokens issued with online_access. */
  readonly onlineRefreshTtlSeconds: number;
}

export const FHIR_BASE_PATH = '/api/fhir/r4';

function parseTrustProxy(value: string): boolean | string | string[] {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value.includes(',') ? value.split(',').map((v) => v.trim()) : value;
}

/** Thrown when the environment holds a value that cannot be used; the message names the variable. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_ERR_INVALID';
}

/**
 * Reads and validates settings. `overrides` (from CLI flags) win over the environment.
 * @throws ConfigError naming every invalid variable.
 */
export function loadSettings(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<Record<keyof z.input<typeof EnvSchema>, string>> = {},
): Settings {
  const raw: Record<string, string | undefined> = {};
  for (const key of Object.keys(EnvSchema.shape)) {
    const value = overrides[key as keyof typeof overrides] ?? env[key];
    // An empty variable means "not set", as shells make it easy to export one by accident.
    raw[key] = value === '' ? undefined : value;
  }
  const parsed = EnvSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid settings: ${problems}`);
  }
  const e = parsed.data;
  if (e.PORT === 0 && !e.PUBLIC_URL) {
    // The public address is in tokens, links and the discovery documents before the server listens.
    throw new ConfigError('Invalid settings: PORT: 0 (any free port) needs PUBLIC_URL, the address clients reach the server at');
  }
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    publicUrl,
    fhirBaseUrl: publicUrl + FHIR_BASE_PATH,
    dataDir: resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    realm: e.REALM,
    demoPassword: e.DEMO_PASSWORD,
    production: e.NODE_ENV === 'production',
    logLevel: e.LOG_LEVEL,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    rateLimitApi: e.RATE_LIMIT_API,
    rateLimitAuth: e.RATE_LIMIT_AUTH,
    maxBodyBytes: e.MAX_BODY_BYTES,
    practiceName: e.PRACTICE_NAME,
    practiceId: e.PRACTICE_ID,
    issuer: `${publicUrl}/auth/realms/${e.REALM}`,
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
    offlineRefreshTtlSeconds: e.OFFLINE_REFRESH_TTL_DAYS * 86400,
    onlineRefreshTtlSeconds: e.ONLINE_REFRESH_TTL_HOURS * 3600,
  });
}
