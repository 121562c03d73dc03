/**
 * The patient's own page `/account` over real HTTP (SQLite): sign-in with the same rules as the
 * authorization screens, the connected apps per patient with what each was granted, disconnecting an
 * app (its tokens stop working at once, the other app keeps working), only one's own grants, CSRF on
 * every form, sign-out, the access history, escaping, and the page headers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_CLIENTS } from '../../src/demo/auth-seed.js';
import { AuthStore } from '../../src/store/auth.js';
import { SIGN_IN_FAILED } from '../../src/auth/flow.js';
import { escapeHtml } from '../../src/auth/screens/escape.js';
import { type AccountHistoryRow, type AccountPageEvent } from '../../src/admin/account-page.js';
import { sqliteFixture, type StoreFixture } from '../helpers/stores.js';
import { DEMO_PASSWORD, FormBrowser, hiddenField, obtainTokens, startAuthServer, type AuthTestServer } from '../helpers/auth-server.js';

const DAVID = '428946492';
const ANNA = '428946523';
const ALEX = '429119572';
const NAMES: Record<string, string> = { [DAVID]: 'David Smith', [ANNA]: 'Anna Smith', [ALEX]: 'Alex Smith' };
const EVIL = 'evil-app';
const EVIL_NAME = '<script>alert(1)</script> Evil & Co';
const PUBLIC_SCOPE = 'openid fhirUser launch/patient offline_access patient/Observation.rs patient/AllergyIntolerance.rs';

/** Every `name="…" value="…"` pair of the form whose action is `action` (first such form). */
function formFields(page: string, action: string): URLSearchParams {
  const start = page.indexOf(`action="${action}"`);
  assert.ok(start >= 0, `no form posting to ${action}`);
  const form = page.slice(start, page.indexOf('</form>', start));
  const out = new URLSearchParams();
  for (const m of form.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) out.append(m[1], m[2]);
  return out;
}

/** The disconnect form of the app named `appName` under the patient section `patientId`. */
function disconnectForm(page: string, patientId: string, appName: string): URLSearchParams {
  const section = page.slice(page.indexOf(`id="patient-${patientId}"`));
  const card = section.slice(section.indexOf(`<h4>${escapeHtml(appName)}</h4>`));
  assert.ok(card.length < section.length, `${appName} is not listed under ${patientId}`);
  return formFields(card, '/account/disconnect');
}

function section(page: string, patientId: string): string {
  const start = page.indexOf(`id="patient-${patientId}"`);
  assert.ok(start >= 0, `no section for ${patientId}`);
  return page.slice(start, page.indexOf('</section>', start));
}

