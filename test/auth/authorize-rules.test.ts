/**
 * The rules of the authorize endpoint and the screens behind it (SPEC §3, §4), each as its own test,
 * over real HTTP without following redirects: which mistakes show an error page and never redirect,
 * which go back to the app as `error`/`error_description`/`state`; PKCE and response_type rules; POST
 * like GET; repeated parameters; `state` echoed byte for byte. Codes: 60 s lifetime, bound to the client
 * and the redirect URI. CSRF, 303 after every POST, anti-framing and no-store headers. No secret in the
 * logs at trace level. Signing-key rotation keeps earlier tokens working.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { decodeProtectedHeader } from 'jose';
import { sqliteFixture, type StoreFixture } from '../helpers/stores.js';
import {
  authorizeWithForms,
  DEMO_PASSWORD,
  FormBrowser,
  freePort,
  hiddenField,
  obtainTokens,
  pkce,
  startAuthServer,
  type AuthTestServer,
} from '../helpers/auth-server.js';
import { DEMO_CLIENTS, seedDemoAuth } from '../../src/demo/auth-seed.js';
import { DEMO_PATIENTS } from '../../src/demo/practice/index.js';
import { seedDemoPractice } from '../../src/demo/seed.js';
import { loadSettings } from '../../src/config/index.js';
import { defaultRegistry } from '../../src/fhir/search/registry.js';
import { buildServerWithAuth } from '../../src/server.js';
import { hashToken } from '../../src/auth/secrets.js';

const CONFIDENTIAL = DEMO_CLIENTS.confidential.clientId;
const PUBLIC = DEMO_CLIENTS.public.clientId;
const BASIC = 'Basic ' + Buffer.from(`${CONFIDENTIAL}:${DEMO_CLIENTS.confidential.secret}`).toString('base64');
const REDIRECT = 'http://localhost:3000/callback';
const SCOPE = 'openid fhirUser launch/patient offline_access patient/*.rs';
const NO_LIMITS = { RATE_LIMIT_API: '0', RATE_LIMIT_AUTH: '0' };

function assertPageHeaders(res: Response, what: string): void {
  assert.equal(res.headers.get('x-frame-options'), 'DENY', `${what}: X-Frame-Options`);
  assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, `${what}: CSP frame-ancestors`);
  assert.match(res.headers.get('cache-control') ?? '', /no-store/, `${what}: Cache-Control`);
}

/** An error page: 400 HTML, no Location, no code anywhere. */
async function assertErrorPage(res: Response, what: string): Promise<string> {
  const body = await res.text();
  assert.equal(res.status, 400, `${what}: ${res.status} ${res.headers.get('location') ?? ''}`);
  assert.equal(res.headers.get('location'), null, `${what}: must not redirect`);
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/, what);
  assert.match(body, /<h1>/, what);
  assertPageHeaders(res, what);
  return body;
}

/** A 303 back to `redirectUri` with error, error_description and (when sent) state. */
function assertErrorRedirect(res: Response, redirectUri: string, error: string | string[], state: string | undefined, what: string): URL {
  assert.equal(res.status, 303, `${what}: ${res.status}`);
  const location = res.headers.get('location');
  assert.ok(location, `${what}: a Location`);
  const to = new URL(location);
  const expected = new URL(redirectUri);
  assert.equal(`${to.origin}${to.pathname}`, `${expected.origin}${expected.pathname}`, `${what}: back to the app`);
  const errors = Array.isArray(error) ? error : [error];
  assert.ok(errors.includes(to.searchParams.get('error') ?? ''), `${what}: error=${to.searchParams.get('error')}`);
  assert.ok((to.searchParams.get('error_description') ?? '').length > 0, `${what}: error_description`);
  if (state === undefined) assert.equal(to.searchParams.has('state'), false, `${what}: no state`);
  else assert.equal(to.searchParams.get('state'), state, `${what}: state`);
  assert.equal(to.searchParams.has('code'), false, `${what}: no code`);
  return to;
}

/** A 303 into the sign-in screens (the request was accepted). */
function assertAccepted(res: Response, what: string): string {
  assert.equal(res.status, 303, `${what}: ${res.status}`);
  const location = res.headers.get('location') ?? '';
  assert.match(location, /^\/auth\/realms\/[^/]+\/login-actions\/authenticate\?tx=/, `${what}: ${location}`);
  return location;
}

