/**
 * @module admin/registrations
 * Developer registration input (SPEC §9, issue 4): validation into per-field errors in plain words, the
 * redirect-URI rules shared with `clients set-redirects`, the JWKS rules for asymmetric clients, and
 * submission (validate, then store — nothing is stored when any field is wrong).
 */
import { createPublicKey } from 'node:crypto';
import { z } from 'zod';
import type { ClientType } from '../store/auth.js';
import { RegistrationStore, type RegistrationInput } from '../store/registrations.js';
import type { SqlExecutor } from '../store/types.js';

export interface FieldError {
  /** The input's name, e.g. `redirect_uris`. */
  field: string;
  message: string;
}

export const CLIENT_TYPES: readonly ClientType[] = ['confidential', 'public', 'asymmetric'];

/** The fields of a registration, in the order of the form. */
export const REGISTRATION_FIELDS = [
  'contact_email',
  'organization_name',
  'organization_description',
  'application_name',
  'use_case',
  'redirect_uris',
  'client_type',
  'jwks_uri',
  'jwks',
] as const;
export type RegistrationField = (typeof REGISTRATION_FIELDS)[number];

export const LIMITS = {
  name: 200,
  description: 4000,
  email: 254,
  uri: 2000,
  redirectUris: 10,
  jwksBytes: 64 * 1024,
  jwksKeys: 20,
} as const;

/** Thrown by functions that validate admin input (e.g. `set-redirects`); carries the field errors. */
export class ValidationError extends Error {
  readonly code = 'ADMIN_ERR_INVALID';
  constructor(readonly errors: FieldError[]) {
    super(errors.map((e) => `${e.field}: ${e.message}`).join('; '));
    this.name = 'ValidationError';
  }
}

// ---- redirect URIs -------------------------------------------------------------------------------

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function shown(value: string): string {
  return value.length > 80 ? `${value.slice(0, 77)}…` : value;
}

/**
 * Why `uri` cannot be a redirect URI, or undefined when it can: absolute, at most 2000 characters,
 * https — or plain http to a loopback address (`127.0.0.1`, `[::1]`, `localhost`) for native apps
 * (RFC 8252) — without a query, a fragment or user credentials.
 */
export function redirectUriProblem(uri: string): string | undefined {
  if (uri.length > LIMITS.uri) return `is longer than ${LIMITS.uri} characters`;
  if (CONTROL.test(uri) || /\s/.test(uri)) return 'must not contain spaces or control characters';
  if (uri.includes('#')) return 'must not contain a fragment (#…)';
  if (uri.includes('?')) return 'must not contain a query string (?…); register the address without parameters';
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'is not an absolute URL (it must start with https://)';
  }
  if (url.username || url.password) return 'must not contain a user name or password';
  if (url.protocol === 'https:') return url.hostname ? undefined : 'has no host name';
  if (url.protocol === 'http:') {
    return LOOPBACK_HOSTS.has(url.hostname)
      ? undefined
      : 'must use https (plain http is allowed only for loopback addresses such as http://127.0.0.1:PORT/callback, for native apps)';
  }
  return `uses ${url.protocol.replace(/:$/, '')}: only https (or http to a loopback address) is allowed`;
}

/** Checks a list of redirect URIs; returns the cleaned, de-duplicated list and the errors of `field`. */
export function checkRedirectUris(value: unknown, field = 'redirect_uris'): { uris: string[]; errors: FieldError[] } {
  const errors: FieldError[] = [];
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) {
    return { uris: [], errors: [{ field, message: 'Give at least one redirect URI (the address the app receives the sign-in result at)' }] };
  }
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    return { uris: [], errors: [{ field, message: 'Must be a list of URLs' }] };
  }
  const uris = [...new Set((value as string[]).map((v) => v.trim()).filter(Boolean))];
  if (!uris.length) return { uris, errors: [{ field, message: 'Give at least one redirect URI (the address the app receives the sign-in result at)' }] };
  if (uris.length > LIMITS.redirectUris) errors.push({ field, message: `At most ${LIMITS.redirectUris} redirect URIs may be registered` });
  for (const uri of uris) {
    const problem = redirectUriProblem(uri);
    if (problem) errors.push({ field, message: `"${shown(uri)}" ${problem}` });
  }
  return { uris, errors };
}

