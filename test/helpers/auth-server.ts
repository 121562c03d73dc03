/**
 * A real server with the authorization server and the demo practice, on an ephemeral port, and a
 * form-level walk through the sign-in screens (HTTP only, no browser) for tests that need tokens in bulk.
 * The browser tests drive the same screens in Chromium.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { loadSettings, type Settings } from '../../src/config/index.js';
import { seedDemoAuth, DEMO_CLIENTS } from '../../src/demo/auth-seed.js';
import { seedDemoPractice } from '../../src/demo/seed.js';
import { defaultRegistry } from '../../src/fhir/search/registry.js';
import { buildServerWithAuth, type BuiltServer, type ServerOptions } from '../../src/server.js';
import type { StoreFixture } from './stores.js';

export const DEMO_PASSWORD = 'Test-Passw0rd!';

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface AuthTestServer extends BuiltServer {
  settings: Settings;
  baseUrl: string;
  fhirBase: string;
  issuer: string;
  tokenUrl: string;
  close(): Promise<void>;
}

/** Starts the whole server on `fx`'s store, seeded with the demo practice, apps and logins. */
export async function startAuthServer(
  fx: StoreFixture,
  env: Record<string, string> = {},
  fetchImpl?: typeof fetch,
  serverOptions: Partial<Pick<ServerOptions, 'accountPage' | 'resolveAccess'>> = {},
): Promise<AuthTestServer> {
  const port = await freePort();
  const settings = loadSettings({
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    LOG_LEVEL: 'silent',
    DEMO_PASSWORD,
    RATE_LIMIT_API: '0',
    RATE_LIMIT_AUTH: '0',
    ...env,
  } as NodeJS.ProcessEnv);
  const registry = defaultRegistry();
  await seedDemoPractice(fx.store, registry, { production: false });
  await seedDemoAuth({ store: fx.store, registry, password: DEMO_PASSWORD, publicUrl: settings.publicUrl });
  const built = await buildServerWithAuth({ settings, store: fx.store, logger: false, fetch: fetchImpl, ...serverOptions });
  await built.app.listen({ port, host: '127.0.0.1' });
  return {
    ...built,
    settings,
    baseUrl: settings.publicUrl,
    fhirBase: settings.fhirBaseUrl,
    issuer: settings.issuer,
    tokenUrl: `${settings.issuer}/protocol/openid-connect/token`,
    close: () => built.app.close(),
  };
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** A cookie-keeping HTTP client that does not follow redirects. */
export class FormBrowser {
  cookies = new Map<string, string>();
  constructor(readonly baseUrl: string) {}
  async go(url: string, init: RequestInit = {}): Promise<Response> {
    const full = url.startsWith('http') ? url : this.baseUrl + url;
    const res = await fetch(full, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    for (const c of res.headers.getSetCookie()) {
      const [kv] = c.split(';');
      const i = kv.indexOf('=');
      this.cookies.set(kv.slice(0, i), kv.slice(i + 1));
    }
    return res;
  }
  post(url: string, form: URLSearchParams): Promise<Response> {
    return this.go(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
  }
}

export function hiddenField(html: string, name: string): string {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!m) throw new Error(`no hidden field ${name}`);
  return m[1];
}

export interface FlowOptions {
  clientId?: string;
  redirectUri?: string;
  username?: string;
  password?: string;
  /** The patient to pick when the picker appears. */
  patient?: string;
  scope?: string;
  /** Scopes to leave ticked on the consent screen (default: all requested). */
  allow?: string[];
  /** Granular choice per scope, e.g. { 'patient/Observation.rs': 'patient/Observation.rs?category=…|laboratory' }. */
  granular?: Record<string, string>;
  deny?: boolean;
  state?: string;
}

/** Walks authorize → sign in → (picker) → consent with form posts; returns the redirect back to the app. */
export async function authorizeWithForms(server: AuthTestServer, o: FlowOptions = {}): Promise<{ redirect: URL; verifier: string; redirectUri: string; clientId: string }> {
  const clientId = o.clientId ?? DEMO_CLIENTS.confidential.clientId;
  const redirectUri = o.redirectUri ?? 'http://127.0.0.1:9/callback';
  const { verifier, challenge } = pkce();
  const b = new FormBrowser(server.baseUrl);
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: o.scope ?? 'openid fhirUser launch/patient offline_access patient/*.rs',
    state: o.state ?? 'state-' + randomBytes(4).toString('hex'),
    aud: server.fhirBase,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  let res = await b.go(`${server.issuer}/protocol/openid-connect/auth?${q}`);
  let location = res.headers.get('location');
  if (res.status !== 303 || !location) throw new Error(`authorize answered ${res.status}`);
  for (let step = 0; step < 6; step++) {
    if (!location.startsWith('/')) return { redirect: new URL(location), verifier, redirectUri, clientId };
    res = await b.go(location);
    const html = await res.text();
    const tx = hiddenField(html, 'tx');
    const csrf = hiddenField(html, 'csrf');
    const path = location.split('?')[0];
    let form: URLSearchParams;
    if (path.endsWith('/authenticate')) {
      form = new URLSearchParams({ tx, csrf, username: o.username ?? 'david.smith', password: o.password ?? DEMO_PASSWORD });
    } else if (path.endsWith('/choose-patient')) {
      form = new URLSearchParams({ tx, csrf, patient: o.patient ?? '' });
    } else {
      form = new URLSearchParams({ tx, csrf, decision: o.deny ? 'deny' : 'allow' });
      const offered = [...html.matchAll(/name="scope" value="([^"]*)"/g)].map((m) => m[1].replace(/&amp;/g, '&').replace(/&#39;/g, "'").replace(/&quot;/g, '"'));
      for (const s of offered) if (!o.allow || o.allow.includes(s)) form.append('scope', s);
      for (const [scope, choice] of Object.entries(o.granular ?? {})) form.append(`granular:${scope}`, choice);
    }
    res = await b.post(path, form);
    location = res.headers.get('location');
    if (res.status !== 303 || !location) throw new Error(`${path} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  }
  throw new Error('the flow did not finish');
}

/** The whole flow plus the code exchange (confidential demo client by default). */
export async function obtainTokens(server: AuthTestServer, o: FlowOptions = {}): Promise<Record<string, any>> {
  const { redirect, verifier, redirectUri, clientId } = await authorizeWithForms(server, o);
  const code = redirect.searchParams.get('code');
  if (!code) throw new Error(`no code: ${redirect}`);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  const form = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier });
  if (clientId === DEMO_CLIENTS.confidential.clientId) {
    headers.authorization = 'Basic ' + Buffer.from(`${clientId}:${DEMO_CLIENTS.confidential.secret}`).toString('base64');
  } else form.set('client_id', clientId);
  const res = await fetch(server.tokenUrl, { method: 'POST', headers, body: form });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`token endpoint ${res.status}: ${JSON.stringify(body)}`);
  return body;
}