describe('authorize rules (sqlite)', () => {
  let fx: StoreFixture;
  let server: AuthTestServer;
  let authUrl: string;

  before(async () => {
    fx = await sqliteFixture();
    server = await startAuthServer(fx, NO_LIMITS);
    authUrl = `${server.issuer}/protocol/openid-connect/auth`;
  });
  after(async () => {
    await server?.close();
    await fx?.cleanup();
  });

  /** Valid authorize parameters; `over` replaces (or with undefined removes) some. */
  const params = (over: Record<string, string | undefined> = {}): URLSearchParams => {
    const base: Record<string, string | undefined> = {
      response_type: 'code',
      client_id: CONFIDENTIAL,
      redirect_uri: REDIRECT,
      scope: SCOPE,
      state: 'st-' + randomBytes(4).toString('hex'),
      aud: server.fhirBase,
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
      ...over,
    };
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(base)) if (v !== undefined) q.set(k, v);
    return q;
  };
  const get = (q: URLSearchParams | string, b = new FormBrowser(server.baseUrl)) => b.go(`${authUrl}?${q}`);
  const post = (q: URLSearchParams, b = new FormBrowser(server.baseUrl)) => b.post(authUrl, q);

  /** Walks the screens from `location` (sign-in) to the redirect back to the app. */
  const walk = async (b: FormBrowser, location: string, o: { username?: string; patient?: string; deny?: boolean } = {}): Promise<URL> => {
    for (let step = 0; step < 6; step++) {
      if (!location.startsWith('/')) return new URL(location);
      const page = await b.go(location);
      assert.equal(page.status, 200, location);
      assertPageHeaders(page, location);
      const html = await page.text();
      const tx = hiddenField(html, 'tx');
      const csrf = hiddenField(html, 'csrf');
      const path = location.split('?')[0];
      const f = new URLSearchParams({ tx, csrf });
      if (path.endsWith('/authenticate')) {
        f.set('username', o.username ?? 'david.smith');
        f.set('password', DEMO_PASSWORD);
      } else if (path.endsWith('/choose-patient')) f.set('patient', o.patient ?? DEMO_PATIENTS.david);
      else {
        f.set('decision', o.deny ? 'deny' : 'allow');
        for (const m of html.matchAll(/name="scope" value="([^"]*)"/g)) f.append('scope', m[1].replace(/&amp;/g, '&'));
      }
      const res = await b.post(path, f);
      assert.equal(res.status, 303, `POST ${path} answers 303 (${res.status})`);
      location = res.headers.get('location') ?? '';
    }
    throw new Error('the flow did not finish');
  };

  const exchange = (form: Record<string, string>, authorization?: string) =>
    fetch(server.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) },
      body: new URLSearchParams(form),
    });

  // ---- client and redirect URI: an error page, never a redirect ------------------------------

  test('an unknown (or missing) client_id shows a 400 HTML error page and never redirects', async () => {
    await assertErrorPage(await get(params({ client_id: 'no-such-client' })), 'unknown client_id');
    await assertErrorPage(await get(params({ client_id: undefined })), 'missing client_id');
    await assertErrorPage(await get(params({ client_id: '' })), 'empty client_id');
    // Even with every other parameter wrong too, the page wins over a redirect.
    await assertErrorPage(await get(params({ client_id: 'no-such-client', aud: 'https://evil.example/fhir', response_type: 'token' })), 'unknown client, bad aud');
  });

  test('an unregistered redirect_uri shows the error page: other host, extra query, other path, loopback with another path', async () => {
    const bad = [
      'https://evil.example/callback',
      `${REDIRECT}?x=1`,
      `${REDIRECT}#frag`,
      'http://localhost:3000/callback2',
      'http://localhost:3000/callback/',
      'http://localhost:3000/other/callback',
      'http://localhost:3001/callback', // not a loopback IP: exact match only
      'http://localhost/callback',
      'https://oauth.pstmn.io/v1/callback?next=https://evil.example',
      'https://oauth.pstmn.io/v1/other/../callback',
      'http://127.0.0.1:5555/other',
      'http://127.0.0.1:5555/callback/extra',
      'http://127.0.0.1:5555/callback?x=1',
      'http://127.0.0.1:5555/callback#frag',
      'https://127.0.0.1:5555/callback',
      'http://user:pw@127.0.0.1:5555/callback',
      'http://127.0.0.1.evil.example:5555/callback',
      'http://[::1]:5555/other',
      'not a url',
    ];
    for (const redirect_uri of bad) {
      const body = await assertErrorPage(await get(params({ redirect_uri })), `redirect_uri ${redirect_uri}`);
      assert.ok(!/code=/.test(body));
    }
    await assertErrorPage(await get(params({ redirect_uri: undefined })), 'missing redirect_uri');
    await assertErrorPage(await get(params({ redirect_uri: 'https://evil.example/callback', aud: undefined })), 'bad redirect and bad aud');
    // The public client too.
    await assertErrorPage(await get(params({ client_id: PUBLIC, redirect_uri: 'https://evil.example/callback' })), 'public client, evil redirect');
  });

  test('a loopback redirect on another port is accepted (RFC 8252), for IPv4 and IPv6', async () => {
    for (const redirect_uri of ['http://127.0.0.1:49152/callback', 'http://127.0.0.1:1/callback', 'http://127.0.0.1/callback', 'http://[::1]:8765/callback']) {
      assertAccepted(await get(params({ redirect_uri })), redirect_uri);
    }
    // And the whole flow ends there with a code that exchanges.
    const { verifier, challenge } = pkce();
    const b = new FormBrowser(server.baseUrl);
    const redirect_uri = 'http://127.0.0.1:49153/callback';
    const back = await walk(b, assertAccepted(await get(params({ redirect_uri, code_challenge: challenge, client_id: PUBLIC }), b), 'loopback'), { patient: DEMO_PATIENTS.anna });
    assert.equal(`${back.origin}${back.pathname}`, 'http://127.0.0.1:49153/callback');
    const res = await exchange({ grant_type: 'authorization_code', code: back.searchParams.get('code')!, redirect_uri, code_verifier: verifier, client_id: PUBLIC });
    assert.equal(res.status, 200);
  });

  // ---- everything else: redirect with error, error_description, state ------------------------

  test('aud missing or wrong: 303 to the redirect URI with invalid_request, error_description and state', async () => {
    for (const aud of [undefined, '', 'https://evil.example/api/fhir/r4', 'ISSUER', 'BASE/Patient', 'BASE?x=1']) {
      const value = aud === 'ISSUER' ? server.issuer : aud?.replace('BASE', server.fhirBase);
      const q = params({ aud: value });
      assertErrorRedirect(await get(q), REDIRECT, 'invalid_request', q.get('state')!, `aud=${value}`);
    }
  });

  test('code_challenge_method plain (or missing, or unknown) is refused with an error redirect', async () => {
    for (const method of ['plain', undefined, 'S512', 's256']) {
      const q = params({ code_challenge_method: method });
      assertErrorRedirect(await get(q), REDIRECT, 'invalid_request', q.get('state')!, `code_challenge_method=${method}`);
    }
  });

  test('a missing code_challenge, or one shorter than 43 or longer than 128 characters, is refused', async () => {
    for (const challenge of [undefined, '', 'a'.repeat(42), 'a'.repeat(129), 'a'.repeat(42) + '+', 'a'.repeat(42) + '=']) {
      const q = params({ code_challenge: challenge });
      assertErrorRedirect(await get(q), REDIRECT, 'invalid_request', q.get('state')!, `code_challenge of ${challenge?.length}`);
    }
    assertAccepted(await get(params({ code_challenge: 'a'.repeat(43) })), '43 characters');
    assertAccepted(await get(params({ code_challenge: 'a'.repeat(128) })), '128 characters');
  });

  test('response_type other than code is unsupported_response_type', async () => {
    for (const rt of ['token', 'code id_token', 'id_token', 'code token']) {
      const q = params({ response_type: rt });
      assertErrorRedirect(await get(q), REDIRECT, 'unsupported_response_type', q.get('state')!, `response_type=${rt}`);
    }
    const q = params({ response_type: undefined });
    assertErrorRedirect(await get(q), REDIRECT, ['invalid_request', 'unsupported_response_type'], q.get('state')!, 'missing response_type');
  });

  test('POST to the authorize endpoint works like GET (the whole flow, and its errors)', async () => {
    const { verifier, challenge } = pkce();
    const b = new FormBrowser(server.baseUrl);
    const q = params({ code_challenge: challenge });
    const res = await post(q, b);
    const back = await walk(b, assertAccepted(res, 'POST authorize'), { patient: DEMO_PATIENTS.alex });
    assert.equal(back.searchParams.get('state'), q.get('state'));
    const tokenRes = await exchange({ grant_type: 'authorization_code', code: back.searchParams.get('code')!, redirect_uri: REDIRECT, code_verifier: verifier }, BASIC);
    assert.equal(tokenRes.status, 200);
    assert.equal((await tokenRes.json()).patient, DEMO_PATIENTS.alex);
    // Errors are the same as for GET.
    const bad = params({ aud: 'https://evil.example/fhir' });
    assertErrorRedirect(await post(bad), REDIRECT, 'invalid_request', bad.get('state')!, 'POST bad aud');
    const plain = params({ code_challenge_method: 'plain' });
    assertErrorRedirect(await post(plain), REDIRECT, 'invalid_request', plain.get('state')!, 'POST plain');
    await assertErrorPage(await post(params({ client_id: 'no-such-client' })), 'POST unknown client');
    await assertErrorPage(await post(params({ redirect_uri: 'https://evil.example/cb' })), 'POST evil redirect');
  });

  test('repeated parameters are refused: client_id/redirect_uri on the page, the others by redirect', async () => {
    for (const name of ['client_id', 'redirect_uri']) {
      const q = params();
      q.append(name, q.get(name)!);
      await assertErrorPage(await get(q), `${name} twice (same value)`);
      const q2 = params();
      q2.append(name, name === 'client_id' ? PUBLIC : 'http://127.0.0.1:4000/callback');
      await assertErrorPage(await get(q2), `${name} twice (two values)`);
    }
    for (const name of ['response_type', 'scope', 'aud', 'code_challenge', 'code_challenge_method']) {
      const q = params();
      q.append(name, q.get(name)!);
      assertErrorRedirect(await get(q), REDIRECT, 'invalid_request', q.get('state')!, `${name} twice`);
      assertErrorRedirect(await post(q), REDIRECT, 'invalid_request', q.get('state')!, `POST ${name} twice`);
    }
    // state twice: an error, and no state can be echoed.
    const q = params({ state: 's1' });
    q.append('state', 's2');
    const res = await get(q);
    assert.equal(res.status, 303);
    const to = new URL(res.headers.get('location')!);
    assert.equal(to.searchParams.get('error'), 'invalid_request');
    assert.equal(to.searchParams.has('code'), false);
  });

  test('state is echoed exactly, on errors and on success (unusual characters included)', async () => {
    const states = ['a b+c/=&?#%~é😀<>"\'\\;,', '%20%2B', '=', ' ', 'x'.repeat(500)];
    for (const state of states) {
      const q = params({ state, aud: 'https://evil.example/fhir' });
      assertErrorRedirect(await get(q), REDIRECT, 'invalid_request', state, `error with state ${JSON.stringify(state).slice(0, 40)}`);
      assertErrorRedirect(await post(q), REDIRECT, 'invalid_request', state, `POST error with state ${JSON.stringify(state).slice(0, 40)}`);
    }
    const { redirect } = await authorizeWithForms(server, { state: states[0], patient: DEMO_PATIENTS.david, redirectUri: REDIRECT });
    assert.equal(redirect.searchParams.get('state'), states[0]);
    assert.ok(redirect.searchParams.get('code'));
    // No state sent: none comes back.
    const none = params({ state: undefined, aud: undefined });
    assertErrorRedirect(await get(none), REDIRECT, 'invalid_request', undefined, 'no state');
    // Deny redirects with access_denied and the state.
    const b = new FormBrowser(server.baseUrl);
    const dq = params({ state: states[0] });
    const denied = await walk(b, assertAccepted(await get(dq, b), 'deny'), { deny: true, patient: DEMO_PATIENTS.anna });
    assert.equal(denied.searchParams.get('error'), 'access_denied');
    assert.equal(denied.searchParams.get('state'), states[0]);
    assert.equal(denied.searchParams.has('code'), false);
  });

  // ---- codes ---------------------------------------------------------------------------------

  test('a code lives at most 60 s (its stored expiry) and an expired one is invalid_grant', async () => {
    const t0 = Date.now();
    const { redirect, verifier, redirectUri } = await authorizeWithForms(server, { patient: DEMO_PATIENTS.anna });
    const t1 = Date.now();
    const code = redirect.searchParams.get('code')!;
    const rows = await fx.store.sql.all<{ expires_at: number | string }>('SELECT expires_at FROM auth_codes WHERE code_hash = ?', [hashToken(code)]);
    assert.equal(rows.length, 1, 'the code is stored (hashed)');
    const expiresAt = Number(rows[0].expires_at);
    assert.ok(expiresAt > t0, 'expires in the future');
    assert.ok(expiresAt <= t1 + 60_000, `expires ≤ 60 s after creation (${expiresAt - t1} ms after the flow ended)`);
    // The code itself is never stored in clear.
    const clear = await fx.store.sql.all('SELECT code_hash FROM auth_codes WHERE code_hash = ?', [code]);
    assert.equal(clear.length, 0);
    // Past its expiry it no longer exchanges.
    await fx.store.sql.run('UPDATE auth_codes SET expires_at = ? WHERE code_hash = ?', [Date.now() - 1, hashToken(code)]);
    const res = await exchange({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier }, BASIC);
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error, 'invalid_grant');
  });

  test('a code is bound to its client: the confidential client’s code cannot be exchanged by the public client, nor the reverse', async () => {
    const c = await authorizeWithForms(server, { patient: DEMO_PATIENTS.anna, clientId: CONFIDENTIAL });
    const asPublic = await exchange({ grant_type: 'authorization_code', code: c.redirect.searchParams.get('code')!, redirect_uri: c.redirectUri, code_verifier: c.verifier, client_id: PUBLIC });
    assert.ok([400, 401].includes(asPublic.status), `confidential code as public: ${asPublic.status}`);
    const body = await asPublic.json();
    assert.ok(['invalid_grant', 'invalid_client'].includes(body.error), JSON.stringify(body));
    assert.equal(body.access_token, undefined);

    const p = await authorizeWithForms(server, { patient: DEMO_PATIENTS.anna, clientId: PUBLIC });
    const asConfidential = await exchange({ grant_type: 'authorization_code', code: p.redirect.searchParams.get('code')!, redirect_uri: p.redirectUri, code_verifier: p.verifier }, BASIC);
    assert.equal(asConfidential.status, 400);
    assert.equal((await asConfidential.json()).error, 'invalid_grant');
    // The confidential client's code with only its client_id (no secret) is not a client authentication.
    const c2 = await authorizeWithForms(server, { patient: DEMO_PATIENTS.anna, clientId: CONFIDENTIAL });
    const noSecret = await exchange({ grant_type: 'authorization_code', code: c2.redirect.searchParams.get('code')!, redirect_uri: c2.redirectUri, code_verifier: c2.verifier, client_id: CONFIDENTIAL });
    assert.equal(noSecret.status, 401);
    assert.equal((await noSecret.json()).error, 'invalid_client');
  });

  test('a code is bound to its redirect URI: another one (even another loopback port) is invalid_grant', async () => {
    for (const other of ['http://127.0.0.1:10/callback', REDIRECT, 'http://127.0.0.1:9/callback/']) {
      const { redirect, verifier } = await authorizeWithForms(server, { patient: DEMO_PATIENTS.anna, redirectUri: 'http://127.0.0.1:9/callback' });
      const res = await exchange({ grant_type: 'authorization_code', code: redirect.searchParams.get('code')!, redirect_uri: other, code_verifier: verifier }, BASIC);
      assert.equal(res.status, 400, other);
      assert.equal((await res.json()).error, 'invalid_grant', other);
    }
    const { redirect, verifier } = await authorizeWithForms(server, { patient: DEMO_PATIENTS.anna });
    const missing = await exchange({ grant_type: 'authorization_code', code: redirect.searchParams.get('code')!, code_verifier: verifier }, BASIC);
    assert.equal(missing.status, 400);
    assert.ok(['invalid_request', 'invalid_grant'].includes((await missing.json()).error));
  });

  // ---- CSRF, 303s, headers ------------------------------------------------------------------

  test('CSRF: the sign-in form without the csrf cookie, with a wrong or foreign token, or none, is 403', async () => {
    const b = new FormBrowser(server.baseUrl);
    const location = assertAccepted(await get(params(), b), 'start');
    const page = await b.go(location);
    const html = await page.text();
    const tx = hiddenField(html, 'tx');
    const csrf = hiddenField(html, 'csrf');
    const path = location.split('?')[0];
    const creds = { username: 'anna.smith', password: DEMO_PASSWORD };
    // Another transaction's valid token (same browser).
    const otherLocation = assertAccepted(await get(params(), b), 'other');
    const otherCsrf = hiddenField(await (await b.go(otherLocation)).text(), 'csrf');

    const noCookie = new FormBrowser(server.baseUrl);
    const cases: [string, FormBrowser, URLSearchParams][] = [
      ['no csrf cookie', noCookie, new URLSearchParams({ tx, csrf, ...creds })],
      ['wrong token', b, new URLSearchParams({ tx, csrf: csrf.slice(0, -2) + (csrf.endsWith('AA') ? 'BB' : 'AA'), ...creds })],
      ['token of another transaction', b, new URLSearchParams({ tx, csrf: otherCsrf, ...creds })],
      ['no token', b, new URLSearchParams({ tx, ...creds })],
      ['empty token', b, new URLSearchParams({ tx, csrf: '', ...creds })],
    ];
    const cookieOnly = new FormBrowser(server.baseUrl);
    cookieOnly.cookies.set('pa_csrf', 'x'.repeat(32));
    cases.push(['a cookie the server did not set', cookieOnly, new URLSearchParams({ tx, csrf, ...creds })]);
    for (const [what, browser, f] of cases) {
      const res = await browser.post(path, f);
      assert.equal(res.status, 403, `${what}: ${res.status}`);
      assert.equal(res.headers.get('location'), null, what);
      assert.equal(res.headers.getSetCookie().some((c) => c.startsWith('pa_session=')), false, `${what}: no session`);
      assertPageHeaders(res, what);
    }
    // The genuine form still works afterwards: 303 onwards.
    const ok = await b.post(path, new URLSearchParams({ tx, csrf, ...creds }));
    assert.equal(ok.status, 303);

    // The consent form is protected the same way.
    const consentLocation = ok.headers.get('location')!;
    assert.match(consentLocation, /\/consent\?tx=/);
    const consent = await (await b.go(consentLocation)).text();
    const ctx = hiddenField(consent, 'tx');
    const cpath = consentLocation.split('?')[0];
    const bad = await b.post(cpath, new URLSearchParams({ tx: ctx, csrf: 'AAAA', decision: 'allow', scope: 'patient/*.rs' }));
    assert.equal(bad.status, 403);
    const stolen = await new FormBrowser(server.baseUrl).post(cpath, new URLSearchParams({ tx: ctx, csrf: hiddenField(consent, 'csrf'), decision: 'allow', scope: 'patient/*.rs' }));
    assert.equal(stolen.status, 403, 'the consent token without the cookie');
  });

  test('every POST of the screens answers 303, and the pages carry anti-framing and no-store headers', async () => {
    const b = new FormBrowser(server.baseUrl);
    const start = await get(params(), b);
    assert.equal(start.status, 303);
    let location = start.headers.get('location')!;
    const seen: string[] = [];
    for (let step = 0; step < 6 && location.startsWith('/'); step++) {
      const page = await b.go(location);
      assert.equal(page.status, 200);
      assertPageHeaders(page, location);
      const html = await page.text();
      const path = location.split('?')[0];
      seen.push(path.split('/').pop()!);
      const f = new URLSearchParams({ tx: hiddenField(html, 'tx'), csrf: hiddenField(html, 'csrf') });
      if (path.endsWith('/authenticate')) {
        f.set('username', 'david.smith');
        f.set('password', DEMO_PASSWORD);
      } else if (path.endsWith('/choose-patient')) f.set('patient', DEMO_PATIENTS.david);
      else {
        f.set('decision', 'allow');
        f.append('scope', 'patient/*.rs');
      }
      const res = await b.post(path, f);
      assert.equal(res.status, 303, `POST ${path}`);
      location = res.headers.get('location')!;
    }
    assert.deepEqual(seen, ['authenticate', 'choose-patient', 'consent']);
    assert.ok(new URL(location).searchParams.get('code'));
    // Error pages and an expired transaction carry the same headers.
    await assertErrorPage(await get(params({ client_id: 'nope' })), 'error page');
    const expired = await new FormBrowser(server.baseUrl).go(`${new URL(server.issuer).pathname}/login-actions/authenticate?tx=${'A'.repeat(32)}`);
    assert.equal(expired.status, 400);
    assertPageHeaders(expired, 'expired transaction');
    // A wrong password shows the form again (not a redirect) with the same headers.
    const b2 = new FormBrowser(server.baseUrl);
    const loc = assertAccepted(await get(params(), b2), 'start');
    const html = await (await b2.go(loc)).text();
    const wrong = await b2.post(loc.split('?')[0], new URLSearchParams({ tx: hiddenField(html, 'tx'), csrf: hiddenField(html, 'csrf'), username: 'nobody', password: 'nope' }));
    assert.equal(wrong.status, 401);
    assertPageHeaders(wrong, 'failed sign-in');
  });

  test('the patient picker accepts only the account’s own patients; a forged choice never reaches consent', async () => {
    // david.smith: an id outside his account is refused on the picker.
    const b = new FormBrowser(server.baseUrl);
    let location = assertAccepted(await get(params(), b), 'david');
    let html = await (await b.go(location)).text();
    let res = await b.post(location.split('?')[0], new URLSearchParams({ tx: hiddenField(html, 'tx'), csrf: hiddenField(html, 'csrf'), username: 'david.smith', password: DEMO_PASSWORD }));
    location = res.headers.get('location')!;
    assert.match(location, /choose-patient/);
    html = await (await b.go(location)).text();
    const choose = location.split('?')[0];
    for (const forged of ['99999999', '4007450', `Patient/${DEMO_PATIENTS.anna}x`, '']) {
      res = await b.post(choose, new URLSearchParams({ tx: hiddenField(html, 'tx'), csrf: hiddenField(html, 'csrf'), patient: forged }));
      assert.notEqual(res.status, 303, `forged patient ${forged}`);
      assert.equal(res.headers.get('location'), null);
    }
    // anna.smith (one patient): posting David's id to the picker changes nothing; her token is for her.
    const b2 = new FormBrowser(server.baseUrl);
    const { verifier, challenge } = pkce();
    location = assertAccepted(await get(params({ code_challenge: challenge }), b2), 'anna');
    html = await (await b2.go(location)).text();
    const tx = hiddenField(html, 'tx');
    res = await b2.post(location.split('?')[0], new URLSearchParams({ tx, csrf: hiddenField(html, 'csrf'), username: 'anna.smith', password: DEMO_PASSWORD }));
    const consentLocation = res.headers.get('location')!;
    assert.match(consentLocation, /consent/);
    const consentHtml = await (await b2.go(consentLocation)).text();
    const forged = await b2.post(choose, new URLSearchParams({ tx, csrf: hiddenField(consentHtml, 'csrf'), patient: DEMO_PATIENTS.david }));
    assert.notEqual(forged.status, 303, 'anna choosing David');
    const back = await walk(b2, consentLocation);
    const tokenRes = await exchange({ grant_type: 'authorization_code', code: back.searchParams.get('code')!, redirect_uri: REDIRECT, code_verifier: verifier }, BASIC);
    const t = await tokenRes.json();
    assert.equal(t.patient, DEMO_PATIENTS.anna);
    assert.equal((await fetch(`${server.fhirBase}/Patient/${DEMO_PATIENTS.david}`, { headers: { authorization: `Bearer ${t.access_token}` } })).status, 404);
  });

  // ---- key rotation --------------------------------------------------------------------------

  test('key rotation: a token issued before still works, tokens after carry the new kid, the JWKS lists both', async () => {
    const before = await obtainTokens(server, { patient: DEMO_PATIENTS.anna });
    const oldKid = decodeProtectedHeader(before.access_token).kid;
    assert.ok(oldKid);
    const rotated = await server.auth.keys.rotate();
    assert.notEqual(rotated.kid, oldKid);
    assert.ok(rotated.retired.includes(oldKid!));
    // The earlier token was never used before the rotation: it is verified now, with the retired key.
    const read = await fetch(`${server.fhirBase}/Patient/${DEMO_PATIENTS.anna}`, { headers: { authorization: `Bearer ${before.access_token}` } });
    assert.equal(read.status, 200);
    const after = await obtainTokens(server, { patient: DEMO_PATIENTS.anna });
    assert.equal(decodeProtectedHeader(after.access_token).kid, rotated.kid);
    assert.equal(decodeProtectedHeader(after.id_token).kid, rotated.kid);
    assert.equal((await fetch(`${server.fhirBase}/Patient/${DEMO_PATIENTS.anna}`, { headers: { authorization: `Bearer ${after.access_token}` } })).status, 200);
    // A refresh of the earlier grant is signed with the new key.
    const refreshed = await (await exchange({ grant_type: 'refresh_token', refresh_token: before.refresh_token }, BASIC)).json();
    assert.equal(decodeProtectedHeader(refreshed.access_token).kid, rotated.kid);
    const jwks = await (await fetch(`${server.issuer}/protocol/openid-connect/certs`)).json();
    const kids = (jwks.keys as { kid: string; d?: string; p?: string }[]).map((k) => k.kid);
    assert.ok(kids.includes(oldKid!) && kids.includes(rotated.kid), JSON.stringify(kids));
    for (const k of jwks.keys as Record<string, unknown>[]) for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(k[priv], undefined, 'no private part in the JWKS');
  });
});

