/**
 * Developer registration end to end over real HTTP on each store (issue 4 points 1–2, SPEC §9): the
 * HTML form (CSRF, per-field errors that keep the entered values), the JSON API (every field rule,
 * content types, malformed JSON, the body limit; nothing stored on any error), the status page behind
 * its secret link (pending → approved with the secret shown once → not again; rejected; wrong key 404),
 * then real launches with the issued credentials, and disable / enable / rotate-secret cutting the
 * client off at once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { hashSecret } from '../../src/auth/secrets.js';
import { REGISTRATION_BODY_LIMIT } from '../../src/admin/developer-pages.js';
import {
  AdminError,
  approveRegistration,
  disableClient,
  enableClient,
  rejectRegistration,
  rotateClientSecret,
  setClientRedirects,
} from '../../src/admin/clients.js';
import { ValidationError, redirectUriProblem, checkJwks } from '../../src/admin/registrations.js';
import { REFERENCE_RE, RegistrationStore, registrationSealKey, seal, unseal } from '../../src/store/registrations.js';
import { storeKinds, type StoreFixture } from '../helpers/stores.js';
import { authorizeWithForms, FormBrowser, hiddenField, obtainTokens, startAuthServer, type AuthTestServer } from '../helpers/auth-server.js';

/** The whole server, seeded with the demo practice, apps and logins. */
const startServer = (fx: StoreFixture): Promise<AuthTestServer> => startAuthServer(fx);

const VALID = {
  contact_email: 'dev@example.com',
  organization_name: 'Example Health Apps',
  organization_description: 'We build apps that help patients keep track of their care.',
  application_name: 'My Health Diary',
  use_case: 'Shows the patient their lab results and medications over time.',
  redirect_uris: ['https://app.example.com/callback', 'http://127.0.0.1/callback'],
  client_type: 'confidential',
};

