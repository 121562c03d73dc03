/**
 * End to end through the real screens: headless Chromium signs in, picks a patient and consents on the
 * server's own pages (driven by their accessible names, SPEC §4), while a real OAuth client library
 * (openid-client v6) plays the app: discovery, authorization URL with PKCE, code exchange with the
 * id_token verified against the JWKS, refresh, introspection, revocation, userinfo, and client
 * authentication by secret, by none (public) and by private_key_jwt (RS384, ES384). SQLite only.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRemoteJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import type { Browser, Response } from 'playwright-core';
import { sqliteFixture, type StoreFixture } from '../helpers/stores.js';
import { DEMO_PASSWORD, startAuthServer, type AuthTestServer } from '../helpers/auth-server.js';
import {
  authorizationUrl,
  CHROMIUM_PATH,
  choosePatient,
  decide,
  discoverClient,
  exchangeCode,
  launchChromium,
  launchInBrowser,
  newAppContext,
  randomName,
  signIn,
  type AppClient,
  type BrowserLaunchOptions,
} from '../helpers/browser.js';
import { AuthStore } from '../../src/store/auth.js';
import { hashPassword, DEFAULT_LOCKOUT } from '../../src/auth/passwords.js';
import { SIGN_IN_FAILED } from '../../src/auth/flow.js';
import { ALL_PATIENT_SCOPES, DEMO_CLIENTS } from '../../src/demo/auth-seed.js';

const ALEX = '429119572';
const DAVID = '428946492';
const ANNA = '428946523';
const LAB = 'patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory';
const CONTEXT_FIELDS = ['patient', 'resource', 'need_patient_banner', 'practice_id', 'smart_style_url', 'client_type', 'subscription_type'];

const scopeSet = (s: string | undefined) => new Set((s ?? '').split(' ').filter(Boolean));

const NO_CHROMIUM = existsSync(CHROMIUM_PATH) ? false : `browser tests skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`;
if (NO_CHROMIUM) process.stderr.write(`# ${NO_CHROMIUM}\n`);

describe('browser: SMART standalone launch through the real screens (Chromium + openid-client, sqlite)', { skip: NO_CHROMIUM }, () => {
  let fx: StoreFixture;
  let server: AuthTestServer;
  let browser: Browser;
  const opened: { close(): Promise<void> }[] = [];

  const fhir = (path: string, accessToken: string) => fetch(path.startsWith('http') ? path : `${server.fhirBase}/${path}`, { headers: { authorization: `Bearer ${accessToken}` } });
  const confidential = () => discoverClient(server, DEMO_CLIENTS.confidential.clientId, oidc.ClientSecretBasic(DEMO_CLIENTS.confidential.secret));
  const fresh = async (options: Parameters<typeof newAppContext>[1] = {}) => {
    const c = await newAppContext(browser, options);
    opened.push(c);
    return c;
  };
  /** One complete launch in a fresh context; returns openid-client's token response. */
  const launch = async (app: AppClient, scope: string, o: BrowserLaunchOptions = {}) => {
    const { page, callbacks } = await fresh();
    const started = await authorizationUrl(server, app, callbacks.redirectUri, scope);
    const callback = await launchInBrowser(page, started.url, { password: DEMO_PASSWORD, ...o });
    return { tokens: await exchangeCode(app, started, callback), started, callback };
  };

  before(async () => {
    [fx, browser] = await Promise.all([sqliteFixture(), launchChromium()]);
    server = await startAuthServer(fx, { RATE_LIMIT_AUTH: '0', RATE_LIMIT_API: '0' });
  });
  after(async () => {
    for (const c of opened) await c.close();
    await browser?.close();
    await server?.close();
    await fx?.cleanup();
  });

  test('1. discovery: SMART configuration, OpenID configuration and JWKS', async () => {
    const res = await fetch(`${server.fhirBase}/.well-known/smart-configuration`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    const smart = await res.json();
    for (const field of ['issuer', 'jwks_uri', 'authorization_endpoint', 'token_endpoint', 'introspection_endpoint', 'revocation_endpoint']) {
      assert.equal(typeof smart[field], 'string', field);
      assert.ok(smart[field].startsWith(`${server.baseUrl}/`), `${field} is absolute: ${smart[field]}`);
      assert.doesNotThrow(() => new URL(smart[field]), field);
    }
    assert.equal(smart.issuer, server.issuer);
    assert.ok(smart.grant_types_supported.includes('authorization_code') && smart.grant_types_supported.includes('refresh_token'));
    assert.deepEqual(smart.code_challenge_methods_supported, ['S256']);
    for (const m of ['client_secret_basic', 'private_key_jwt']) assert.ok(smart.token_endpoint_auth_methods_supported.includes(m), m);
    assert.ok(Array.isArray(smart.scopes_supported) && smart.scopes_supported.length > 0);
    for (const s of ['openid', 'fhirUser', 'launch/patient', 'offline_access']) assert.ok(smart.scopes_supported.includes(s), s);
    assert.deepEqual(smart.response_types_supported, ['code']);
    const wanted = [
      'launch-standalone', 'client-public', 'client-confidential-symmetric', 'client-confidential-asymmetric', 'sso-openid-connect',
      'context-standalone-patient', 'context-banner', 'context-style', 'permission-patient', 'permission-offline', 'permission-v1',
      'permission-v2', 'authorize-post',
    ];
    for (const c of wanted) assert.ok(smart.capabilities.includes(c), `capability ${c}`);

    // A browser app's CORS preflight.
    const preflight = await fetch(`${server.fhirBase}/.well-known/smart-configuration`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' },
    });
    assert.ok(preflight.status === 204 || preflight.status === 200, String(preflight.status));
    assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
    const corsGet = await fetch(`${server.fhirBase}/.well-known/smart-configuration`, { headers: { origin: 'https://app.example' } });
    assert.equal(corsGet.headers.get('access-control-allow-origin'), '*');

    // OpenID discovery at the issuer, read by openid-client itself.
    const openid = await fetch(`${server.issuer}/.well-known/openid-configuration`);
    assert.equal(openid.status, 200);
    assert.match(openid.headers.get('content-type') ?? '', /^application\/json/);
    const app = await confidential();
    const meta = app.config.serverMetadata();
    assert.equal(meta.issuer, server.issuer);
    assert.equal(meta.token_endpoint, smart.token_endpoint);
    assert.equal(meta.authorization_endpoint, smart.authorization_endpoint);
    assert.equal(meta.jwks_uri, smart.jwks_uri);
    assert.ok(meta.id_token_signing_alg_values_supported?.includes('RS256'));

    const jwksRes = await fetch(smart.jwks_uri);
    assert.equal(jwksRes.status, 200);
    const jwks = await jwksRes.json();
    assert.ok(Array.isArray(jwks.keys) && jwks.keys.length > 0);
    for (const k of jwks.keys) {
      assert.equal(typeof k.kid, 'string', 'every key has a kid');
      assert.ok(k.kid.length > 0);
      assert.equal(k.d, undefined, 'no private parts in the JWKS');
    }
  });

  test('2. full launch in Chromium: david.smith picks Alex; id_token verified; fhirUser resolves; compartment enforced', async () => {
    const app = await confidential();
    const { tokens, started } = await launch(app, 'openid fhirUser launch/patient offline_access patient/*.rs', { username: 'david.smith', patientName: 'Alex Smith' });
    const t = tokens as unknown as Record<string, unknown>;
    for (const f of ['access_token', 'expires_in', 'refresh_expires_in', 'refresh_token', 'token_type', 'id_token', 'not-before-policy', 'session_state', 'scope', ...CONTEXT_FIELDS]) {
      assert.ok(f in t, `token response has ${f}`);
    }
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    assert.equal(t.patient, ALEX);
    assert.equal(t.resource, 'Person/4007449');
    assert.equal(t.practice_id, '1673497');
    assert.equal(t.client_type, 'STANDALONE');
    assert.equal(t.need_patient_banner, true);
    assert.match(String(t.smart_style_url), /^http:\/\/127\.0\.0\.1:\d+\/smart-style\.json/);
    assert.deepEqual(scopeSet(tokens.scope), scopeSet('openid fhirUser launch/patient offline_access patient/*.rs'));
    assert.ok(typeof tokens.expires_in === 'number' && tokens.expires_in > 0);

    // openid-client has checked iss, aud, exp, nonce and (non-repudiation) the RS256 signature against the JWKS.
    const claims = tokens.claims();
    assert.ok(claims);
    assert.equal(claims.iss, server.issuer);
    assert.equal(claims.aud, DEMO_CLIENTS.confidential.clientId);
    assert.equal(claims.nonce, started.nonce);
    assert.equal(claims.sub, '4007449');
    assert.equal(decodeProtectedHeader(tokens.id_token!).alg, 'RS256');
    // The same check once more with jose directly, so a library default cannot hide a missing signature.
    const jwks = createRemoteJWKSet(new URL(app.config.serverMetadata().jwks_uri!));
    await jwtVerify(tokens.id_token!, jwks, { algorithms: ['RS256'], issuer: server.issuer, audience: DEMO_CLIENTS.confidential.clientId });

    const fhirUser = String(claims.fhirUser);
    assert.equal(fhirUser, `${server.fhirBase}/Person/4007449`);
    const person = await fhir(fhirUser, tokens.access_token);
    assert.equal(person.status, 200);
    const personBody = await person.json();
    assert.equal(personBody.resourceType, 'Person');
    assert.equal(personBody.id, '4007449');

    const alex = await fhir(`Patient/${ALEX}`, tokens.access_token);
    assert.equal(alex.status, 200);
    assert.equal((await alex.json()).id, ALEX);
    assert.equal((await fhir(`Patient/${DAVID}`, tokens.access_token)).status, 404);
    assert.equal((await fhir(`Patient/${ANNA}`, tokens.access_token)).status, 404);
  });

  test('3. refresh twice with openid-client (same scope, then narrower) keeps the context; introspection, userinfo, revocation', async () => {
    const app = await confidential();
    const requested = 'openid fhirUser launch/patient offline_access patient/*.rs';
    const { tokens } = await launch(app, requested, { username: 'anna.smith' });
    assert.equal((tokens as Record<string, unknown>).patient, ANNA);

    const r1 = await oidc.refreshTokenGrant(app.config, tokens.refresh_token!);
    const t1 = r1 as unknown as Record<string, unknown>;
    for (const f of CONTEXT_FIELDS) assert.ok(f in t1, `first refresh has ${f}`);
    assert.equal(t1.patient, ANNA);
    assert.equal(t1.resource, 'Person/4007450');
    assert.deepEqual(scopeSet(r1.scope), scopeSet(requested));
    assert.ok(r1.refresh_token && r1.refresh_token !== tokens.refresh_token, 'the refresh token rotates');

    const narrower = 'launch/patient patient/Observation.rs offline_access';
    const r2 = await oidc.refreshTokenGrant(app.config, r1.refresh_token!, { scope: narrower });
    const t2 = r2 as unknown as Record<string, unknown>;
    for (const f of CONTEXT_FIELDS) assert.ok(f in t2, `second refresh has ${f}`);
    assert.equal(t2.patient, ANNA);
    assert.equal(t2.resource, 'Person/4007450');
    assert.deepEqual(scopeSet(r2.scope), scopeSet(narrower));
    assert.equal((await fhir(`Observation?patient=${ANNA}`, r2.access_token)).status, 200);
    assert.equal((await fhir(`Condition?patient=${ANNA}`, r2.access_token)).status, 403);

    const info = await oidc.tokenIntrospection(app.config, r2.access_token);
    assert.equal(info.active, true);
    assert.equal(info.patient, ANNA);
    assert.equal(info.client_id, DEMO_CLIENTS.confidential.clientId);
    const user = await oidc.fetchUserInfo(app.config, r1.access_token, tokens.claims()!.sub);
    assert.match(String(user.fhirUser), /\/Person\/4007450$/);

    await oidc.tokenRevocation(app.config, r2.refresh_token!);
    await new Promise((r) => setTimeout(r, 600));
    assert.equal((await oidc.tokenIntrospection(app.config, r2.access_token)).active, false);
    assert.equal((await fhir(`Patient/${ANNA}`, r2.access_token)).status, 401);
    await assert.rejects(oidc.refreshTokenGrant(app.config, r2.refresh_token!), (err: unknown) => err instanceof oidc.ResponseBodyError && err.error === 'invalid_grant');
  });

  test('4. a wrong aud comes back as invalid_request without a code; an unknown client or redirect URI stops on an error page', async () => {
    const app = await confidential();
    {
      const { page, callbacks } = await fresh();
      const started = await authorizationUrl(server, app, callbacks.redirectUri, 'launch/patient patient/*.rs', { aud: 'https://fhir.elsewhere.example/r4' });
      await page.goto(started.url.href);
      await page.waitForURL(/\/callback\?/);
      assert.equal(callbacks.urls.length, 1);
      const back = new URL(callbacks.urls[0]);
      assert.equal(`${back.origin}${back.pathname}`, callbacks.redirectUri);
      assert.equal(back.searchParams.get('error'), 'invalid_request');
      assert.equal(back.searchParams.get('state'), started.state);
      assert.equal(back.searchParams.get('code'), null);
      assert.ok(back.searchParams.get('error_description'));
      await assert.rejects(exchangeCode(app, started, callbacks.urls[0]), (err: unknown) => err instanceof oidc.AuthorizationResponseError && err.error === 'invalid_request');
    }
    const cases: [string, (u: URL, redirectUri: string) => void, RegExp][] = [
      ['unknown client_id', (u) => u.searchParams.set('client_id', 'no-such-app'), /not recognised/],
      ['unregistered redirect_uri (other path)', (u, r) => u.searchParams.set('redirect_uri', r.replace('/callback', '/elsewhere')), /return address/],
      ['unregistered redirect_uri (other host)', (u) => u.searchParams.set('redirect_uri', 'http://127.0.0.2/callback'), /return address/],
    ];
    for (const [name, tamper, heading] of cases) {
      const { page, callbacks } = await fresh();
      const started = await authorizationUrl(server, app, callbacks.redirectUri, 'launch/patient patient/*.rs');
      tamper(started.url, callbacks.redirectUri);
      const res = await page.goto(started.url.href);
      assert.equal(res?.status(), 400, name);
      assert.equal(page.url(), started.url.href, `${name}: no navigation away from the authorization server`);
      assert.deepEqual(callbacks.urls, [], `${name}: never sent to a redirect URI`);
      assert.match((await page.getByRole('heading', { level: 1 }).textContent()) ?? '', heading, name);
      assert.equal(await page.getByLabel('Username').count(), 0, name);
    }
  });

  test('5. unticking a scope on the consent screen: it is not granted and the FHIR API refuses that type', async () => {
    const app = await confidential();
    const { tokens } = await launch(app, 'launch/patient patient/Patient.rs patient/Observation.rs patient/Condition.rs', {
      username: 'anna.smith',
      untick: ['patient/Condition.rs'],
    });
    const granted = scopeSet(tokens.scope);
    assert.ok(!granted.has('patient/Condition.rs'), tokens.scope);
    assert.ok(granted.has('patient/Patient.rs') && granted.has('patient/Observation.rs'), tokens.scope);
    assert.equal(tokens.id_token, undefined);
    assert.equal((await fhir(`Patient/${ANNA}`, tokens.access_token)).status, 200);
    assert.equal((await fhir(`Observation?patient=${ANNA}`, tokens.access_token)).status, 200);
    assert.equal((await fhir(`Condition?patient=${ANNA}`, tokens.access_token)).status, 403);
  });

  test("6. a granular choice in the browser ('Only lab results') grants the granular scope; only labs come back", async () => {
    const app = await confidential();
    const { tokens } = await launch(app, 'launch/patient patient/Observation.rs', { username: 'david.smith', patientName: 'David Smith', granular: ['Only lab results'] });
    assert.deepEqual(scopeSet(tokens.scope), scopeSet(`launch/patient ${LAB}`));
    const res = await fhir(`Observation?patient=${DAVID}&_count=1000`, tokens.access_token);
    assert.equal(res.status, 200);
    const bundle = await res.json();
    assert.ok(bundle.entry?.length > 0, 'David has lab results');
    for (const e of bundle.entry.filter((x: { search?: { mode?: string } }) => x.search?.mode !== 'include')) {
      assert.equal(e.resource.resourceType, 'Observation');
      const codes = (e.resource.category ?? []).flatMap((c: { coding?: { code?: string }[] }) => (c.coding ?? []).map((x) => x.code));
      assert.ok(codes.includes('laboratory'), `${e.resource.id}: ${codes}`);
    }
  });

  test('7. public client (no secret, client auth none) with openid: id_token verified', async () => {
    const app = await discoverClient(server, DEMO_CLIENTS.public.clientId, oidc.None());
    const { tokens } = await launch(app, 'openid fhirUser launch/patient offline_access patient/*.rs', { username: 'anna.smith' });
    const claims = tokens.claims();
    assert.ok(claims);
    assert.equal(claims.aud, DEMO_CLIENTS.public.clientId);
    assert.equal(claims.fhirUser, `${server.fhirBase}/Person/4007450`);
    assert.equal((tokens as Record<string, unknown>).patient, ANNA);
    assert.equal((await fhir(`Patient/${ANNA}`, tokens.access_token)).status, 200);
    const refreshed = await oidc.refreshTokenGrant(app.config, tokens.refresh_token!);
    assert.equal((refreshed as Record<string, unknown>).patient, ANNA);
  });

  for (const alg of ['RS384', 'ES384'] as const) {
    test(`8. private_key_jwt (${alg}): an asymmetric client registered with a JWKS completes a launch`, async () => {
      const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
      const kid = randomName(`key-${alg}`);
      const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
      const clientId = randomName(`asym-${alg.toLowerCase()}`);
      await new AuthStore(fx.store.sql).putClient({
        clientId,
        name: `Asymmetric ${alg} App`,
        type: 'asymmetric',
        secretHash: null,
        redirectUris: ['http://127.0.0.1/callback'],
        jwks: JSON.stringify({ keys: [jwk] }),
        jwksUri: null,
        scope: ALL_PATIENT_SCOPES,
        status: 'active',
        tokensValidAfter: 0,
        createdAt: Date.now(),
      });
      // SMART App Launch 2 (client-confidential-asymmetric): the assertion's aud is the token endpoint URL.
      // openid-client's default aud is the issuer; see the report of this suite.
      const auth = oidc.PrivateKeyJwt(
        { key: privateKey, kid },
        { [oidc.modifyAssertion]: (_header: Record<string, unknown>, payload: Record<string, unknown>) => void (payload.aud = server.tokenUrl) },
      );
      const app = await discoverClient(server, clientId, auth);
      const { tokens } = await launch(app, 'openid fhirUser launch/patient offline_access patient/*.rs', { username: 'anna.smith' });
      assert.equal(tokens.claims()?.aud, clientId);
      assert.equal((tokens as Record<string, unknown>).patient, ANNA);
      assert.equal((await fhir(`Patient/${ANNA}`, tokens.access_token)).status, 200);
      // A second assertion (new jti) for the refresh, introspection and revocation.
      const refreshed = await oidc.refreshTokenGrant(app.config, tokens.refresh_token!);
      assert.equal((refreshed as Record<string, unknown>).patient, ANNA);
      assert.equal((await oidc.tokenIntrospection(app.config, refreshed.access_token)).active, true);
      await oidc.tokenRevocation(app.config, refreshed.refresh_token!);
    });
  }

  test('9. Deny on the consent screen: access_denied with the state and no code', async () => {
    const app = await confidential();
    const { page, callbacks } = await fresh();
    const started = await authorizationUrl(server, app, callbacks.redirectUri, 'openid fhirUser launch/patient patient/*.rs');
    const callback = await launchInBrowser(page, started.url, { password: DEMO_PASSWORD, username: 'david.smith', patientName: 'Anna Marie Smith', deny: true });
    assert.equal(callbacks.urls.length, 1);
    const back = new URL(callback);
    assert.equal(back.searchParams.get('error'), 'access_denied');
    assert.equal(back.searchParams.get('state'), started.state);
    assert.equal(back.searchParams.get('code'), null);
    await assert.rejects(exchangeCode(app, started, callback), (err: unknown) => err instanceof oidc.AuthorizationResponseError && err.error === 'access_denied');
  });

  test('10. lockout through the screen: waits, then a lock; one generic answer for unknown user, wrong password and locked', async () => {
    const authStore = new AuthStore(fx.store.sql);
    const username = randomName('lockout').toLowerCase();
    const password = 'Right-Passw0rd!';
    await authStore.putAccount({
      username,
      personId: '4007450',
      displayName: 'Lockout Test',
      patients: [ANNA],
      passwordHash: await hashPassword(password),
      failedLogins: 0,
      lockedUntil: 0,
      status: 'active',
      createdAt: Date.now(),
    });
    const app = await confidential();
    const { page, callbacks } = await fresh();
    const started = await authorizationUrl(server, app, callbacks.redirectUri, 'launch/patient patient/*.rs');
    await page.goto(started.url.href);

    interface Answer { status: number; alert: string; body: string; cookies: boolean }
    const attempt = async (user: string, pass: string): Promise<Answer> => {
      const res: Response = await signIn(page, user, pass);
      const body = await res.text();
      const alert = ((await page.getByRole('alert').textContent()) ?? '').replace(/\s+/g, ' ').trim();
      // Everything a response could vary by, apart from per-request randomness and the echoed username.
      const normalized = body
        .replace(/name="(tx|csrf)" value="[^"]*"/g, 'name="$1" value="…"')
        .replace(/nonce-[A-Za-z0-9+/=]+/g, 'nonce-…')
        .replace(/nonce="[^"]*"/g, 'nonce="…"')
        .replace(/(id="username"[^>]*value=")[^"]*"/, '$1…"');
      return { status: res.status(), alert, body: normalized, cookies: (await res.headerValue('set-cookie')) !== null };
    };
    const account = async () => (await authStore.getAccount(username))!;
    /** Lets the current wait pass without sleeping: the lock is moved into the past, the failure count stays. */
    const waitOut = async () => {
      if ((await account()).lockedUntil > Date.now()) await fx.store.sql.run('UPDATE accounts SET locked_until = ? WHERE username = ?', [Date.now() - 1, username]);
    };

    const unknown = await attempt(randomName('nobody'), 'Whatever-1');
    assert.equal(unknown.status, 401);
    assert.ok(unknown.alert.includes(SIGN_IN_FAILED), unknown.alert);

    const answers: Answer[] = [];
    let duringWait: Answer | undefined;
    for (let i = 1; i <= DEFAULT_LOCKOUT.lockAfter; i++) {
      await waitOut();
      answers.push(await attempt(username, `wrong-${i}`));
      const a = await account();
      assert.equal(a.failedLogins, i, `failure ${i} is counted`);
      if (i <= DEFAULT_LOCKOUT.freeFailures) assert.ok(a.lockedUntil <= Date.now(), `no wait after ${i} failures`);
      else assert.ok(a.lockedUntil > Date.now(), `a wait after ${i} failures`);
      if (i === DEFAULT_LOCKOUT.freeFailures + 1) {
        // While the account must wait, even the right password is refused, and that attempt is not counted.
        duringWait = await attempt(username, password);
        assert.equal((await account()).failedLogins, i);
      }
    }
    const locked = await account();
    assert.ok(locked.lockedUntil >= Date.now() + DEFAULT_LOCKOUT.lockMs - 60_000, 'locked for the lock period');
    const lockedAnswer = await attempt(username, password);
    assert.ok(page.url().includes('/login-actions/authenticate'), 'still on the sign-in screen');

    for (const [name, a] of [['wrong password', answers[0]], ['wrong password after waits', answers[answers.length - 1]], ['right password while waiting', duringWait!], ['right password while locked', lockedAnswer]] as const) {
      assert.equal(a.status, unknown.status, `${name}: same status as an unknown user`);
      assert.equal(a.alert, unknown.alert, `${name}: same message as an unknown user`);
      assert.equal(a.body, unknown.body, `${name}: same page as an unknown user`);
      assert.equal(a.cookies, unknown.cookies, `${name}: same cookies as an unknown user`);
    }
    // Another account is not affected.
    await waitOut();
    assert.equal((await authStore.getAccount('anna.smith'))?.lockedUntil ?? 0, 0);
  });

  test('11. the screens work without JavaScript; security headers, cookie flags and CSRF', async () => {
    const app = await confidential();
    {
      const { page, context, callbacks } = await fresh({ javaScriptEnabled: false });
      const started = await authorizationUrl(server, app, callbacks.redirectUri, 'openid fhirUser launch/patient patient/*.rs');
      const signInPage = await page.goto(started.url.href);
      assert.equal(signInPage?.status(), 200);
      const h = signInPage!.headers();
      assert.equal(h['x-frame-options'], 'DENY');
      assert.match(h['content-security-policy'] ?? '', /frame-ancestors 'none'/);
      assert.match(h['cache-control'] ?? '', /no-store/);
      await signIn(page, 'david.smith', DEMO_PASSWORD);
      const cookies = await context.cookies(server.baseUrl + '/auth');
      const session = cookies.find((c) => c.name === 'pa_session');
      assert.ok(session, `session cookie set: ${cookies.map((c) => c.name)}`);
      assert.equal(session.httpOnly, true);
      assert.equal(session.sameSite, 'Lax');
      for (const c of cookies) assert.equal(c.httpOnly, true, `${c.name} is HttpOnly`);
      await choosePatient(page, 'Alex Smith');
      const consentHeaders = await page.request.get(page.url()).then((r) => r.headers());
      assert.equal(consentHeaders['x-frame-options'], 'DENY');
      await decide(page, { untick: ['fhirUser'] });
      assert.equal(callbacks.urls.length, 1);
      const tokens = await exchangeCode(app, started, page.url());
      assert.equal((tokens as Record<string, unknown>).patient, ALEX);
      assert.ok(!scopeSet(tokens.scope).has('fhirUser'));
      assert.equal((await fhir(`Patient/${ALEX}`, tokens.access_token)).status, 200);
    }
    {
      // A form post whose csrf does not match this browser's cookie is refused.
      const { page, context, callbacks } = await fresh();
      const started = await authorizationUrl(server, app, callbacks.redirectUri, 'launch/patient patient/*.rs');
      await page.goto(started.url.href);
      await page.locator('input[name="csrf"]').evaluate((el) => ((el as HTMLInputElement).value = 'forged-' + 'x'.repeat(36)));
      const res = await signIn(page, 'david.smith', DEMO_PASSWORD);
      assert.equal(res.status(), 403);
      assert.match((await page.getByRole('heading', { level: 1 }).textContent()) ?? '', /expired/);
      assert.equal((await context.cookies(server.baseUrl + '/auth')).find((c) => c.name === 'pa_session'), undefined, 'no session from a forged post');
    }
  });

  test('12. authorize by POST (authorize-post): the same walk from a form the app posts', async () => {
    const app = await discoverClient(server, DEMO_CLIENTS.public.clientId, oidc.None());
    const { page, callbacks } = await fresh();
    const started = await authorizationUrl(server, app, callbacks.redirectUri, 'openid fhirUser launch/patient patient/*.rs');
    const attr = (v: string) => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
    const fields = [...started.url.searchParams].map(([k, v]) => `<input type="hidden" name="${attr(k)}" value="${attr(v)}">`).join('');
    await page.setContent(`<form method="post" action="${attr(started.url.origin + started.url.pathname)}">${fields}<button>Connect</button></form>`);
    await Promise.all([page.waitForURL(/\/login-actions\/authenticate/), page.getByRole('button', { name: 'Connect' }).click()]);
    await signIn(page, 'anna.smith', DEMO_PASSWORD);
    await decide(page);
    const tokens = await exchangeCode(app, started, page.url());
    assert.equal(tokens.claims()?.fhirUser, `${server.fhirBase}/Person/4007450`);
    assert.equal((tokens as Record<string, unknown>).patient, ANNA);
  });
});