// ---- logs --------------------------------------------------------------------------------------

describe('logs at trace level carry no secret', () => {
  let fx: StoreFixture;
  let server: AuthTestServer;
  const chunks: string[] = [];

  before(async () => {
    fx = await sqliteFixture();
    const port = await freePort();
    const settings = loadSettings({
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      LOG_LEVEL: 'trace',
      DEMO_PASSWORD,
      ...NO_LIMITS,
    } as NodeJS.ProcessEnv);
    await seedDemoPractice(fx.store, defaultRegistry(), { production: false });
    await seedDemoAuth({ store: fx.store, password: DEMO_PASSWORD });
    const stream = new Writable({
      write(chunk, _enc, done) {
        chunks.push(String(chunk));
        done();
      },
    });
    const built = await buildServerWithAuth({ settings, store: fx.store, logger: { level: 'trace', stream } });
    await built.app.listen({ port, host: '127.0.0.1' });
    server = {
      ...built,
      settings,
      baseUrl: settings.publicUrl,
      fhirBase: settings.fhirBaseUrl,
      issuer: settings.issuer,
      tokenUrl: `${settings.issuer}/protocol/openid-connect/token`,
      close: () => built.app.close(),
    };
  });
  after(async () => {
    await server?.close();
    await fx?.cleanup();
  });

  test('a full flow, a refresh, FHIR calls and failures leave no password, secret, code, token or verifier in the log', async () => {
    const secrets: [string, string][] = [
      ['password', DEMO_PASSWORD],
      ['client secret', DEMO_CLIENTS.confidential.secret],
    ];
    const token = (form: Record<string, string>, auth: string | undefined = BASIC) =>
      fetch(server.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: auth } : {}) },
        body: new URLSearchParams(form),
      });
    const fhir = (path: string, t: string) => fetch(`${server.fhirBase}/${path}`, { headers: { authorization: `Bearer ${t}` } });

    // A wrong password first (the attempted one must not be logged either).
    const wrongPassword = 'Wrong-Passw0rd-' + randomBytes(6).toString('hex');
    secrets.push(['wrong password', wrongPassword]);
    await assert.rejects(authorizeWithForms(server, { username: 'anna.smith', password: wrongPassword }));

    // The full flow, by hand so the code and verifier are known.
    const { redirect, verifier, redirectUri } = await authorizeWithForms(server, { username: 'anna.smith' });
    const code = redirect.searchParams.get('code')!;
    secrets.push(['code', code], ['code_verifier', verifier]);
    // A wrong verifier with a wrong code, then the good exchange, then the same code again (reuse).
    await token({ grant_type: 'authorization_code', code: code + 'x', redirect_uri: redirectUri, code_verifier: verifier });
    const res = await token({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier });
    assert.equal(res.status, 200);
    const t = await res.json();
    secrets.push(['access_token', t.access_token], ['refresh_token', t.refresh_token], ['id_token', t.id_token]);
    secrets.push(['access token signature', t.access_token.split('.')[2]], ['id token signature', t.id_token.split('.')[2]]);

    assert.equal((await fhir(`Patient/${DEMO_PATIENTS.anna}`, t.access_token)).status, 200);
    assert.equal((await fhir(`Patient/${DEMO_PATIENTS.david}`, t.access_token)).status, 404);
    assert.equal((await fhir('Observation?_count=1', t.access_token)).status, 200);
    assert.equal((await fhir(`Observation?patient=${DEMO_PATIENTS.anna}&_count=1&access_token=${t.access_token}`, t.access_token)).status, 400);
    assert.equal((await fhir('Patient', t.access_token.slice(0, -4) + 'AAAA')).status, 401);

    const r = await token({ grant_type: 'refresh_token', refresh_token: t.refresh_token });
    assert.equal(r.status, 200);
    const t2 = await r.json();
    secrets.push(['refreshed access_token', t2.access_token], ['rotated refresh_token', t2.refresh_token]);
    assert.equal((await fhir(`Patient/${DEMO_PATIENTS.anna}`, t2.access_token)).status, 200);

    // Failures with secrets in them: wrong client secret, bad refresh token, introspection and revocation.
    const wrongSecret = 'wrong-secret-' + randomBytes(6).toString('hex');
    secrets.push(['wrong client secret', wrongSecret]);
    assert.equal((await token({ grant_type: 'refresh_token', refresh_token: t2.refresh_token }, 'Basic ' + Buffer.from(`${CONFIDENTIAL}:${wrongSecret}`).toString('base64'))).status, 401);
    assert.equal((await token({ grant_type: 'refresh_token', refresh_token: 'not-a-refresh-token' })).status, 400);
    await fetch(`${server.issuer}/protocol/openid-connect/token/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: BASIC },
      body: new URLSearchParams({ token: t2.access_token }),
    });
    await fetch(`${server.issuer}/protocol/openid-connect/userinfo`, { headers: { authorization: `Bearer ${t2.access_token}` } });
    // The code a second time (reuse revokes) and the old refresh token again (replay revokes).
    assert.equal((await token({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier })).status, 400);
    assert.equal((await token({ grant_type: 'refresh_token', refresh_token: t.refresh_token })).status, 400);
    await fetch(`${server.issuer}/protocol/openid-connect/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: BASIC },
      body: new URLSearchParams({ token: t2.refresh_token }),
    });
    assert.equal((await fhir(`Patient/${DEMO_PATIENTS.anna}`, t2.access_token)).status, 401);

    await new Promise((resolve) => setTimeout(resolve, 50));
    const log = chunks.join('');
    // The log is really there, at trace level, with the requests in it.
    assert.ok(log.length > 1000, `log captured (${log.length} chars)`);
    assert.match(log, /"level":10|"level":20|"level":30/);
    assert.match(log, /\/protocol\/openid-connect\/token/);
    assert.match(log, /\/api\/fhir\/r4\/Patient/);
    for (const [what, value] of secrets) {
      assert.ok(value && value.length >= 8, `${what} is known`);
      assert.ok(!log.includes(value), `the log contains the ${what}`);
      assert.ok(!log.includes(encodeURIComponent(value)), `the log contains the ${what} (URL-encoded)`);
    }
    assert.ok(!log.includes(Buffer.from(`${CONFIDENTIAL}:${DEMO_CLIENTS.confidential.secret}`).toString('base64')), 'the log contains the Basic credentials');
  });
});