describe('the patient account page (sqlite)', () => {
  let fx: StoreFixture;
  let server: AuthTestServer;
  let authStore: AuthStore;
  const historyCalls: { username: string; patientIds: string[]; limit: number }[] = [];
  const events: AccountPageEvent[] = [];
  const fhir = (path: string, accessToken: string) => fetch(`${server.fhirBase}/${path}`, { headers: { authorization: `Bearer ${accessToken}` } });
  const refresh = (refreshToken: string, clientId: string) =>
    fetch(server.tokenUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(clientId === DEMO_CLIENTS.confidential.clientId
          ? { authorization: 'Basic ' + Buffer.from(`${clientId}:${DEMO_CLIENTS.confidential.secret}`).toString('base64') }
          : {}),
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, ...(clientId === DEMO_CLIENTS.public.clientId ? { client_id: clientId } : {}) }),
    });

  const signIn = async (username: string, password = DEMO_PASSWORD): Promise<{ b: FormBrowser; res: Response }> => {
    const b = new FormBrowser(server.baseUrl);
    const form = await b.go('/account');
    const csrf = hiddenField(await form.text(), 'csrf');
    const res = await b.post('/account/sign-in', new URLSearchParams({ csrf, username, password }));
    return { b, res };
  };
  const page = async (b: FormBrowser, url = '/account'): Promise<string> => {
    const res = await b.go(url);
    assert.equal(res.status, 200);
    return res.text();
  };

  before(async () => {
    fx = await sqliteFixture();
    // The server with the page as it is wired, its history and event sink replaced by test doubles.
    server = await startAuthServer(fx, {}, undefined, {
      accountPage: {
        lookupPatients: async (ids) => ids.map((id) => ({ id, name: NAMES[id] ?? `Patient ${id}` })),
        history: async (username, patientIds, limit) => {
          historyCalls.push({ username, patientIds, limit });
          const rows: AccountHistoryRow[] = [
            { recorded: Date.UTC(2025, 2, 4, 9, 5), clientId: DEMO_CLIENTS.public.clientId, patientId: ALEX, action: 'search', resourceTypes: ['Observation', 'AllergyIntolerance'], outcome: '0' },
            { recorded: Date.UTC(2025, 2, 4, 9, 4), clientId: DEMO_CLIENTS.confidential.clientId, patientId: ALEX, action: 'read', resourceTypes: ['Patient'], outcome: '4' },
            { recorded: Date.UTC(2025, 2, 3, 8, 0), clientId: EVIL, patientId: ALEX, action: 'read', resourceTypes: ['Condition'], outcome: 'success' },
            // Not a patient of this account: never shown.
            { recorded: Date.UTC(2025, 2, 2, 8, 0), clientId: DEMO_CLIENTS.public.clientId, patientId: 'someone-else', action: 'read', resourceTypes: ['Immunization'], outcome: '0' },
          ];
          return rows.filter((r) => !r.patientId || patientIds.includes(r.patientId) || r.patientId === 'someone-else');
        },
        onEvent: (e) => {
          events.push(e);
        },
      },
    });
    authStore = server.auth.authStore;
    // An app whose registered name carries markup, connected to Alex but never used.
    await authStore.putClient({
      clientId: EVIL,
      name: EVIL_NAME,
      type: 'public',
      secretHash: null,
      redirectUris: ['http://127.0.0.1/callback'],
      jwks: null,
      jwksUri: null,
      scope: 'patient/*.rs',
      status: 'active',
      tokensValidAfter: 0,
      createdAt: Date.now(),
    });
    await authStore.createGrant({ grantId: 'evil-grant-1', clientId: EVIL, username: 'david.smith', patientId: ALEX, scope: 'patient/Condition.rs', createdAt: Date.now(), lastUsedAt: null, revokedAt: null });
  });
  after(async () => {
    await server?.close();
    await fx?.cleanup();
  });

  test('signed out: the sign-in form, with the page headers and cookies scoped to /account', async () => {
    const b = new FormBrowser(server.baseUrl);
    const res = await b.go('/account');
    assert.equal(res.status, 200);
    const body = await res.text();
    assert.match(body, /<label for="username">Username<\/label>/);
    assert.match(body, /<label for="password">Password<\/label>/);
    assert.match(body, />Sign in<\/button>/);
    assert.match(body, /<form method="post" action="\/account\/sign-in">/);
    assert.ok(hiddenField(body, 'csrf').length > 20);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /frame-ancestors 'none'/);
    const nonce = /style-src 'nonce-([^']+)'/.exec(csp)?.[1];
    assert.ok(nonce && body.includes(`<style nonce="${nonce}">`));
    assert.doesNotMatch(body, /<script/i);
    const cookies = res.headers.getSetCookie();
    assert.ok(cookies.some((c) => c.startsWith('pa_account_csrf=') && /Path=\/account;/.test(c) && /HttpOnly/.test(c) && /SameSite=Lax/.test(c)));
  });

  test('a wrong password or an unknown user gets the same generic error and no session', async () => {
    for (const [username, password] of [
      ['david.smith', 'wrong-password'],
      ['nobody.here', DEMO_PASSWORD],
    ]) {
      const { b, res } = await signIn(username, password);
      assert.equal(res.status, 401);
      const body = await res.text();
      assert.ok(body.includes(escapeHtml(SIGN_IN_FAILED)), 'the generic message');
      assert.ok(!b.cookies.get('pa_account_session'), 'no session cookie');
      assert.match(await page(b), /Sign in to your account/);
    }
    // The failure counted like one on the authorization screens; a success resets it.
    assert.equal((await authStore.getAccount('david.smith'))!.failedLogins, 1);
    assert.ok(events.some((e) => e.type === 'sign-in-failed' && e.username === 'david.smith'));
    assert.ok(events.some((e) => e.type === 'sign-in-failed' && e.username === undefined));
  });

  test('sign-in without the CSRF token is refused', async () => {
    const b = new FormBrowser(server.baseUrl);
    await b.go('/account');
    const res = await b.post('/account/sign-in', new URLSearchParams({ username: 'david.smith', password: DEMO_PASSWORD }));
    assert.equal(res.status, 403);
    assert.ok(!b.cookies.get('pa_account_session'));
  });

  let publicTokens: Record<string, any>;
  let confidentialTokens: Record<string, any>;

  test('both apps are listed under Alex, with what each was granted in plain words', async () => {
    confidentialTokens = await obtainTokens(server, { patient: ALEX });
    publicTokens = await obtainTokens(server, { patient: ALEX, clientId: DEMO_CLIENTS.public.clientId, scope: PUBLIC_SCOPE });
    assert.equal((await fhir(`Observation?patient=${ALEX}`, publicTokens.access_token)).status, 200);

    const { b, res } = await signIn('david.smith');
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/account');
    const session = res.headers.getSetCookie().find((c) => c.startsWith('pa_account_session='));
    assert.ok(session && /Path=\/account;/.test(session) && /HttpOnly/.test(session) && /Max-Age=3600/.test(session));
    assert.equal((await authStore.getAccount('david.smith'))!.failedLogins, 0);

    const body = await page(b);
    assert.match(body, /<h1>Your account<\/h1>/);
    assert.match(body, /Signed in as <strong>David Smith<\/strong>/);
    // Own record first, then the dependents.
    const order = [DAVID, ANNA, ALEX].map((id) => body.indexOf(`id="patient-${id}"`));
    assert.ok(order.every((i) => i > 0) && order[0] < order[1] && order[1] < order[2]);
    assert.match(section(body, DAVID), /David Smith <span class="muted small">\(you\)<\/span>/);
    assert.match(section(body, DAVID), /No apps are connected to David Smith’s records/);

    const alex = section(body, ALEX);
    assert.match(alex, /<h4>Demo Confidential App<\/h4>/);
    assert.match(alex, /<h4>Demo Public App<\/h4>/);
    // What was granted, in the consent screen's words.
    assert.match(alex, /Read your allergies/);
    assert.match(alex, /Read your observations/);
    assert.match(alex, /Keep access when you are not using the app, until you disconnect it/);
    assert.match(alex, /Read all of your health record/);
    assert.match(alex, /<code>patient\/Observation\.rs<\/code>/);
    // When connected and last used (tokens were issued), and "never" for the app never used.
    assert.match(alex, /<dt>Connected<\/dt><dd><time datetime="\d{4}-\d\d-\d\dT[^"]+">\d{4}-\d\d-\d\d \d\d:\d\d UTC<\/time><\/dd>/);
    assert.match(alex, /<dt>Last used<\/dt><dd><time datetime=/);
    assert.match(alex, /<dt>Last used<\/dt><dd>never<\/dd>/);
    // One Disconnect button per app, each a plain form with CSRF and the app's grant ids.
    assert.equal((alex.match(/>Disconnect<span class="visually-hidden">/g) ?? []).length, 3);
    const f = disconnectForm(body, ALEX, 'Demo Public App');
    assert.ok(f.get('csrf'));
    assert.equal(f.getAll('grant').length, 1);
    assert.doesNotMatch(body, /<script/i);
  });

  test('disconnecting an app stops its access and refresh tokens at once; the other app keeps working', async () => {
    const { b } = await signIn('david.smith');
    const before = await page(b);
    const form = disconnectForm(before, ALEX, 'Demo Public App');
    const [grantId] = form.getAll('grant');

    // Without the CSRF token: refused, nothing revoked.
    form.delete('csrf');
    const refused = await b.post('/account/disconnect', form);
    assert.equal(refused.status, 403);
    assert.equal((await authStore.getGrant(grantId))!.revokedAt, null);
    assert.equal((await fhir(`Observation?patient=${ALEX}`, publicTokens.access_token)).status, 200);

    const res = await b.post('/account/disconnect', disconnectForm(before, ALEX, 'Demo Public App'));
    assert.equal(res.status, 303);
    assert.match(res.headers.get('location') ?? '', /^\/account\?disconnected=[A-Za-z0-9_-]+#patient-429119572$/);
    assert.notEqual((await authStore.getGrant(grantId))!.revokedAt, null);

    // At once: no waiting for the revocation recheck.
    const api = await fhir(`Observation?patient=${ALEX}`, publicTokens.access_token);
    assert.equal(api.status, 401);
    const r = await refresh(publicTokens.refresh_token, DEMO_CLIENTS.public.clientId);
    assert.equal(r.status, 400);
    assert.equal(((await r.json()) as { error: string }).error, 'invalid_grant');
    // The other app is untouched.
    assert.equal((await fhir(`Patient/${ALEX}`, confidentialTokens.access_token)).status, 200);
    const ok = await refresh(confidentialTokens.refresh_token, DEMO_CLIENTS.confidential.clientId);
    assert.equal(ok.status, 200);
    confidentialTokens = (await ok.json()) as Record<string, any>;

    const after = await page(b, res.headers.get('location')!.split('#')[0]);
    assert.match(after, /role="status"><p>Demo Public App is disconnected from Alex Smith’s records\./);
    const alex = section(after, ALEX);
    assert.doesNotMatch(alex, /<h4>Demo Public App<\/h4>/);
    assert.match(alex, /<h4>Demo Confidential App<\/h4>/);
    assert.match(alex, /<li>Demo Public App, disconnected <time/);
    assert.ok(events.some((e) => e.type === 'disconnect' && e.clientId === DEMO_CLIENTS.public.clientId && e.patientId === ALEX && e.grantIds?.includes(grantId)));
  });

  test('disconnect removes every active grant of that app for that patient, and only for that patient', async () => {
    const again1 = await obtainTokens(server, { patient: ALEX, clientId: DEMO_CLIENTS.public.clientId, scope: PUBLIC_SCOPE });
    const again2 = await obtainTokens(server, { patient: ALEX, clientId: DEMO_CLIENTS.public.clientId, scope: 'launch/patient patient/Condition.rs' });
    const forAnna = await obtainTokens(server, { patient: ANNA, clientId: DEMO_CLIENTS.public.clientId, scope: PUBLIC_SCOPE });
    const { b } = await signIn('david.smith');
    const body = await page(b);
    // Two grants of one app for Alex are one entry with both grants' scopes.
    const alex = section(body, ALEX);
    assert.equal((alex.match(/<h4>Demo Public App<\/h4>/g) ?? []).length, 1);
    assert.match(alex, /Read your health problems and diagnoses/);
    const form = disconnectForm(body, ALEX, 'Demo Public App');
    assert.equal(form.getAll('grant').length, 2);
    // Posting only one of them still disconnects the app from Alex entirely.
    form.delete('grant');
    form.append('grant', disconnectForm(body, ALEX, 'Demo Public App').getAll('grant')[1]);
    assert.equal((await b.post('/account/disconnect', form)).status, 303);
    assert.equal((await fhir(`Observation?patient=${ALEX}`, again1.access_token)).status, 401);
    assert.equal((await fhir(`Condition?patient=${ALEX}`, again2.access_token)).status, 401);
    // The same app connected to Anna keeps working.
    assert.equal((await fhir(`Observation?patient=${ANNA}`, forAnna.access_token)).status, 200);
  });

  test("anna.smith cannot disconnect David's grants", async () => {
    const { b: david } = await signIn('david.smith');
    const davidPage = await page(david);
    const target = disconnectForm(davidPage, ALEX, 'Demo Confidential App');
    const grantIds = target.getAll('grant');

    const { b: anna, res } = await signIn('anna.smith');
    assert.equal(res.status, 303);
    const annaPage = await page(anna);
    assert.doesNotMatch(annaPage, /Alex Smith/);
    assert.doesNotMatch(annaPage, /id="patient-428946492"/);
    const csrf = formFields(annaPage, '/account/sign-out').get('csrf')!;
    const forged = new URLSearchParams({ csrf });
    for (const id of grantIds) forged.append('grant', id);
    const refused = await anna.post('/account/disconnect', forged);
    assert.equal(refused.status, 404);
    assert.match(await refused.text(), /nothing was changed/);
    for (const id of grantIds) assert.equal((await authStore.getGrant(id))!.revokedAt, null);
    // An unknown grant id: the same answer.
    const unknown = await anna.post('/account/disconnect', new URLSearchParams({ csrf, grant: 'no-such-grant' }));
    assert.equal(unknown.status, 404);
    assert.equal((await fhir(`Patient/${ALEX}`, confidentialTokens.access_token)).status, 200);

    // David's CSRF token does not work in Anna's session either (it is bound to the session).
    const davidForm = disconnectForm(davidPage, ALEX, 'Demo Confidential App');
    anna.cookies.set('pa_account_csrf', david.cookies.get('pa_account_csrf')!);
    assert.equal((await anna.post('/account/disconnect', davidForm)).status, 403);
    assert.equal((await fhir(`Patient/${ALEX}`, confidentialTokens.access_token)).status, 200);
  });

  test('the access history: app names, patient names, kinds of data in plain words, outcome', async () => {
    historyCalls.length = 0;
    const { b } = await signIn('david.smith');
    const body = await page(b);
    assert.deepEqual(historyCalls, [{ username: 'david.smith', patientIds: [DAVID, ANNA, ALEX], limit: 100 }]);
    const table = body.slice(body.indexOf('<table>'), body.indexOf('</table>'));
    assert.match(table, /<th scope="col">When<\/th><th scope="col">App<\/th><th scope="col">Patient<\/th><th scope="col">What<\/th><th scope="col">Outcome<\/th>/);
    const rows = table.split('<tr>').slice(2);
    assert.equal(rows.length, 3, 'the row about someone else is not shown');
    assert.match(rows[0], /<time datetime="2025-03-04T09:05:00.000Z">2025-03-04 09:05 UTC<\/time>/);
    assert.match(rows[0], /<td data-label="App">Demo Public App<\/td>/);
    assert.match(rows[0], /<td data-label="Patient">Alex Smith<\/td>/);
    assert.match(rows[0], /Observations, Allergies<span class="action small">Searched<\/span>/);
    assert.match(rows[0], /<td data-label="Outcome" class="nowrap">Succeeded<\/td>/);
    assert.match(rows[1], /Demo Confidential App/);
    assert.match(rows[1], /Personal details<span class="action small">Read/);
    assert.match(rows[1], /class="nowrap outcome-bad">Refused</);
    assert.match(rows[2], /Health problems/);
    assert.doesNotMatch(table, /Immunizations|someone-else/);
  });

  test('an app name with markup is shown as text', async () => {
    const { b } = await signIn('david.smith');
    const body = await page(b);
    assert.ok(!body.includes('<script>alert(1)</script>'));
    assert.ok(body.includes(`<h4>${escapeHtml(EVIL_NAME)}</h4>`));
    assert.ok(body.includes(`<td data-label="App">${escapeHtml(EVIL_NAME)}</td>`));
    assert.doesNotMatch(body, /<script/i);
    // Every form is a plain POST form carrying a CSRF token.
    const forms = body.match(/<form [^>]*>/g) ?? [];
    assert.ok(forms.length >= 3);
    for (const f of forms) assert.match(f, /^<form method="post" action="\/account\/(sign-out|disconnect)">$/);
    assert.equal((body.match(/<input type="hidden" name="csrf"/g) ?? []).length, forms.length);
  });

  test('signing out ends the session', async () => {
    const { b } = await signIn('david.smith');
    const sid = b.cookies.get('pa_account_session')!;
    const body = await page(b);
    const form = formFields(body, '/account/sign-out');
    // Without CSRF: refused, still signed in.
    assert.equal((await b.post('/account/sign-out', new URLSearchParams())).status, 403);
    assert.match(await page(b), /<h1>Your account<\/h1>/);
    const res = await b.post('/account/sign-out', form);
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/account?signed-out=1');
    assert.ok(res.headers.getSetCookie().some((c) => c.startsWith('pa_account_session=;') && /Max-Age=0/.test(c)));
    assert.match(await page(b, '/account?signed-out=1'), /You are signed out\./);
    // The old session id no longer works, even if replayed.
    const replay = new FormBrowser(server.baseUrl);
    replay.cookies.set('pa_account_session', sid);
    const again = await page(replay);
    assert.match(again, /Sign in to your account/);
    assert.doesNotMatch(again, /Your account<\/h1>/);
    // And a disconnect with the old session does nothing.
    const evilGrant = await authStore.getGrant('evil-grant-1');
    const r = await replay.post('/account/disconnect', new URLSearchParams({ csrf: form.get('csrf')!, grant: 'evil-grant-1' }));
    assert.equal(r.status, 303);
    assert.equal(r.headers.get('location'), '/account');
    assert.equal((await authStore.getGrant('evil-grant-1'))!.revokedAt, evilGrant!.revokedAt);
  });

  test('the authorization screens’ session does not sign anyone in here', async () => {
    const b = new FormBrowser(server.baseUrl);
    b.cookies.set('pa_session', 'x'.repeat(43));
    assert.match(await page(b), /Sign in to your account/);
  });
});