function rsaJwk(bits = 2048, extra: Record<string, unknown> = {}) {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return { pub: { ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS384', use: 'sig', ...extra }, priv: privateKey.export({ format: 'jwk' }) };
}
function ecJwk(curve: 'P-384' | 'P-256') {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: curve === 'P-384' ? 'secp384r1' : 'prime256v1' });
  return publicKey.export({ format: 'jwk' });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits past the current whole second (token `iat` has whole-second precision). */
const nextSecond = () => sleep(1000 - (Date.now() % 1000) + 20);

for (const kind of storeKinds()) {
  describe(`developer registration (${kind.name})`, { skip: kind.skip }, () => {
    let fx: StoreFixture;
    let server: AuthTestServer;
    const count = async () => Number(((await fx.store.sql.all<{ n: unknown }>('SELECT COUNT(*) AS n FROM registrations'))[0]).n);
    const api = (body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
      fetch(`${server.baseUrl}/developers/registrations`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
    const register = async (body: Record<string, unknown> = VALID) => {
      const res = await api(body);
      const json = (await res.json()) as { reference: string; status: string; status_url: string; errors?: unknown };
      assert.equal(res.status, 201, JSON.stringify(json));
      return json;
    };
    const status = async (url: string) => {
      const res = await fetch(url, { headers: { accept: 'application/json' } });
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };
    const fhir = (path: string, token: string) => fetch(`${server.fhirBase}/${path}`, { headers: { authorization: `Bearer ${token}` } });
    const basic = (id: string, secret: string) => 'Basic ' + Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64');
    /** A launch with a confidential client's own credentials (HTTP Basic at the token endpoint). */
    const launchConfidential = async (clientId: string, secret: string) => {
      const { redirect, verifier, redirectUri } = await authorizeWithForms(server, { clientId, redirectUri: 'http://127.0.0.1:9/callback', patient: '428946492' });
      const code = redirect.searchParams.get('code');
      assert.ok(code, `no code: ${redirect}`);
      const res = await fetch(server.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(clientId, secret) },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: code!, redirect_uri: redirectUri, code_verifier: verifier }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };
    const refresh = (clientId: string, secret: string, refreshToken: string) =>
      fetch(server.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(clientId, secret) },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
      });
    /** Polls until the FHIR API refuses the token (revocation state is rechecked within a second). */
    const refusedWithin = async (token: string, ms = 1500) => {
      const start = Date.now();
      for (;;) {
        const res = await fhir('Patient/428946492', token);
        if (res.status === 401) return Date.now() - start;
        if (Date.now() - start > ms) assert.fail(`still ${res.status} after ${ms} ms`);
        await sleep(100);
      }
    };

    before(async () => {
      fx = await kind.create();
      server = await startServer(fx);
    });
    after(async () => {
      await server?.close();
      await fx?.cleanup();
    });

    test('the HTML form: accessible fields, CSRF, strict CSP, 303 to the status page', async () => {
      const b = new FormBrowser(server.baseUrl);
      const res = await b.go('/developers');
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'; style-src 'nonce-/);
      assert.equal(res.headers.get('x-frame-options'), 'DENY');
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.ok(b.cookies.has('pa_dev_csrf'));
      const page = await res.text();
      assert.doesNotMatch(page, /<script/i);
      const nonce = /style-src 'nonce-([^']+)'/.exec(res.headers.get('content-security-policy')!)![1];
      assert.equal([...page.matchAll(/<style nonce="([^"]+)"/g)].length, 1);
      assert.ok(page.includes(`<style nonce="${nonce}">`));
      assert.doesNotMatch(page, / style="/);
      for (const [field, label] of [
        ['contact_email', 'Contact e-mail'],
        ['organization_name', 'Organization name'],
        ['organization_description', 'Organization description'],
        ['application_name', 'Application name'],
        ['use_case', 'Use case'],
        ['redirect_uris', 'Redirect URIs'],
        ['jwks_uri', 'JWKS URL'],
        ['jwks', 'JWKS'],
      ]) {
        assert.match(page, new RegExp(`<label for="f-${field}">${label}`), field);
        assert.match(page, new RegExp(`id="f-${field}" name="${field}"`), field);
      }
      assert.match(page, /<textarea id="f-redirect_uris" name="redirect_uris"/);
      for (const t of ['confidential', 'public', 'asymmetric']) assert.match(page, new RegExp(`type="radio" id="f-client_type-${t}" name="client_type" value="${t}"`));
      assert.match(page, /<legend>Client type<\/legend>/);

      const before = await count();
      const form = new URLSearchParams({ ...VALID, redirect_uris: 'https://app.example.com/callback\r\n\r\nhttp://localhost:3000/cb\r\n', csrf: hiddenField(page, 'csrf') });
      const posted = await b.post('/developers', form);
      assert.equal(posted.status, 303);
      const location = posted.headers.get('location')!;
      assert.match(location, /^\/developers\/registrations\/REG-[A-Z0-9]{4}-[A-Z0-9]{4}\?key=[A-Za-z0-9_-]{43}$/);
      assert.equal(await count(), before + 1);
      const statusPage = await b.go(location);
      assert.equal(statusPage.status, 200);
      const text = await statusPage.text();
      assert.match(text, /Waiting for review/);
      assert.match(text, /My Health Diary/);
      assert.match(text, /http:\/\/localhost:3000\/cb/);
      const reference = /REG-[A-Z0-9]{4}-[A-Z0-9]{4}/.exec(location)![0];
      assert.deepEqual((await new RegistrationStore(fx.store.sql).get(reference))?.redirectUris, ['https://app.example.com/callback', 'http://localhost:3000/cb']);
    });

    test('the HTML form shows each error next to its field, keeps the values, and stores nothing', async () => {
      const b = new FormBrowser(server.baseUrl);
      const page = await (await b.go('/developers')).text();
      const before = await count();
      const form = new URLSearchParams({
        csrf: hiddenField(page, 'csrf'),
        contact_email: 'not-an-email',
        organization_name: 'Org <b>"quoted"</b>',
        organization_description: 'x'.repeat(4001),
        application_name: '',
        use_case: 'Reads labs',
        redirect_uris: 'http://app.example.com/callback\nhttps://app.example.com/cb?x=1\nhttps://app.example.com/cb#frag',
      });
      const res = await b.post('/developers', form);
      assert.equal(res.status, 400);
      const html = await res.text();
      assert.equal(await count(), before);
      assert.match(html, /<div class="alert" role="alert" id="error-summary">/);
      for (const field of ['contact_email', 'organization_description', 'application_name', 'redirect_uris', 'client_type']) {
        assert.match(html, new RegExp(`id="f-${field}-error"`), field);
        assert.match(html, new RegExp(`aria-describedby="[^"]*f-${field}-error"`), field);
        assert.match(html, new RegExp(`<a href="#f-${field === 'client_type' ? 'client_type-confidential' : field}">`), field);
      }
      assert.match(html, /id="f-contact_email"[^>]*aria-invalid="true"/);
      assert.match(html, /not a valid e-mail address/);
      assert.match(html, /must use https/);
      assert.match(html, /query string/);
      assert.match(html, /fragment/);
      assert.match(html, /Application name is required/);
      assert.match(html, /at most 4000 characters/);
      assert.match(html, /Choose a client type/);
      // The entered values come back, escaped.
      assert.match(html, /value="not-an-email"/);
      assert.match(html, /value="Org &lt;b&gt;&quot;quoted&quot;&lt;\/b&gt;"/);
      assert.match(html, /https:\/\/app\.example\.com\/cb\?x=1/);
      assert.doesNotMatch(html, /<b>"quoted"/);
      assert.match(html, /name="csrf" value="[^"]+"/);
    });

    test('the HTML form refuses a missing or forged CSRF token and a wrong content type', async () => {
      const before = await count();
      const b = new FormBrowser(server.baseUrl);
      await b.go('/developers');
      const bad = await b.post('/developers', new URLSearchParams({ ...VALID, redirect_uris: VALID.redirect_uris.join('\n'), csrf: 'forged' }));
      assert.equal(bad.status, 403);
      assert.match(await bad.text(), /This form has expired/);
      const fresh = new FormBrowser(server.baseUrl);
      const none = await fresh.post('/developers', new URLSearchParams({ ...VALID, redirect_uris: VALID.redirect_uris.join('\n') }));
      assert.equal(none.status, 403);
      // A token from another browser's cookie does not fit this one.
      const other = new FormBrowser(server.baseUrl);
      const otherCsrf = hiddenField(await (await other.go('/developers')).text(), 'csrf');
      const crossed = await b.post('/developers', new URLSearchParams({ ...VALID, redirect_uris: VALID.redirect_uris.join('\n'), csrf: otherCsrf }));
      assert.equal(crossed.status, 403);
      const json = await b.go('/developers', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(VALID) });
      assert.equal(json.status, 415);
      assert.equal(await count(), before);
    });

    test('the JSON API: 201 {reference, status, status_url}; also as a form; loopback URIs accepted', async () => {
      const created = await register({ ...VALID, redirect_uris: ['https://a.example.com/cb', 'http://127.0.0.1:8765/cb', 'http://[::1]/cb', 'http://localhost:3000/cb'] });
      assert.match(created.reference, REFERENCE_RE);
      assert.equal(created.status, 'pending');
      assert.ok(created.status_url.startsWith(`${server.baseUrl}/developers/registrations/${created.reference}?key=`));
      assert.deepEqual(Object.keys(created).sort(), ['reference', 'status', 'status_url']);

      const form = new URLSearchParams({ ...VALID, redirect_uris: 'https://a.example.com/one' });
      form.append('redirect_uris', 'https://a.example.com/two');
      const res = await api(form.toString(), { 'content-type': 'application/x-www-form-urlencoded' });
      assert.equal(res.status, 201);
      const body = (await res.json()) as { reference: string };
      assert.deepEqual((await new RegistrationStore(fx.store.sql).get(body.reference))?.redirectUris, ['https://a.example.com/one', 'https://a.example.com/two']);

      // The status secret is stored only as a hash.
      const key = new URL(created.status_url).searchParams.get('key')!;
      const rec = await new RegistrationStore(fx.store.sql).get(created.reference);
      assert.equal(rec!.statusSecretHash, hashSecret(key));
      const dump = JSON.stringify(await fx.store.sql.all('SELECT * FROM registrations'));
      assert.ok(!dump.includes(key));
    });

    test('asymmetric clients: an inline JWKS or a JWKS URL', async () => {
      const { pub } = rsaJwk();
      const a = await register({ ...VALID, client_type: 'asymmetric', jwks: { keys: [pub] } });
      const stored = await new RegistrationStore(fx.store.sql).get(a.reference);
      assert.deepEqual(JSON.parse(stored!.jwks!), { keys: [pub] });
      await register({ ...VALID, client_type: 'asymmetric', jwks: JSON.stringify({ keys: [ecJwk('P-384')] }) });
      const u = await register({ ...VALID, client_type: 'asymmetric', jwks_uri: 'https://app.example.com/.well-known/jwks.json' });
      assert.equal((await new RegistrationStore(fx.store.sql).get(u.reference))?.jwksUri, 'https://app.example.com/.well-known/jwks.json');
    });

    test('every bad field is refused with the field named, and nothing is stored', async () => {
      const { pub, priv } = rsaJwk();
      const { pub: short } = rsaJwk(1024);
      const omit = (k: string) => Object.fromEntries(Object.entries(VALID).filter(([key]) => key !== k));
      const cases: [string, unknown, string, RegExp?][] = [
        ['http callback', { ...VALID, redirect_uris: ['http://app.example.com/callback'] }, 'redirect_uris', /https/],
        ['query string', { ...VALID, redirect_uris: ['https://app.example.com/callback?a=1'] }, 'redirect_uris', /query/],
        ['empty query', { ...VALID, redirect_uris: ['https://app.example.com/callback?'] }, 'redirect_uris', /query/],
        ['fragment', { ...VALID, redirect_uris: ['https://app.example.com/callback#x'] }, 'redirect_uris', /fragment/],
        ['relative', { ...VALID, redirect_uris: ['/callback'] }, 'redirect_uris', /absolute/],
        ['custom scheme', { ...VALID, redirect_uris: ['com.example.app:/callback'] }, 'redirect_uris', /https/],
        ['credentials', { ...VALID, redirect_uris: ['https://user:pw@app.example.com/cb'] }, 'redirect_uris', /password/],
        ['too long URI', { ...VALID, redirect_uris: ['https://app.example.com/' + 'a'.repeat(2000)] }, 'redirect_uris', /2000/],
        ['no URIs', { ...VALID, redirect_uris: [] }, 'redirect_uris', /at least one/],
        ['URIs not a list', { ...VALID, redirect_uris: 'https://app.example.com/cb' }, 'redirect_uris', /list/],
        ['too many URIs', { ...VALID, redirect_uris: Array.from({ length: 11 }, (_, i) => `https://a.example.com/${i}`) }, 'redirect_uris', /At most 10/],
        ['bad email', { ...VALID, contact_email: 'dev@' }, 'contact_email', /e-mail/],
        ['email too long', { ...VALID, contact_email: 'a'.repeat(250) + '@example.com' }, 'contact_email', /254/],
        ['name too long', { ...VALID, organization_name: 'x'.repeat(201) }, 'organization_name', /200/],
        ['app name too long', { ...VALID, application_name: 'x'.repeat(201) }, 'application_name', /200/],
        ['description too long', { ...VALID, organization_description: 'x'.repeat(4001) }, 'organization_description', /4000/],
        ['use case too long', { ...VALID, use_case: 'x'.repeat(4001) }, 'use_case', /4000/],
        ['blank name', { ...VALID, organization_name: '   ' }, 'organization_name', /required/],
        ['name with a line break', { ...VALID, application_name: 'My\nApp' }, 'application_name', /line breaks/],
        ['number as name', { ...VALID, application_name: 42 }, 'application_name', /text/],
        ['bad client type', { ...VALID, client_type: 'private' }, 'client_type', /confidential, public or asymmetric/],
        ['asymmetric without keys', { ...VALID, client_type: 'asymmetric' }, 'jwks_uri', /JWKS/],
        ['asymmetric with both', { ...VALID, client_type: 'asymmetric', jwks_uri: 'https://a.example.com/jwks', jwks: { keys: [pub] } }, 'jwks', /not both/],
        ['http JWKS URL', { ...VALID, client_type: 'asymmetric', jwks_uri: 'http://a.example.com/jwks' }, 'jwks_uri', /https/],
        ['JWKS not JSON', { ...VALID, client_type: 'asymmetric', jwks: '{"keys": [' }, 'jwks', /not valid JSON/],
        ['JWKS without keys', { ...VALID, client_type: 'asymmetric', jwks: { keys: [] } }, 'jwks', /no keys/],
        ['JWKS not a set', { ...VALID, client_type: 'asymmetric', jwks: [pub] }, 'jwks', /"keys"/],
        ['private key in JWKS', { ...VALID, client_type: 'asymmetric', jwks: { keys: [{ ...priv, kid: 'p' }] } }, 'jwks', /private key material/],
        ['symmetric key in JWKS', { ...VALID, client_type: 'asymmetric', jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }, 'jwks', /private key material/],
        ['short RSA key', { ...VALID, client_type: 'asymmetric', jwks: { keys: [short] } }, 'jwks', /2048/],
        ['P-256 key', { ...VALID, client_type: 'asymmetric', jwks: { keys: [ecJwk('P-256')] } }, 'jwks', /P-384/],
        ['RS256-only key', { ...VALID, client_type: 'asymmetric', jwks: { keys: [{ ...pub, alg: 'RS256' }] } }, 'jwks', /RS384/],
        ['garbage key', { ...VALID, client_type: 'asymmetric', jwks: { keys: [{ kty: 'RSA', n: 'AAAA', e: 'AQAB' }] } }, 'jwks'],
        ['JWKS on a confidential client', { ...VALID, jwks: { keys: [pub] } }, 'jwks', /asymmetric/],
        ['misspelt field', { ...VALID, redirect_uri: 'https://a.example.com/cb' }, 'redirect_uri', /redirect_uris/],
        ['not an object', [VALID], 'body'],
      ];
      for (const field of ['contact_email', 'organization_name', 'organization_description', 'application_name', 'use_case', 'redirect_uris', 'client_type']) {
        cases.push([`missing ${field}`, omit(field), field]);
      }
      const before = await count();
      for (const [name, body, field, message] of cases) {
        const res = await api(body);
        assert.equal(res.status, 400, name);
        assert.match(res.headers.get('content-type') ?? '', /application\/json/);
        const { errors } = (await res.json()) as { errors: { field: string; message: string }[] };
        const hit = errors.find((e) => e.field === field);
        assert.ok(hit, `${name}: expected an error for ${field}, got ${JSON.stringify(errors)}`);
        if (message) assert.match(hit!.message, message, name);
        for (const e of errors) assert.ok(e.message.length > 5 && !/invalid_type|expected string/.test(e.message), `${name}: plain words: ${e.message}`);
      }
      // All problems at once, in the form's order.
      const all = await api({ redirect_uris: ['http://x.example.com/cb'], client_type: 'x' });
      const fields = ((await all.json()) as { errors: { field: string }[] }).errors.map((e) => e.field);
      assert.deepEqual(fields, ['contact_email', 'organization_name', 'organization_description', 'application_name', 'use_case', 'redirect_uris', 'client_type']);
      assert.equal(await count(), before);
    });

    test('content type 415, malformed JSON 400, body limit 413 — all JSON, nothing stored', async () => {
      const before = await count();
      const t = await api(JSON.stringify(VALID), { 'content-type': 'text/plain' });
      assert.equal(t.status, 415);
      assert.equal(((await t.json()) as { errors: { field: string }[] }).errors[0].field, 'content-type');
      const none = await fetch(`${server.baseUrl}/developers/registrations`, { method: 'POST' });
      assert.equal(none.status, 415);
      const m = await api('{"contact_email": ');
      assert.equal(m.status, 400);
      assert.match(((await m.json()) as { errors: { message: string }[] }).errors[0].message, /not valid JSON/);
      const big = await api(JSON.stringify({ ...VALID, use_case: 'x'.repeat(REGISTRATION_BODY_LIMIT) }));
      assert.equal(big.status, 413);
      assert.match(big.headers.get('content-type') ?? '', /application\/json/);
      assert.equal(((await big.json()) as { errors: { field: string }[] }).errors[0].field, 'body');
      assert.equal(await count(), before);
    });

    test('the status page: a wrong, missing or foreign key is a 404 that does not tell whether the reference exists', async () => {
      const a = await register();
      const b = await register();
      const url = new URL(a.status_url);
      const keyB = new URL(b.status_url).searchParams.get('key')!;
      const variants = [
        `${url.origin}${url.pathname}`,
        `${url.origin}${url.pathname}?key=`,
        `${url.origin}${url.pathname}?key=${keyB}`,
        // One character changed (never to itself).
        `${url.origin}${url.pathname}?key=${url.searchParams.get('key')!.slice(0, -1)}${url.searchParams.get('key')!.endsWith('A') ? 'B' : 'A'}`,
        `${url.origin}/developers/registrations/REG-2222-2222?key=${url.searchParams.get('key')}`,
        `${url.origin}/developers/registrations/nonsense?key=${url.searchParams.get('key')}`,
      ];
      const bodies = new Set<string>();
      for (const v of variants) {
        const j = await fetch(v, { headers: { accept: 'application/json' } });
        assert.equal(j.status, 404, v);
        bodies.add(await j.text());
        const h = await fetch(v);
        assert.equal(h.status, 404, v);
        assert.match(h.headers.get('content-type') ?? '', /text\/html/);
      }
      assert.equal(bodies.size, 1);
      // The reference is read case-insensitively (people type it).
      const lower = await fetch(`${url.origin}/developers/registrations/${a.reference.toLowerCase()}${url.search}`, { headers: { accept: 'application/json' } });
      assert.equal(lower.status, 200);
      const ok = await status(a.status_url);
      assert.equal(ok.status, 200);
      assert.equal(ok.body.status, 'pending');
      assert.equal(ok.body.reference, a.reference);
      assert.equal(ok.body.client_id, undefined);
    });

    test('approve: the status page shows the client id and the secret once, then says it was shown', async () => {
      const reg = await register();
      const approval = await approveRegistration(fx.store, reg.reference);
      assert.match(approval.clientId, /^my-health-diary-[a-z0-9]{6}$/);
      assert.ok(approval.secret && approval.secret.length >= 43);
      const client = await server.auth.authStore.getClient(approval.clientId);
      assert.equal(client?.secretHash, hashSecret(approval.secret!));
      assert.equal(client?.status, 'active');
      assert.deepEqual(client?.redirectUris, VALID.redirect_uris);
      assert.match(client!.scope, /patient\/\*\.rs/);
      // Sealed, never in clear.
      const sealedRow = JSON.stringify(await fx.store.sql.all('SELECT * FROM registrations WHERE reference = ?', [reg.reference]));
      assert.ok(!sealedRow.includes(approval.secret!));
      assert.ok((await new RegistrationStore(fx.store.sql).get(reg.reference))?.secretSealed);

      // A HEAD does not spend the one view.
      assert.notEqual((await fetch(reg.status_url, { method: 'HEAD' })).status, 200);
      const first = await status(reg.status_url);
      assert.equal(first.body.status, 'approved');
      assert.equal(first.body.client_id, approval.clientId);
      assert.equal(first.body.client_secret, approval.secret);
      assert.equal(first.body.client_secret_status, 'shown-now');
      assert.match(first.body.smart_configuration_url, /\/api\/fhir\/r4\/\.well-known\/smart-configuration$/);
      assert.equal((await new RegistrationStore(fx.store.sql).get(reg.reference))?.secretSealed, null);
      const second = await status(reg.status_url);
      assert.equal(second.body.client_id, approval.clientId);
      assert.equal(second.body.client_secret, undefined);
      assert.equal(second.body.client_secret_status, 'shown-before');
      assert.match(second.body.client_secret_note, /shown once already/);

      // The HTML page the same way.
      const reg2 = await register();
      const a2 = await approveRegistration(fx.store, reg2.reference);
      const h1 = await (await fetch(reg2.status_url)).text();
      assert.match(h1, /Approved/);
      assert.ok(h1.includes(a2.clientId));
      assert.ok(h1.includes(a2.secret!));
      const h2 = await (await fetch(reg2.status_url)).text();
      assert.ok(h2.includes(a2.clientId));
      assert.ok(!h2.includes(a2.secret!));
      assert.match(h2, /shown once already/);

      // Wrong state: approving again, rejecting an approved one; unknown references.
      await assert.rejects(approveRegistration(fx.store, reg.reference), (e: AdminError) => e.code === 'ADMIN_ERR_STATE' && /already approved/.test(e.message));
      await assert.rejects(rejectRegistration(fx.store, reg.reference, 'no'), (e: AdminError) => e.code === 'ADMIN_ERR_STATE');
      await assert.rejects(approveRegistration(fx.store, 'REG-2222-2222'), (e: AdminError) => e.code === 'ADMIN_ERR_NOT_FOUND' && /REG-2222-2222/.test(e.message));
      await assert.rejects(approveRegistration(fx.store, 'bogus'), (e: AdminError) => e.code === 'ADMIN_ERR_NOT_FOUND');
    });

    test('reject: the status page says so with the note; a rejected registration cannot be approved', async () => {
      const reg = await register();
      const clientsBefore = (await server.auth.authStore.listClients()).length;
      await rejectRegistration(fx.store, reg.reference.toLowerCase(), 'Please describe the use case in more detail.');
      const s = await status(reg.status_url);
      assert.equal(s.body.status, 'rejected');
      assert.equal(s.body.note, 'Please describe the use case in more detail.');
      assert.equal(s.body.client_id, undefined);
      const page = await (await fetch(reg.status_url)).text();
      assert.match(page, /Not approved/);
      assert.match(page, /Please describe the use case in more detail\./);
      await assert.rejects(approveRegistration(fx.store, reg.reference), (e: AdminError) => e.code === 'ADMIN_ERR_STATE' && /rejected/.test(e.message));
      await assert.rejects(rejectRegistration(fx.store, reg.reference), (e: AdminError) => e.code === 'ADMIN_ERR_STATE');
      assert.equal((await server.auth.authStore.listClients()).length, clientsBefore);
    });

    test('the sealed secret is bound to its registration and the server key', async () => {
      const key = await registrationSealKey(fx.store);
      assert.deepEqual(key, await registrationSealKey(fx.store));
      const sealed = seal(key, 'the-secret', 'REG-AAAA-BBBB');
      assert.equal(unseal(key, sealed, 'REG-AAAA-BBBB'), 'the-secret');
      assert.throws(() => unseal(key, sealed, 'REG-AAAA-CCCC'));
      assert.throws(() => unseal(Buffer.alloc(32), sealed, 'REG-AAAA-BBBB'));
      assert.throws(() => unseal(key, sealed.slice(0, -2) + 'AA', 'REG-AAAA-BBBB'));
    });

    test('issued confidential credentials launch; disable cuts the client off at once; enable lets it back in', async () => {
      const reg = await register();
      const { clientId, secret } = await approveRegistration(fx.store, reg.reference);
      const t = await launchConfidential(clientId, secret!);
      assert.equal(t.status, 200, JSON.stringify(t.body));
      assert.equal(t.body.patient, '428946492');
      assert.equal((await fhir('Patient/428946492', t.body.access_token)).status, 200);
      // A wrong secret is refused.
      const wrong = await launchConfidential(clientId, 'not-the-secret');
      assert.equal(wrong.status, 401);

      await disableClient(fx.store, clientId);
      const took = await refusedWithin(t.body.access_token);
      assert.ok(took <= 1500);
      const r = await refresh(clientId, secret!, t.body.refresh_token);
      assert.notEqual(r.status, 200);
      await assert.rejects(disableClient(fx.store, clientId), (e: AdminError) => e.code === 'ADMIN_ERR_STATE');
      // A disabled client cannot start a launch.
      await assert.rejects(launchConfidential(clientId, secret!));

      await enableClient(fx.store, clientId);
      await assert.rejects(enableClient(fx.store, clientId), (e: AdminError) => e.code === 'ADMIN_ERR_STATE');
      await nextSecond();
      const again = await launchConfidential(clientId, secret!);
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.equal((await fhir('Patient/428946492', again.body.access_token)).status, 200);
      // Tokens from before the disable stay dead.
      assert.equal((await fhir('Patient/428946492', t.body.access_token)).status, 401);
      await assert.rejects(disableClient(fx.store, 'no-such-client'), (e: AdminError) => e.code === 'ADMIN_ERR_NOT_FOUND');
    });

    test('rotating the secret: old secret refused, old tokens 401, the new secret works', async () => {
      const reg = await register();
      const { clientId, secret } = await approveRegistration(fx.store, reg.reference);
      const t = await launchConfidential(clientId, secret!);
      assert.equal(t.status, 200);
      const rotated = await rotateClientSecret(fx.store, clientId);
      assert.notEqual(rotated.secret, secret);
      assert.equal((await server.auth.authStore.getClient(clientId))?.secretHash, hashSecret(rotated.secret));
      await refusedWithin(t.body.access_token);
      const old = await refresh(clientId, secret!, t.body.refresh_token);
      assert.equal(old.status, 401);
      await nextSecond();
      const oldLaunch = await launchConfidential(clientId, secret!);
      assert.equal(oldLaunch.status, 401);
      const fresh = await launchConfidential(clientId, rotated.secret);
      assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
      assert.equal((await fhir('Patient/428946492', fresh.body.access_token)).status, 200);
      // The developer's status page no longer offers the (old) secret.
      const s = await status(reg.status_url);
      assert.equal(s.body.client_secret, undefined);
    });

    test('public clients: no secret; a launch with the issued client id works; no secret to rotate', async () => {
      const reg = await register({ ...VALID, client_type: 'public', application_name: 'Pocket Records!' });
      const a = await approveRegistration(fx.store, reg.reference);
      assert.equal(a.secret, undefined);
      assert.match(a.clientId, /^pocket-records-[a-z0-9]{6}$/);
      const s = await status(reg.status_url);
      assert.equal(s.body.client_id, a.clientId);
      assert.equal(s.body.client_secret, undefined);
      assert.equal(s.body.client_secret_status, undefined);
      const t = await obtainTokens(server, { clientId: a.clientId, redirectUri: 'http://127.0.0.1:4567/callback', patient: '428946523' });
      assert.equal((await fhir('Patient/428946523', t.access_token)).status, 200);
      await assert.rejects(rotateClientSecret(fx.store, a.clientId), (e: AdminError) => e.code === 'ADMIN_ERR_STATE' && /public client/.test(e.message));
    });

    test('set-redirects: validated like a registration; nothing changes on error', async () => {
      const reg = await register({ ...VALID, client_type: 'public' });
      const { clientId } = await approveRegistration(fx.store, reg.reference);
      for (const bad of [['http://evil.example.com/cb'], ['https://ok.example.com/cb', 'https://x.example.com/cb?q=1'], ['https://x.example.com/#f'], []]) {
        await assert.rejects(setClientRedirects(fx.store, clientId, bad), (e: ValidationError) => e instanceof ValidationError && e.errors[0].field === 'redirect_uris');
      }
      assert.deepEqual((await server.auth.authStore.getClient(clientId))?.redirectUris, VALID.redirect_uris);
      await setClientRedirects(fx.store, clientId, ['https://new.example.com/cb', 'http://127.0.0.1/native']);
      assert.deepEqual((await server.auth.authStore.getClient(clientId))?.redirectUris, ['https://new.example.com/cb', 'http://127.0.0.1/native']);
      const t = await obtainTokens(server, { clientId, redirectUri: 'http://127.0.0.1:5555/native', patient: '428946492' });
      assert.ok(t.access_token);
      await assert.rejects(obtainTokens(server, { clientId, redirectUri: 'http://127.0.0.1:9/callback', patient: '428946492' }));
      await assert.rejects(setClientRedirects(fx.store, 'no-such-client', ['https://a.example.com/cb']), (e: AdminError) => e.code === 'ADMIN_ERR_NOT_FOUND');
    });
  });
}

