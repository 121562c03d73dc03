/**
 * The whole walk of issue 4 point 7, end to end, as a new user does it: over real HTTP, on a real SQLite
 * file inside a DATA_DIR that the real CLI (`node bin/patient-access.js …`, a child process) opens too.
 *
 * 1. A developer registers an app through the `/developers` form in headless Chromium → reference + status page.
 * 2. The admin approves it with `patient-access clients approve REF` → client id and secret once; the
 *    developer's status page shows them (the secret once).
 * 3. openid-client v6, with the issued credentials (client_secret_basic), completes a standalone launch in
 *    Chromium for david.smith choosing Alex; Alex's Patient reads with the token.
 * 4. The patient disconnects the app on `/account` in Chromium → access token 401, refresh invalid_grant.
 * 5. Each step left its audit rows (`patient-access audit --client … --json`, `--patient …`).
 * 6. `clients disable` / `enable` / `rotate-secret` cut the client off at once; the new secret works.
 * 7. Bad registration input through the JSON API and the form is refused with the field named; nothing stored.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { SQLITE_FILE_NAME } from '../../src/store/index.js';
import type { StoreFixture } from '../helpers/stores.js';
import { DEMO_PASSWORD, startAuthServer, type AuthTestServer } from '../helpers/auth-server.js';
import {
  authorizationUrl,
  CHROMIUM_PATH,
  discoverClient,
  escapeRegExp,
  exchangeCode,
  launchChromium,
  launchInBrowser,
  newAppContext,
  randomName,
  type AppClient,
} from '../helpers/browser.js';

const BIN = fileURLToPath(new URL('../../bin/patient-access.js', import.meta.url));
const ALEX = '429119572';
const SCOPE = 'openid fhirUser launch/patient offline_access patient/*.rs';

const NO_CHROMIUM = existsSync(CHROMIUM_PATH) ? false : `walk test skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`;
if (NO_CHROMIUM) process.stderr.write(`# ${NO_CHROMIUM}\n`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits past the current whole second (token `iat` has whole-second precision). */
const nextSecond = () => sleep(1000 - (Date.now() % 1000) + 30);

interface AuditRow {
  id: string;
  recorded: string;
  category: string;
  action: string;
  outcome: string;
  client: string | null;
  patient: string | null;
  user: string | null;
  source: string | null;
  tokenJti: string | null;
  query: string | null;
  resource: string | null;
}