// ---- JWKS ------------------------------------------------------------------------------------------

/** Members that only a private (or symmetric) key has. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** Why a JWK cannot verify RS384 / ES384 client assertions, or undefined when it can. */
function keyProblem(key: Record<string, unknown>): string | undefined {
  const use = key.use;
  if (use !== undefined && use !== 'sig') return `is for "${String(use)}", not for signatures`;
  const alg = key.alg;
  if (key.kty === 'RSA') {
    if (alg !== undefined && alg !== 'RS384') return `is for ${String(alg)}; RSA keys must be usable for RS384`;
    if (typeof key.n !== 'string' || typeof key.e !== 'string') return 'is an RSA key without "n" and "e"';
  } else if (key.kty === 'EC') {
    if (alg !== undefined && alg !== 'ES384') return `is for ${String(alg)}; EC keys must be usable for ES384`;
    if (key.crv !== 'P-384') return `is on curve ${String(key.crv)}; ES384 needs P-384`;
    if (typeof key.x !== 'string' || typeof key.y !== 'string') return 'is an EC key without "x" and "y"';
  } else {
    return `has key type ${JSON.stringify(key.kty ?? null)}; only RSA and EC keys are accepted`;
  }
  try {
    const pub = createPublicKey({ key: key as unknown as import('node:crypto').JsonWebKey, format: 'jwk' });
    if (key.kty === 'RSA' && (pub.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) return 'is an RSA key shorter than 2048 bits';
  } catch {
    return 'is not a valid public key';
  }
  return undefined;
}

/**
 * Checks a JSON Web Key Set (as JSON text or an object): at least one public RSA key (≥ 2048 bits, for
 * RS384) or P-384 EC key (for ES384), and no private key material anywhere. Returns its JSON text.
 */
export function checkJwks(value: unknown, field = 'jwks'): { jwks?: string; errors: FieldError[] } {
  const fail = (message: string) => ({ errors: [{ field, message }] });
  let set: unknown = value;
  if (typeof value === 'string') {
    if (Buffer.byteLength(value) > LIMITS.jwksBytes) return fail(`The JWKS is larger than ${LIMITS.jwksBytes / 1024} KB`);
    try {
      set = JSON.parse(value);
    } catch {
      return fail('The JWKS is not valid JSON');
    }
  }
  if (typeof set !== 'object' || set === null || Array.isArray(set) || !Array.isArray((set as { keys?: unknown }).keys)) {
    return fail('The JWKS must be a JSON object with a "keys" list (a JSON Web Key Set)');
  }
  const text = JSON.stringify(set);
  if (Buffer.byteLength(text) > LIMITS.jwksBytes) return fail(`The JWKS is larger than ${LIMITS.jwksBytes / 1024} KB`);
  const keys = (set as { keys: unknown[] }).keys;
  if (!keys.length) return fail('The JWKS has no keys');
  if (keys.length > LIMITS.jwksKeys) return fail(`The JWKS has more than ${LIMITS.jwksKeys} keys`);
  const errors: FieldError[] = [];
  let usable = 0;
  keys.forEach((k, i) => {
    if (typeof k !== 'object' || k === null || Array.isArray(k)) {
      errors.push({ field, message: `Key ${i + 1} is not a JSON object` });
      return;
    }
    const priv = PRIVATE_MEMBERS.filter((m) => m in k);
    if (priv.length) {
      errors.push({ field, message: `Key ${i + 1} contains private key material (${priv.map((m) => `"${m}"`).join(', ')}); publish only public keys` });
      return;
    }
    if (!keyProblem(k as Record<string, unknown>)) usable++;
  });
  if (!errors.length && !usable) {
    const first = keyProblem(keys[0] as Record<string, unknown>);
    errors.push({
      field,
      message: `The JWKS needs at least one public RSA key of 2048 bits or more (RS384) or P-384 EC key (ES384)${first ? `; key 1 ${first}` : ''}`,
    });
  }
  return errors.length ? { errors } : { jwks: text, errors };
}

/** Why `uri` cannot be a JWKS URL (https, absolute, no fragment, no credentials), or undefined. */
export function jwksUriProblem(uri: string): string | undefined {
  if (uri.length > LIMITS.uri) return `is longer than ${LIMITS.uri} characters`;
  if (CONTROL.test(uri) || /\s/.test(uri)) return 'must not contain spaces or control characters';
  if (uri.includes('#')) return 'must not contain a fragment (#…)';
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'is not an absolute URL (it must start with https://)';
  }
  if (url.protocol !== 'https:') return 'must use https';
  if (url.username || url.password) return 'must not contain a user name or password';
  return undefined;
}