describe('registration rules (unit)', () => {
  test('redirect URIs', () => {
    for (const ok of ['https://a.example.com/cb', 'https://a.example.com', 'http://127.0.0.1/cb', 'http://127.0.0.1:8080/cb', 'http://[::1]:9/cb', 'http://localhost:3000/callback']) {
      assert.equal(redirectUriProblem(ok), undefined, ok);
    }
    for (const bad of ['http://a.example.com/cb', 'https://a.example.com/cb?x', 'https://a.example.com/cb#', 'cb', 'ftp://a.example.com/', 'https://a b.example.com/', 'http://127.0.0.2/cb', 'http://localhost.evil.com/cb']) {
      assert.ok(redirectUriProblem(bad), bad);
    }
  });
  test('JWKS', () => {
    const { pub } = rsaJwk();
    assert.equal(checkJwks({ keys: [pub] }).errors.length, 0);
    assert.equal(checkJwks({ keys: [ecJwk('P-256'), pub] }).errors.length, 0, 'one usable key is enough');
    assert.match(checkJwks({ keys: [pub, { ...pub, d: 'x' }] }).errors[0].message, /Key 2 contains private key material/);
    assert.match(checkJwks({ keys: [{ ...pub, use: 'enc' }] }).errors[0].message, /not for signatures/);
  });
});