describe('the whole walk of issue 4: register → approve → launch → disconnect → audit → disable/rotate → bad input (Chromium, CLI, sqlite)', { skip: NO_CHROMIUM, timeout: 180_000 }, () => {
  let dataDir: string;
  let fx: StoreFixture;
  let server: AuthTestServer;
  let browser: Browser;
  const opened: { close(): Promise<void> }[] = [];

  // What the walk carries from step to step.
  const appName = randomName('Walkthrough Diary');
  let redirectUri: string;
  let appPage: Page;
  let reference: string;
  let statusUrl: string;
  let clientId: string;
  let secret: string;
  let tokens: oidc.TokenEndpointResponse;
  let jti: string;
  let walkStart: number;
  let disconnectedAt: number;

  /** The real CLI as a child process on the server's DATA_DIR (asynchronous: the server keeps serving). */
  const cli = (args: string[]) =>
    new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [BIN, ...args],
        { env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', TEST_DATABASE_URL: '', NODE_ENV: 'test', LOG_LEVEL: 'silent' }, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => resolve({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
    });
  const cliOk = async (args: string[]) => {
    const r = await cli(args);
    assert.equal(r.status, 0, `patient-access ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
    return r.stdout;
  };
  const auditRows = async (...args: string[]): Promise<AuditRow[]> => JSON.parse(await cliOk(['audit', ...args, '--json']));
  const pending = async (): Promise<string[]> =>
    (JSON.parse(await cliOk(['clients', 'list', '--pending', '--json'])).pending_registrations as { reference: string }[]).map((r) => r.reference).sort();
  const registrationCount = async () => Number((await fx.store.sql.all<{ n: unknown }>('SELECT COUNT(*) AS n FROM registrations'))[0].n);

  const fhir = (path: string, token: string) => fetch(`${server.fhirBase}/${path}`, { headers: { authorization: `Bearer ${token}` } });
  /** Polls until the FHIR API refuses the token; returns how long that took. */
  const refusedWithin = async (token: string, ms = 1500) => {
    const start = Date.now();
    for (;;) {
      const res = await fhir(`Patient/${ALEX}`, token);
      if (res.status === 401) {
        assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
        return Date.now() - start;
      }
      if (Date.now() - start > ms) assert.fail(`the token still gets ${res.status} at the FHIR API after ${ms} ms`);
      await sleep(100);
    }
  };
  const basic = (id: string, s: string) => 'Basic ' + Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(s)}`).toString('base64');
  /** A refresh at the token endpoint with HTTP Basic (raw, so the status is visible). */
  const rawRefresh = async (id: string, s: string, refreshToken: string) => {
    const res = await fetch(server.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(id, s) },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  /** One complete launch by openid-client with these credentials, in the app's browser page, for david.smith choosing Alex. */
  const launch = async (app: AppClient) => {
    // A new sign-in every time (the authorization screens would otherwise keep the session).
    await appPage.context().clearCookies();
    const started = await authorizationUrl(server, app, redirectUri, SCOPE);
    const callback = await launchInBrowser(appPage, started.url, { username: 'david.smith', password: DEMO_PASSWORD, patientName: 'Alex Smith' });
    return exchangeCode(app, started, callback);
  };

  before(async () => {
    walkStart = Date.now();
    dataDir = mkdtempSync(join(tmpdir(), 'pa-walk-'));
    const store = new SqliteStore(join(dataDir, SQLITE_FILE_NAME));
    await store.migrate();
    fx = { name: 'sqlite', store, cleanup: async () => store.close() };
    [server, browser] = await Promise.all([startAuthServer(fx), launchChromium()]);
    const app = await newAppContext(browser);
    opened.push(app);
    appPage = app.page;
    redirectUri = app.callbacks.redirectUri;
  });
  after(async () => {
    for (const c of opened) await c.close();
    await browser?.close();
    await server?.close();
    await fx?.cleanup();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    process.stderr.write(`# walk: ${((Date.now() - walkStart) / 1000).toFixed(1)} s in all\n`);
  });

  test('1. the developer registers the app through the /developers form in Chromium → reference and pending status page', async () => {
    const page = appPage;
    const res = await page.goto(`${server.baseUrl}/developers`);
    assert.equal(res?.status(), 200);
    await page.getByRole('heading', { name: 'Register an app' }).waitFor();
    await page.getByLabel('Contact e-mail', { exact: true }).fill('dev@walk.example.com');
    await page.getByLabel('Organization name', { exact: true }).fill('Walkthrough Health Apps');
    await page.getByLabel('Organization description', { exact: true }).fill('We make small apps that help families keep track of their care.');
    await page.getByLabel('Application name', { exact: true }).fill(appName);
    await page.getByLabel('Use case', { exact: true }).fill('Shows a parent their child’s record: problems, medications, immunizations and lab results.');
    await page.getByRole('radio', { name: /^Confidential, with a client secret/ }).check();
    await page.getByLabel('Redirect URIs', { exact: true }).fill(redirectUri);
    await Promise.all([page.waitForURL(/\/developers\/registrations\/REG-[A-Z0-9]{4}-[A-Z0-9]{4}\?key=/), page.getByRole('button', { name: 'Send registration' }).click()]);

    const heading = await page.getByRole('heading', { level: 1 }).textContent();
    reference = /REG-[A-Z0-9]{4}-[A-Z0-9]{4}/.exec(heading ?? '')?.[0] ?? '';
    assert.ok(reference, `no reference in the heading: ${heading}`);
    statusUrl = page.url();
    assert.ok(statusUrl.includes(`/developers/registrations/${reference}?key=`), statusUrl);
    // The page tells its own (private) address, and that the request waits for review.
    const text = (await page.textContent('body')) ?? '';
    assert.ok(text.includes(statusUrl), 'the status page shows its own address');
    assert.match(await page.getByRole('status').textContent() ?? '', /Waiting for review/);
    assert.ok(text.includes(appName));
    assert.ok(text.includes(redirectUri));
    // The same status as JSON says `pending` (SPEC §9), and the CLI lists it as pending.
    const json = (await (await fetch(statusUrl, { headers: { accept: 'application/json' } })).json()) as Record<string, unknown>;
    assert.equal(json.status, 'pending');
    assert.equal(json.reference, reference);
    assert.equal(json.client_id, undefined, 'nothing is issued before approval');
    assert.ok((await pending()).includes(reference));
  });

  test('2. the admin approves with `clients approve REF`; the status page shows the client id and the secret once', async () => {
    assert.ok(reference, 'step 1 gave a reference');
    const out = await cliOk(['clients', 'approve', reference]);
    clientId = /Client id:\s+(\S+)/.exec(out)?.[1] ?? '';
    secret = /Client secret:\s+(\S+)/.exec(out)?.[1] ?? '';
    assert.ok(clientId, `no client id in: ${out}`);
    assert.ok(secret.length >= 32, `no secret in: ${out}`);
    assert.match(out, /shown only this once/);
    assert.ok(!(await pending()).includes(reference));
    const shown = JSON.parse(await cliOk(['clients', 'show', clientId, '--json'])) as Record<string, unknown>;
    assert.equal(shown.status, 'active');
    assert.deepEqual(shown.redirect_uris, [redirectUri]);
    assert.ok(!JSON.stringify(shown).includes(secret), 'show never prints the secret');

    // The developer visits the status page: approved, the client id, and the secret this once.
    const page = appPage;
    await page.goto(statusUrl);
    assert.match((await page.getByRole('status').textContent()) ?? '', /Approved/);
    assert.equal((await page.locator('#client-id').textContent())?.trim(), clientId);
    assert.equal((await page.locator('#client-secret').textContent())?.trim(), secret);
    // A second visit: the client id again, the secret not.
    await page.goto(statusUrl);
    assert.equal((await page.locator('#client-id').textContent())?.trim(), clientId);
    assert.equal(await page.locator('#client-secret').count(), 0);
    const again = (await page.textContent('body')) ?? '';
    assert.ok(!again.includes(secret));
    assert.match(again, /shown once already/);
  });

  test('3. openid-client with the issued credentials (client_secret_basic) completes a launch in Chromium; Alex’s Patient reads', async () => {
    assert.ok(clientId && secret, 'step 2 issued credentials');
    const app = await discoverClient(server, clientId, oidc.ClientSecretBasic(secret));
    tokens = await launch(app);
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    assert.equal(tokens.patient, ALEX);
    assert.ok(tokens.refresh_token, 'offline_access gave a refresh token');
    assert.ok(tokens.id_token, 'openid gave an id_token (verified by openid-client)');
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.client_id ?? claims.azp, clientId);
    jti = String(claims.jti ?? '');
    assert.ok(jti, 'the access token has a jti');
    const res = await fhir(`Patient/${ALEX}`, tokens.access_token);
    assert.equal(res.status, 200);
    const patient = (await res.json()) as { resourceType: string; id: string };
    assert.equal(patient.resourceType, 'Patient');
    assert.equal(patient.id, ALEX);
  });

  test('4. the patient disconnects the app on /account in Chromium → the access token 401s, the refresh token is invalid_grant', async () => {
    assert.ok(tokens, 'step 3 got tokens');
    const ctx = await newAppContext(browser);
    opened.push(ctx);
    const page = ctx.page;
    await page.goto(`${server.baseUrl}/account`);
    await page.getByLabel('Username').fill('david.smith');
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/account/sign-in')), page.getByRole('button', { name: 'Sign in' }).click()]);
    await page.waitForLoadState('domcontentloaded');
    const alex = page.getByRole('region', { name: /Alex Smith/ });
    await alex.getByRole('heading', { name: appName }).waitFor();
    const disconnect = alex.getByRole('button', { name: new RegExp(`^Disconnect ${escapeRegExp(appName)} from Alex Smith`) });
    assert.equal(await disconnect.count(), 1, 'one Disconnect button for the app under Alex');
    disconnectedAt = Date.now();
    await Promise.all([page.waitForURL(/\/account\?disconnected=/), disconnect.click()]);
    assert.match((await page.textContent('body')) ?? '', new RegExp(`${escapeRegExp(appName)} is disconnected from Alex Smith`));
    assert.equal(await page.getByRole('region', { name: /Alex Smith/ }).getByRole('button', { name: new RegExp(`^Disconnect ${escapeRegExp(appName)}`) }).count(), 0);

    const took = await refusedWithin(tokens.access_token, 1500);
    assert.ok(took <= 1500, `refused after ${took} ms`);
    const app = await discoverClient(server, clientId, oidc.ClientSecretBasic(secret));
    await assert.rejects(oidc.refreshTokenGrant(app.config, tokens.refresh_token!), (err: unknown) => err instanceof oidc.ResponseBodyError && err.error === 'invalid_grant');
  });

  test('5. each step left its audit rows (`patient-access audit --client … / --patient … --json`)', async (t) => {
    assert.ok(jti && disconnectedAt, 'steps 3–4 ran');
    const byClient = await auditRows('--client', clientId);
    const byPatient = await auditRows('--patient', ALEX);
    const all = await auditRows();
    const find = (rows: AuditRow[], p: (r: AuditRow) => boolean) => rows.filter(p);
    const describeRows = (rows: AuditRow[]) => rows.map((r) => `${r.category}/${r.action}/${r.outcome} client=${r.client} patient=${r.patient} jti=${r.tokenJti} res=${r.resource}`).join('\n');
    const ctx = `\nrows for --client ${clientId}:\n${describeRows(byClient)}`;

    // Registration and approval (administration events).
    const registration = find(all, (r) => r.action === 'registration' && r.outcome === 'success');
    const approval = find(all, (r) => r.action === 'client-approve' && (r.client === clientId || r.client === null));
    t.diagnostic(`registration rows: ${registration.length}, approval rows: ${approval.length}`);
    assert.ok(registration.length >= 1, `the registration left no audit row (issue 4 point 5: registration is an audited event)${ctx}`);
    assert.ok(approval.length >= 1, `the approval (clients approve) left no audit row (issue 4 point 5: admin actions are audited)${ctx}`);

    // Sign-in and consent for Alex.
    assert.ok(find(byClient, (r) => r.category === 'auth' && r.action === 'sign-in' && r.outcome === 'success' && r.user === 'david.smith').length >= 1, `no sign-in row${ctx}`);
    assert.ok(find(byClient, (r) => r.action === 'consent' && r.outcome === 'success' && r.patient === ALEX && r.user === 'david.smith').length >= 1, `no consent row${ctx}`);
    // The code exchange, naming the token's jti.
    assert.ok(find(byClient, (r) => r.action === 'token' && r.outcome === 'success' && r.patient === ALEX && r.tokenJti === jti).length === 1, `no token row with jti ${jti}${ctx}`);
    // The FHIR read of Alex's Patient, with the client id and the token's jti.
    const read = find(byClient, (r) => r.category === 'fhir' && r.action === 'read' && r.outcome === 'success' && r.resource === `Patient/${ALEX}` && r.tokenJti === jti);
    assert.equal(read.length, 1, `no FHIR read row of Patient/${ALEX} with jti ${jti}${ctx}`);
    assert.equal(read[0].patient, ALEX);
    assert.ok(read[0].source, 'the read has its source address');
    assert.ok(find(byPatient, (r) => r.id === read[0].id).length === 1, 'the read is found by --patient too');
    // The disconnect on /account.
    const disconnect = find(byClient, (r) => r.action === 'disconnect' && r.outcome === 'success' && r.patient === ALEX && r.user === 'david.smith');
    assert.equal(disconnect.length, 1, `no disconnect row${ctx}`);
    assert.ok(Date.parse(disconnect[0].recorded) >= disconnectedAt - 1000);
    // The refused read afterwards: on the trail at all, then attributed to the client and token.
    const refusedAnywhere = find(all, (r) => r.category === 'fhir' && r.action === 'read' && r.outcome === 'failure' && r.resource === `Patient/${ALEX}` && Date.parse(r.recorded) >= disconnectedAt - 1000);
    assert.ok(refusedAnywhere.length >= 1, `the 401 after the disconnect is not on the audit trail\n${describeRows(all.slice(-20))}`);
    // The failed refresh (invalid_grant) is recorded as a failure.
    const refreshFailed = find(all, (r) => r.action === 'refresh' && r.outcome === 'failure' && Date.parse(r.recorded) >= disconnectedAt - 1000);
    assert.ok(refreshFailed.length >= 1, `no failed refresh row\n${describeRows(all.slice(-20))}`);
    t.diagnostic(`after the disconnect: ${describeRows([...refusedAnywhere, ...refreshFailed])}`);
    // NDJSON export of the same filter: AuditEvent resources.
    const ndjson = (await cliOk(['audit', '--client', clientId, '--ndjson'])).trim().split('\n').map((l) => JSON.parse(l) as { resourceType: string });
    assert.equal(ndjson.length, byClient.length);
    assert.ok(ndjson.every((e) => e.resourceType === 'AuditEvent'));

    // Last: the refusals after the disconnect are attributed to who made them (issue 4 point 5: agents
    // with client id and token jti), so that `audit --client ID` / `--patient ID` show them. The token
    // was signed by us and is only revoked, so its client, jti and patient are known.
    const gaps: string[] = [];
    if (!find(byClient, (r) => r.category === 'fhir' && r.outcome === 'failure' && r.resource === `Patient/${ALEX}` && r.tokenJti === jti).length) {
      const r = refusedAnywhere[0];
      gaps.push(`the FHIR 401 after the disconnect is on the trail without client/jti/patient (client=${r.client} jti=${r.tokenJti} patient=${r.patient}), so \`audit --client ${clientId}\` and \`--patient ${ALEX}\` do not show it`);
    }
    if (!find(byClient, (r) => r.action === 'refresh' && r.outcome === 'failure').length) {
      const r = refreshFailed[0];
      gaps.push(`the refused refresh (invalid_grant, after the client authenticated) is on the trail without its client (client=${r.client} patient=${r.patient}), so \`audit --client ${clientId}\` does not show it`);
    }
    assert.deepEqual(gaps, [], gaps.join('\n'));
  });

  test('6. `clients disable` / `enable` / `rotate-secret` cut the client off at once; the new secret works', async () => {
    assert.ok(clientId && secret, 'step 2 issued credentials');
    let app = await discoverClient(server, clientId, oidc.ClientSecretBasic(secret));
    await nextSecond();
    const before = await launch(app);
    assert.equal((await fhir(`Patient/${ALEX}`, before.access_token)).status, 200);

    // Disable: the access token stops within a second, the refresh fails, no new launch.
    assert.match(await cliOk(['clients', 'disable', clientId]), /Disabled/);
    await refusedWithin(before.access_token, 1500);
    const disabledRefresh = await rawRefresh(clientId, secret, before.refresh_token!);
    assert.notEqual(disabledRefresh.status, 200, JSON.stringify(disabledRefresh.body));
    assert.ok(['invalid_client', 'invalid_grant', 'unauthorized_client'].includes(String(disabledRefresh.body.error)), JSON.stringify(disabledRefresh.body));
    assert.equal(JSON.parse(await cliOk(['clients', 'show', clientId, '--json'])).status, 'disabled');

    // Enable: a new launch works; tokens from before the disable stay dead.
    assert.match(await cliOk(['clients', 'enable', clientId]), /Enabled/);
    await nextSecond();
    const enabled = await launch(app);
    assert.equal((await fhir(`Patient/${ALEX}`, enabled.access_token)).status, 200);
    assert.equal((await fhir(`Patient/${ALEX}`, before.access_token)).status, 401);

    // Rotate: the old secret is refused (401), the tokens issued before stop, the new secret works.
    const rotated = await cliOk(['clients', 'rotate-secret', clientId]);
    const newSecret = new RegExp(`New secret for ${escapeRegExp(clientId)}: (\\S+)`).exec(rotated)?.[1] ?? '';
    assert.ok(newSecret && newSecret !== secret, `no new secret in: ${rotated}`);
    await refusedWithin(enabled.access_token, 1500);
    const oldSecret = await rawRefresh(clientId, secret, enabled.refresh_token!);
    assert.equal(oldSecret.status, 401, JSON.stringify(oldSecret.body));
    assert.equal(oldSecret.body.error, 'invalid_client');
    // The refresh token issued before the rotation does not work with the new secret either.
    const oldRefreshNewSecret = await rawRefresh(clientId, newSecret, enabled.refresh_token!);
    assert.equal(oldRefreshNewSecret.status, 400, JSON.stringify(oldRefreshNewSecret.body));
    assert.equal(oldRefreshNewSecret.body.error, 'invalid_grant');
    await nextSecond();
    // A launch by openid-client with the old secret fails at the token endpoint with 401 …
    // (openid-client reports a 401 with a WWW-Authenticate challenge as WWWAuthenticateChallengeError.)
    await assert.rejects(
      launch(app),
      (err: unknown) =>
        (err instanceof oidc.ResponseBodyError && err.status === 401 && err.error === 'invalid_client') ||
        (err instanceof oidc.WWWAuthenticateChallengeError && err.status === 401),
    );
    // … and with the new one it works.
    app = await discoverClient(server, clientId, oidc.ClientSecretBasic(newSecret));
    const fresh = await launch(app);
    assert.equal((await fhir(`Patient/${ALEX}`, fresh.access_token)).status, 200);
    const refreshed = await oidc.refreshTokenGrant(app.config, fresh.refresh_token!);
    assert.equal((await fhir(`Patient/${ALEX}`, refreshed.access_token)).status, 200);
    secret = newSecret;

    // The admin actions are on the audit trail.
    const actions = new Set((await auditRows()).filter((r) => r.category === 'admin').map((r) => r.action));
    for (const a of ['client-disable', 'client-enable', 'client-rotate-secret']) assert.ok(actions.has(a), `no ${a} row on the audit trail (admin actions: ${[...actions].join(', ') || 'none'})`);
  });

  test('7. bad registration input (JSON API and form) is refused with the field named, and nothing is stored', async () => {
    const pendingBefore = await pending();
    const countBefore = await registrationCount();
    const good = {
      contact_email: 'dev@walk.example.com',
      organization_name: 'Walkthrough Health Apps',
      organization_description: 'We make small apps.',
      application_name: 'Bad Input Diary',
      use_case: 'Reads labs.',
      redirect_uris: ['https://app.walk.example.com/callback'],
      client_type: 'confidential',
    };
    const api = async (body: Record<string, unknown>) => {
      const res = await fetch(`${server.baseUrl}/developers/registrations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as { errors?: { field: string; message: string }[] } };
    };
    const omit = (k: string[]) => Object.fromEntries(Object.entries(good).filter(([key]) => !k.includes(key)));
    const cases: [string, Record<string, unknown>, Record<string, RegExp>][] = [
      ['an http (non-loopback) callback', { ...good, redirect_uris: ['http://app.walk.example.com/callback'] }, { redirect_uris: /https/ }],
      ['a callback with a query string', { ...good, redirect_uris: ['https://app.walk.example.com/callback?x=1'] }, { redirect_uris: /query string/ }],
      ['a loopback callback with a query string', { ...good, redirect_uris: ['http://127.0.0.1:8765/callback?x=1'] }, { redirect_uris: /query string/ }],
      ['a callback with a fragment', { ...good, redirect_uris: ['https://app.walk.example.com/callback#f'] }, { redirect_uris: /fragment/ }],
      ['missing fields', omit(['contact_email', 'application_name', 'use_case', 'client_type']), { contact_email: /./, application_name: /./, use_case: /./, client_type: /./ }],
      ['no callback at all', { ...good, redirect_uris: [] }, { redirect_uris: /./ }],
      ['oversized text', { ...good, organization_description: 'x'.repeat(4001), application_name: 'n'.repeat(201), use_case: 'u'.repeat(4001) }, { organization_description: /4000/, application_name: /200/, use_case: /4000/ }],
    ];
    for (const [what, body, fields] of cases) {
      const res = await api(body);
      assert.equal(res.status, 400, `${what}: ${JSON.stringify(res.body)}`);
      const errors = res.body.errors ?? [];
      assert.ok(Array.isArray(errors) && errors.length > 0, what);
      for (const e of errors) assert.ok(typeof e.field === 'string' && typeof e.message === 'string' && e.message.length > 0, `${what}: ${JSON.stringify(e)}`);
      for (const [field, message] of Object.entries(fields)) {
        const e = errors.find((x) => x.field === field);
        assert.ok(e, `${what}: no error for ${field} in ${JSON.stringify(errors)}`);
        assert.match(e!.message, message, `${what}: ${field}`);
      }
      assert.equal(await registrationCount(), countBefore, `${what}: something was stored`);
    }

    // The form in Chromium: the errors appear next to their fields, the values stay, nothing is stored.
    const ctx = await newAppContext(browser);
    opened.push(ctx);
    const page = ctx.page;
    await page.goto(`${server.baseUrl}/developers`);
    await page.getByLabel('Contact e-mail', { exact: true }).fill('dev@walk.example.com');
    await page.getByLabel('Organization name', { exact: true }).fill('Walkthrough Health Apps');
    // Oversized: the browser's maxlength would stop a person typing more, so the value is set directly.
    await page.getByLabel('Organization description', { exact: true }).evaluate((el) => {
      (el as HTMLTextAreaElement).value = 'x'.repeat(4001);
    });
    // Application name left empty (missing).
    await page.getByLabel('Use case', { exact: true }).fill('Reads labs.');
    await page.getByRole('radio', { name: /^Confidential, with a client secret/ }).check();
    await page.getByLabel('Redirect URIs', { exact: true }).fill('http://app.walk.example.com/callback\nhttps://app.walk.example.com/cb?x=1');
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/developers'),
      page.getByRole('button', { name: 'Send registration' }).click(),
    ]);
    assert.equal(answer.status(), 400);
    await page.waitForLoadState('domcontentloaded');
    assert.equal(new URL(page.url()).pathname, '/developers');
    await page.getByRole('alert').first().waitFor();
    const expectations: [string, string, RegExp][] = [
      ['organization_description', 'Organization description', /at most 4000 characters/],
      ['application_name', 'Application name', /Application name is required/],
      ['redirect_uris', 'Redirect URIs', /must use https[\s\S]*query string|query string[\s\S]*must use https/],
    ];
    for (const [field, label, message] of expectations) {
      const error = page.locator(`#f-${field}-error`);
      assert.equal(await error.count(), 1, `no error next to ${field}`);
      assert.match((await error.textContent()) ?? '', message, field);
      const control = page.getByLabel(label, { exact: true });
      assert.equal(await control.getAttribute('aria-invalid'), 'true', `${field} is marked invalid`);
      assert.ok(((await control.getAttribute('aria-describedby')) ?? '').split(/\s+/).includes(`f-${field}-error`), `${field} is described by its error`);
      // The error sits in the same field group as its control.
      assert.equal(await page.locator('.field', { has: page.locator(`#f-${field}`) }).locator(`#f-${field}-error`).count(), 1, `${field}'s error is beside it`);
    }
    for (const field of ['contact_email', 'organization_name', 'use_case']) assert.equal(await page.locator(`#f-${field}-error`).count(), 0, `no error for the good field ${field}`);
    assert.equal(await page.getByLabel('Contact e-mail', { exact: true }).inputValue(), 'dev@walk.example.com', 'values are kept');
    assert.match(await page.getByLabel('Redirect URIs', { exact: true }).inputValue(), /cb\?x=1/);
    // The summary links to the fields.
    assert.equal(await page.locator('#error-summary a[href="#f-application_name"]').count(), 1);

    assert.equal(await registrationCount(), countBefore, 'the form stored nothing');
    assert.deepEqual(await pending(), pendingBefore, '`clients list --pending --json` is unchanged');
  });
});