// ---- the registration ------------------------------------------------------------------------------

const FIELD_LABELS: Record<RegistrationField, string> = {
  contact_email: 'Contact e-mail',
  organization_name: 'Organization name',
  organization_description: 'Organization description',
  application_name: 'Application name',
  use_case: 'Use case',
  redirect_uris: 'Redirect URIs',
  client_type: 'Client type',
  jwks_uri: 'JWKS URL',
  jwks: 'JWKS',
};

const requiredText = (label: string, max: number, multiline: boolean) =>
  z
    .string({ error: (iss) => (iss.input === undefined || iss.input === null ? `${label} is required` : `${label} must be text`) })
    .trim()
    .min(1, `${label} is required`)
    .max(max, `${label} must be at most ${max} characters`)
    .refine((v) => !(multiline ? /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/ : CONTROL).test(v), `${label} must not contain control characters${multiline ? '' : ' or line breaks'}`);

const SCHEMAS = {
  contact_email: z
    .string({ error: (iss) => (iss.input === undefined || iss.input === null ? 'Contact e-mail is required' : 'Contact e-mail must be text') })
    .trim()
    .min(1, 'Contact e-mail is required')
    .max(LIMITS.email, `Contact e-mail must be at most ${LIMITS.email} characters`)
    .pipe(z.email({ error: 'Contact e-mail is not a valid e-mail address (like name@example.com)' })),
  organization_name: requiredText(FIELD_LABELS.organization_name, LIMITS.name, false),
  organization_description: requiredText(FIELD_LABELS.organization_description, LIMITS.description, true),
  application_name: requiredText(FIELD_LABELS.application_name, LIMITS.name, false),
  use_case: requiredText(FIELD_LABELS.use_case, LIMITS.description, true),
  client_type: z.enum(['confidential', 'public', 'asymmetric'], {
    error: (iss) =>
      iss.input === undefined || iss.input === null || iss.input === ''
        ? 'Choose a client type: confidential, public or asymmetric'
        : 'Client type must be confidential, public or asymmetric',
  }),
} as const;

const blank = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

export type ParsedRegistration = { ok: true; value: RegistrationInput } | { ok: false; errors: FieldError[] };

/**
 * Validates a registration (JSON body or converted form) into `RegistrationInput` or per-field errors,
 * in the order of the form. Unknown fields are refused so that a misspelt one (`redirect_uri`) is not
 * silently ignored.
 */
export function parseRegistration(raw: unknown): ParsedRegistration {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, errors: [{ field: 'body', message: 'The body must be a JSON object with the registration fields' }] };
  }
  const input = raw as Record<string, unknown>;
  const errors: FieldError[] = [];
  const out: Partial<Record<keyof typeof SCHEMAS, string>> = {};
  for (const field of Object.keys(SCHEMAS) as (keyof typeof SCHEMAS)[]) {
    if (field === 'client_type') continue;
    const r = SCHEMAS[field].safeParse(input[field]);
    if (r.success) out[field] = r.data;
    else errors.push({ field, message: r.error.issues[0]?.message ?? `${FIELD_LABELS[field]} is not valid` });
  }
  const redirects = checkRedirectUris(input.redirect_uris);
  errors.push(...redirects.errors);
  const type = SCHEMAS.client_type.safeParse(input.client_type);
  if (!type.success) errors.push({ field: 'client_type', message: type.error.issues[0]?.message ?? 'Client type is not valid' });

  let jwksUri: string | null = null;
  let jwks: string | null = null;
  const hasUri = !blank(input.jwks_uri);
  const hasJwks = !blank(input.jwks);
  if (type.success && type.data === 'asymmetric') {
    if (hasUri && hasJwks) {
      errors.push({ field: 'jwks', message: 'Give either a JWKS URL or an inline JWKS, not both' });
    } else if (!hasUri && !hasJwks) {
      errors.push({ field: 'jwks_uri', message: 'An asymmetric client needs a JWKS URL or an inline JWKS' });
    } else if (hasUri) {
      if (typeof input.jwks_uri !== 'string') errors.push({ field: 'jwks_uri', message: 'JWKS URL must be text' });
      else {
        const uri = input.jwks_uri.trim();
        const problem = jwksUriProblem(uri);
        if (problem) errors.push({ field: 'jwks_uri', message: `JWKS URL ${problem}` });
        else jwksUri = uri;
      }
    } else {
      const checked = checkJwks(input.jwks);
      errors.push(...checked.errors);
      jwks = checked.jwks ?? null;
    }
  } else if (type.success) {
    if (hasUri) errors.push({ field: 'jwks_uri', message: 'Leave the JWKS URL empty unless the client type is asymmetric' });
    if (hasJwks) errors.push({ field: 'jwks', message: 'Leave the JWKS empty unless the client type is asymmetric' });
  }
  for (const key of Object.keys(input)) {
    if (!(REGISTRATION_FIELDS as readonly string[]).includes(key)) {
      errors.push({ field: key, message: key === 'redirect_uri' ? 'Unknown field; did you mean redirect_uris (a list)?' : 'Unknown field: not part of a registration' });
    }
  }
  if (errors.length) {
    const order = (f: string) => {
      const i = (REGISTRATION_FIELDS as readonly string[]).indexOf(f);
      return i < 0 ? REGISTRATION_FIELDS.length : i;
    };
    return { ok: false, errors: errors.map((e, i) => ({ e, i })).sort((a, b) => order(a.e.field) - order(b.e.field) || a.i - b.i).map(({ e }) => e) };
  }
  return {
    ok: true,
    value: {
      contactEmail: out.contact_email!,
      organizationName: out.organization_name!,
      organizationDescription: out.organization_description!,
      applicationName: out.application_name!,
      useCase: out.use_case!,
      redirectUris: redirects.uris,
      clientType: type.data as ClientType,
      jwksUri,
      jwks,
    },
  };
}

/**
 * A form body as registration input: `redirect_uris` from a textarea (one per line) and/or repeated
 * fields; other fields as their single value. `skip` names fields that are not part of the
 * registration (the form's `csrf`).
 */
export function registrationFromForm(form: URLSearchParams, skip: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of new Set(form.keys())) {
    if (skip.includes(key)) continue;
    if (key === 'redirect_uris' || key === 'redirect_uris[]') {
      const lines = form.getAll(key).flatMap((v) => v.split(/\r\n|\r|\n/));
      out.redirect_uris = [...((out.redirect_uris as string[] | undefined) ?? []), ...lines.map((l) => l.trim()).filter(Boolean)];
      continue;
    }
    const values = form.getAll(key);
    out[key] = values.length === 1 ? values[0] : values;
  }
  return out;
}

/** The status page of a registration, with its secret key. */
export function statusPath(reference: string, statusSecret: string): string {
  return `/developers/registrations/${encodeURIComponent(reference)}?key=${encodeURIComponent(statusSecret)}`;
}

export interface Submitted {
  reference: string;
  status: 'pending';
  statusSecret: string;
  /** Absolute status URL (with the key). */
  statusUrl: string;
  statusPath: string;
}

/** Validates and stores a registration; on any error nothing is stored and the errors are returned. */
export async function submitRegistration(
  sql: SqlExecutor,
  raw: unknown,
  publicUrl: string,
  now = Date.now(),
): Promise<{ ok: true; submitted: Submitted } | { ok: false; errors: FieldError[] }> {
  const parsed = parseRegistration(raw);
  if (!parsed.ok) return parsed;
  const { reference, statusSecret } = await new RegistrationStore(sql).create(parsed.value, now);
  const path = statusPath(reference, statusSecret);
  return { ok: true, submitted: { reference, status: 'pending', statusSecret, statusUrl: publicUrl.replace(/\/+$/, '') + path, statusPath: path } };
}
