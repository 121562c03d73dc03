/**
 * The reference client end to end against our own server: `runConnect` in-process while headless
 * Chromium walks the real sign-in screens (loopback redirect, and the paste-the-URL mode), tokens saved
 * 0600, `runFetch` of Alex Smith's whole record compared with what the store holds, unticked scopes
 * reported as not shared, refresh when the access token is about to expire, and errors in plain words.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Browser, Page } from 'playwright-core';
import { sqliteFixture, type StoreFixture } from '../helpers/stores.js';
import { DEMO_PASSWORD, freePort, startAuthServer, type AuthTestServer } from '../helpers/auth-server.js';
import { CHROMIUM_PATH, choosePatient, decide, launchChromium, signIn } from '../helpers/browser.js';
import { DEMO_CLIENTS } from '../../src/demo/auth-seed.js';
import { runConnect, type ClientIO } from '../../src/cli/connect.js';
import { fetchRecord, runFetch } from '../../src/cli/fetch.js';
import { downloadRecord, FhirReader, PATIENT_DATA_TYPES, REFERENCED_TYPES, readBundleFile, readNdjsonDir, referencesOf, SmartClient, TokenFile, TokenSet, type FhirResource, type SavedTokens } from '../../src/client/index.js';

const ALEX = '429119572';
const NO_CHROMIUM = existsSync(CHROMIUM_PATH) ? false : `reference client browser tests skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`;
if (NO_CHROMIUM) process.stderr.write(`# ${NO_CHROMIUM}\n`);

interface TestIO extends ClientIO {
  stdinStream: PassThrough;
  out: () => string;
  err: () => string;
  /** Resolves with the authorize URL once runConnect has printed it. */
  authorizeUrl: Promise<string>;
}

function testIO(tokenFile?: string): TestIO {
  let out = '';
  let err = '';
  let found: (url: string) => void = () => undefined;
  const authorizeUrl = new Promise<string>((resolve) => (found = resolve));
  const stdin = new PassThrough();
  return {
    stdinStream: stdin,
    stdin,
    env: { ...(tokenFile ? { PATIENT_ACCESS_TOKEN_FILE: tokenFile } : {}), HOME: tmpdir() },
    stdout: {
      write(s: string) {
        out += s;
        const m = /(https?:\/\/\S+\/protocol\/openid-connect\/auth\?\S+)/.exec(out);
        if (m) found(m[1]);
        return true;
      },
    },
    stderr: {
      write(s: string) {
        err += s;
        return true;
      },
    },
    out: () => out,
    err: () => err,
    authorizeUrl,
  };
}

describe('reference client: connect and fetch against our own server (Chromium, sqlite)', { skip: NO_CHROMIUM }, () => {
  let fx: StoreFixture;
  let server: AuthTestServer;
  let browser: Browser;
  let dir: string;

  before(async () => {
    [fx, browser] = await Promise.all([sqliteFixture(), launchChromium()]);
    server = await startAuthServer(fx, { RATE_LIMIT_AUTH: '0', RATE_LIMIT_API: '0' });
    dir = mkdtempSync(join(tmpdir(), 'pa-client-'));
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await fx?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const newPage = async (): Promise<{ page: Page; close(): Promise<void> }> => {
    const context = await browser.newContext();
    context.setDefaultTimeout(10_000);
    context.setDefaultNavigationTimeout(10_000);
    // Nothing leaves the machine: only 127.0.0.1 is reachable.
    await context.route((url) => url.hostname !== '127.0.0.1', (route) => route.abort('blockedbyclient'));
    return { page: await context.newPage(), close: () => context.close() };
  };

  /** Walks the printed authorize URL through sign-in (david.smith), the picker (Alex Smith) and consent. */
  const walk = async (page: Page, url: string, untick: string[] = []) => {
    const first = await page.goto(url);
    assert.equal(first?.status(), 200, `authorize led to ${first?.status()} at ${page.url()}`);
    await signIn(page, 'david.smith', DEMO_PASSWORD);
    await choosePatient(page, 'Alex Smith');
    await decide(page, { untick });
  };

  /** runConnect with the loopback redirect, driven by Chromium; returns its exit status and output. */
  const connectInBrowser = async (o: { clientId: string; secret?: string; scope?: string; untick?: string[]; tokenFile: string }) => {
    const io = testIO(o.tokenFile);
    if (o.secret) io.stdinStream.write(o.secret + '\n');
    const running = runConnect({ fhirBase: server.fhirBase, clientId: o.clientId, clientSecretStdin: !!o.secret, scope: o.scope, tokenFile: o.tokenFile, timeoutSeconds: 60 }, io);
    const url = await Promise.race([io.authorizeUrl, running.then((code) => Promise.reject(new Error(`connect ended (${code}) before printing a URL: ${io.err()}`)))]);
    const { page, close } = await newPage();
    try {
      await walk(page, url, o.untick);
      assert.match(await page.locator('body').innerText(), /close this tab/i, 'the loopback page tells the user to close the tab');
    } finally {
      await close();
    }
    const code = await running;
    return { code, io, url: new URL(url) };
  };

  /** What the server holds for Alex: his compartment for `types`, the Patient, and the shared resources they refer to. */
  const expected = async (types: readonly string[]): Promise<Map<string, Set<string>>> => {
    const out = new Map<string, Set<string>>();
    out.set('Patient', new Set([ALEX]));
    const all: unknown[] = [];
    for (const type of types) {
      const rows = await fx.store.search({ type, where: { kind: 'compartment', patients: [ALEX] }, sort: [], limit: 100_000 });
      out.set(type, new Set(rows.map((r) => r.resource.id)));
      for (const r of rows) all.push(JSON.parse(r.resource.json));
    }
    all.push(JSON.parse((await fx.store.readResource('Patient', ALEX))!.json));
    for (const ref of all.flatMap((r) => referencesOf(r, server.fhirBase))) {
      if (!(REFERENCED_TYPES as readonly string[]).includes(ref.type)) continue;
      if (!(await fx.store.readResource(ref.type, ref.id))) continue;
      if (!out.has(ref.type)) out.set(ref.type, new Set());
      out.get(ref.type)!.add(ref.id);
    }
    return out;
  };

  const idsByType = (m: Map<string, FhirResource[]>) => new Map([...m].filter(([, l]) => l.length).map(([t, l]) => [t, new Set(l.map((r) => String(r.id)))]));
  const asSorted = (m: Map<string, Set<string>>) => Object.fromEntries([...m].filter(([, s]) => s.size).map(([t, s]) => [t, [...s].sort()]).sort(([a], [b]) => String(a).localeCompare(String(b))));

  test('1. connect with the confidential demo app (loopback redirect, real screens) saves the tokens 0600', async () => {
    const tokenFile = join(dir, 'conf', 'tokens.json');
    const { code, io, url } = await connectInBrowser({ clientId: DEMO_CLIENTS.confidential.clientId, secret: DEMO_CLIENTS.confidential.secret, tokenFile });
    assert.equal(code, 0, io.err());
    // The authorize request: aud = the FHIR base, PKCE S256, a loopback redirect on an ephemeral port.
    assert.equal(url.searchParams.get('aud'), server.fhirBase);
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.match(url.searchParams.get('redirect_uri') ?? '', /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    assert.ok(url.searchParams.get('state'));
    assert.match(io.out(), /Connected\./);
    assert.match(io.out(), /patient\s+429119572 \(Alex Smith\)/);
    assert.match(io.out(), /granted scope\s+.*patient\/\*\.rs/);
    assert.match(io.out(), /access token\s+expires in/);
    assert.match(io.out(), /refresh token\s+expires in \d+ days/);
    assert.equal(statSync(tokenFile).mode & 0o777, 0o600, 'token file is readable by the user only');
    const saved = new TokenFile(tokenFile).get(server.fhirBase, DEMO_CLIENTS.confidential.clientId)!;
    assert.equal(saved.patient, ALEX);
    assert.equal(saved.resource, 'Person/4007449');
    assert.ok(saved.accessToken && saved.refreshToken && saved.expiresAt > Date.now());
    assert.equal(saved.clientSecret, DEMO_CLIENTS.confidential.secret);
  });

  test('2. fetch --out: the whole record of Alex equals what the server holds; --html summary', async () => {
    const tokenFile = join(dir, 'conf', 'tokens.json');
    const out = join(dir, 'alex-ndjson');
    const html = join(dir, 'alex.html');
    const io = testIO(tokenFile);
    const code = await runFetch({ fhirBase: server.fhirBase, clientId: DEMO_CLIENTS.confidential.clientId, out, html, tokenFile }, io);
    assert.equal(code, 0, io.err());
    if (process.env.SHOW_CLIENT_OUTPUT) writeFileSync(process.env.SHOW_CLIENT_OUTPUT, readFileSync(html));
    const got = idsByType(readNdjsonDir(out));
    assert.deepEqual(asSorted(got), asSorted(await expected(PATIENT_DATA_TYPES)));
    assert.match(io.out(), /Every type was shared\./);
    assert.match(io.out(), /^Observation\s+\d+/m);

    const page = readFileSync(html, 'utf8');
    assert.match(page, /<h1>Alex Smith<\/h1>/);
    assert.match(page, /<svg[^>]+role="img"/);
    assert.match(page, /Body weight/);
    const conditions = readNdjsonDir(out).get('Condition') ?? [];
    const active = conditions.filter((c) => JSON.stringify(c.clinicalStatus ?? '').includes('active'));
    assert.ok(active.length > 0, 'Alex has active problems');
    for (const c of active) {
      const name = (c.code as { text?: string; coding?: { display?: string }[] }).text ?? (c.code as { coding: { display?: string }[] }).coding[0].display!;
      assert.ok(page.includes(name.replace(/&/g, '&amp;').replace(/'/g, '&#39;')), `problem ${name} in the summary`);
    }
    for (const vaccine of ['MMRV', 'DTaP-IPV', 'Hep A, ped/adol, 2 dose']) assert.ok(page.includes(vaccine), `immunization ${vaccine}`);
    assert.ok(!/<script/i.test(page), 'no scripts');
  });

  test('3. connect with the public demo app, fetch --bundle: the same record in one collection Bundle', async () => {
    const tokenFile = join(dir, 'public', 'tokens.json');
    const { code, io } = await connectInBrowser({ clientId: DEMO_CLIENTS.public.clientId, tokenFile });
    assert.equal(code, 0, io.err());
    assert.match(io.out(), /client authentication none/);
    const saved = new TokenFile(tokenFile).get(server.fhirBase, DEMO_CLIENTS.public.clientId)!;
    assert.equal(saved.clientSecret, undefined);
    assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
    const bundle = join(dir, 'alex-bundle.json');
    const fio = testIO(tokenFile);
    assert.equal(await runFetch({ fhirBase: server.fhirBase, clientId: DEMO_CLIENTS.public.clientId, bundle, tokenFile }, fio), 0, fio.err());
    const b = JSON.parse(readFileSync(bundle, 'utf8'));
    assert.equal(b.resourceType, 'Bundle');
    assert.equal(b.type, 'collection');
    assert.deepEqual(asSorted(idsByType(readBundleFile(bundle))), asSorted(await expected(PATIENT_DATA_TYPES)));
  });

  test('4. two scopes unticked on consent: those types are reported as not shared, the rest complete', async () => {
    const tokenFile = join(dir, 'partial', 'tokens.json');
    const scope = 'launch/patient offline_access patient/Patient.rs patient/Observation.rs patient/Condition.rs patient/Immunization.rs patient/AllergyIntolerance.rs patient/Practitioner.rs patient/Organization.rs patient/Location.rs patient/Medication.rs';
    const { code, io } = await connectInBrowser({ clientId: DEMO_CLIENTS.confidential.clientId, secret: DEMO_CLIENTS.confidential.secret, scope, untick: ['patient/Condition.rs', 'patient/Immunization.rs'], tokenFile });
    assert.equal(code, 0, io.err());
    assert.match(io.out(), /not granted\s+patient\/Condition\.rs patient\/Immunization\.rs/);
    const out = join(dir, 'partial-ndjson');
    const fio = testIO(tokenFile);
    const result = await fetchRecord({ fhirBase: server.fhirBase, clientId: DEMO_CLIENTS.confidential.clientId, out, tokenFile }, fio);
    assert.equal(result.exitCode, 0, fio.err());
    const status = Object.fromEntries(result.report.map((r) => [r.type, r.status]));
    assert.equal(status.Condition, 'not-shared');
    assert.equal(status.Immunization, 'not-shared');
    for (const t of ['Patient', 'Observation', 'AllergyIntolerance']) assert.equal(status[t], 'ok', t);
    assert.match(fio.out(), /^Condition\s+0\s+not shared \(403\)$/m);
    assert.match(fio.out(), /Not shared with this app \(the patient did not grant them\): .*Condition.*Immunization/);
    const shared = PATIENT_DATA_TYPES.filter((t) => status[t] === 'ok');
    assert.deepEqual(shared.sort(), ['AllergyIntolerance', 'Observation']);
    assert.deepEqual(asSorted(idsByType(readNdjsonDir(out))), asSorted(await expected(shared)));
  });

  test('5. refresh: an access token with less than a minute left is refreshed (and saved) before fetching', async () => {
    const tokenFile = join(dir, 'conf', 'tokens.json');
    const file = new TokenFile(tokenFile);
    const before = file.get(server.fhirBase, DEMO_CLIENTS.confidential.clientId)!;
    file.save({ ...before, expiresAt: Date.now() + 20_000 });
    const out = join(dir, 'refresh-ndjson');
    const io = testIO(tokenFile);
    const result = await fetchRecord({ fhirBase: server.fhirBase, clientId: DEMO_CLIENTS.confidential.clientId, out, tokenFile }, io);
    assert.equal(result.exitCode, 0, io.err());
    assert.equal(result.refreshed, 1, 'exactly one refresh');
    assert.match(io.out(), /access token was refreshed/);
    const after = file.get(server.fhirBase, DEMO_CLIENTS.confidential.clientId)!;
    assert.notEqual(after.accessToken, before.accessToken, 'a new access token');
    assert.notEqual(after.refreshToken, before.refreshToken, 'the refresh token rotated');
    assert.ok(after.expiresAt - Date.now() > 60_000);
    assert.equal(after.patient, ALEX);
    assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
    // A token the server no longer takes (revoked, signing key rotated …) while the saved expiry says it is fine:
    // the FHIR API answers 401, and the reader refreshes once and goes on.
    file.save({ ...after, accessToken: after.accessToken.slice(0, -4) + 'AAAA', expiresAt: Date.now() + 3600_000 });
    const io2 = testIO(tokenFile);
    const again = await fetchRecord({ fhirBase: server.fhirBase, clientId: DEMO_CLIENTS.confidential.clientId, out, tokenFile }, io2);
    assert.equal(again.exitCode, 0, io2.err());
    assert.equal(again.refreshed, 1, 'refreshed after the 401');
    assert.notEqual(file.get(server.fhirBase, DEMO_CLIENTS.confidential.clientId)!.refreshToken, after.refreshToken);
    // And the fetch after it is complete.
    assert.deepEqual(asSorted(idsByType(readNdjsonDir(out))), asSorted(await expected(PATIENT_DATA_TYPES)));
  });

  test('6. an expired token whose refresh token is no longer valid: a plain-words error', async () => {
    const tokenFile = join(dir, 'expired', 'tokens.json');
    const base = new TokenFile(join(dir, 'conf', 'tokens.json')).get(server.fhirBase, DEMO_CLIENTS.confidential.clientId)!;
    const broken: SavedTokens = { ...base, expiresAt: Date.now() - 1000, refreshToken: 'revoked-or-unknown' };
    new TokenFile(tokenFile).save(broken);
    const io = testIO(tokenFile);
    assert.equal(await runFetch({ fhirBase: server.fhirBase, clientId: DEMO_CLIENTS.confidential.clientId, out: join(dir, 'x'), tokenFile }, io), 1);
    assert.match(io.err(), /can no longer be refreshed/);
    assert.match(io.err(), /patient-access connect/);
    // No refresh token at all.
    new TokenFile(tokenFile).save({ ...broken, refreshToken: undefined });
    const io2 = testIO(tokenFile);
    assert.equal(await runFetch({ fhirBase: server.fhirBase, clientId: DEMO_CLIENTS.confidential.clientId, out: join(dir, 'x'), tokenFile }, io2), 1);
    assert.match(io2.err(), /expired and there is no refresh token/);
  });

  test('7. paste mode: redirect URI http://localhost:3000/callback, the browser’s final URL pasted on stdin', async () => {
    const tokenFile = join(dir, 'paste', 'tokens.json');
    const io = testIO(tokenFile);
    io.stdinStream.write(DEMO_CLIENTS.confidential.secret + '\n');
    const running = runConnect(
      { fhirBase: server.fhirBase, clientId: DEMO_CLIENTS.confidential.clientId, clientSecretStdin: true, redirectUri: 'http://localhost:3000/callback', tokenFile, timeoutSeconds: 60 },
      io,
    );
    const url = await io.authorizeUrl;
    assert.equal(new URL(url).searchParams.get('redirect_uri'), 'http://localhost:3000/callback');
    assert.match(io.out(), /paste it here/);
    const { page, close } = await newPage();
    try {
      // The browser is sent to localhost:3000 (nothing listens there); the address it was sent to is what the user copies.
      const landed = new Promise<string>((resolve) => page.on('request', (r) => r.url().startsWith('http://localhost:3000/callback') && resolve(r.url())));
      await page.goto(url);
      await signIn(page, 'david.smith', DEMO_PASSWORD);
      await choosePatient(page, 'Alex Smith');
      await page.getByRole('button', { name: 'Allow' }).click();
      const final = await landed;
      io.stdinStream.write('not a url\n');
      io.stdinStream.write(final + '\n');
    } finally {
      await close();
    }
    assert.equal(await running, 0, io.err());
    assert.match(io.err(), /does not look like the redirected URL/);
    assert.match(io.out(), /patient\s+429119572/);
    assert.equal(new TokenFile(tokenFile).get(server.fhirBase, DEMO_CLIENTS.confidential.clientId)?.patient, ALEX);
    assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
  });

  test('8. errors in plain words: unreachable server, unknown client, unregistered redirect, wrong aud, missing secret, not connected', async () => {
    const tokenFile = join(dir, 'errors', 'tokens.json');
    const port = await freePort();
    let io = testIO(tokenFile);
    assert.equal(await runConnect({ fhirBase: `http://127.0.0.1:${port}/api/fhir/r4`, clientId: 'x', tokenFile }, io), 1);
    assert.match(io.err(), /Could not reach http:\/\/127\.0\.0\.1:\d+\/api\/fhir\/r4\/\.well-known\/smart-configuration \(ECONNREFUSED\)\. Check that the server is running/);

    io = testIO(tokenFile);
    assert.equal(await runConnect({ fhirBase: server.fhirBase, clientId: 'no-such-app', tokenFile }, io), 1);
    assert.match(io.err(), /does not recognise client “no-such-app”.*Check --client-id/);

    io = testIO(tokenFile);
    assert.equal(await runConnect({ fhirBase: server.fhirBase, clientId: DEMO_CLIENTS.public.clientId, redirectUri: 'https://app.example/not-registered', tokenFile }, io), 1);
    assert.match(io.err(), /does not know the redirect URI https:\/\/app\.example\/not-registered.*Check the redirect URIs registered/);

    // localhost and 127.0.0.1 are the same server but not the same aud.
    io = testIO(tokenFile);
    const wrongBase = server.fhirBase.replace('127.0.0.1', 'localhost');
    assert.equal(await runConnect({ fhirBase: wrongBase, clientId: DEMO_CLIENTS.public.clientId, tokenFile }, io), 1);
    assert.match(io.err(), /refused the aud parameter.*Check --fhir-base/);

    io = testIO(tokenFile);
    assert.equal(await runConnect({ fhirBase: `${server.baseUrl}/not-fhir`, clientId: DEMO_CLIENTS.public.clientId, tokenFile }, io), 1);
    assert.match(io.err(), /No SMART configuration at .*HTTP 404.*Check --fhir-base/);

    io = testIO(join(dir, 'nothing-here.json'));
    assert.equal(await runFetch({ fhirBase: server.fhirBase, clientId: DEMO_CLIENTS.public.clientId, out: join(dir, 'y') }, io), 1);
    assert.match(io.err(), /No saved authorization for demo-public-app .*Run `patient-access connect/);
  });

  test('9. a confidential app without its secret: invalid client, with what to check', async () => {
    const tokenFile = join(dir, 'nosecret', 'tokens.json');
    const { code, io } = await connectInBrowser({ clientId: DEMO_CLIENTS.confidential.clientId, tokenFile });
    assert.equal(code, 1);
    assert.match(io.err(), /did not accept the client's credentials.*--client-secret-stdin/);
    assert.ok(!existsSync(tokenFile));
  });

  test('10. --since: an incremental fetch merges changes into the NDJSON directory by id', async () => {
    const tokenFile = join(dir, 'conf', 'tokens.json');
    const out = join(dir, 'alex-ndjson');
    const before = readNdjsonDir(out);
    // Mark one Observation as changed in the local copy so we can see it replaced, then ask for changes since the future.
    const obs = before.get('Observation')!;
    writeFileSync(join(out, 'Observation.ndjson'), obs.map((o, i) => JSON.stringify(i === 0 ? { ...o, status: 'local-edit' } : o)).join('\n') + '\n');
    const future = new Date(Date.now() + 3600_000).toISOString();
    const io = testIO(tokenFile);
    const result = await fetchRecord({ fhirBase: server.fhirBase, clientId: DEMO_CLIENTS.confidential.clientId, out, since: future, tokenFile }, io);
    assert.equal(result.exitCode, 0, io.err());
    assert.equal(result.report.find((r) => r.type === 'Observation')?.count, 0);
    // Nothing changed on the server since then: the local copy is kept as it is.
    assert.equal(readNdjsonDir(out).get('Observation')!.length, obs.length);
    assert.equal(readNdjsonDir(out).get('Observation')![0].status, 'local-edit');
    // Since long ago: everything comes again and replaces the local copy by id.
    const io2 = testIO(tokenFile);
    assert.equal((await fetchRecord({ fhirBase: server.fhirBase, clientId: DEMO_CLIENTS.confidential.clientId, out, since: '2000-01-01', tokenFile }, io2)).exitCode, 0, io2.err());
    const merged = readNdjsonDir(out).get('Observation')!;
    assert.equal(merged.length, obs.length);
    assert.notEqual(merged.find((o) => o.id === obs[0].id)!.status, 'local-edit');
    assert.deepEqual(asSorted(idsByType(readNdjsonDir(out))), asSorted(await expected(PATIENT_DATA_TYPES)));
  });

  test('11. the library: small pages (_count=5) follow next links on the real server and give the same record; revocation', async () => {
    const saved = new TokenFile(join(dir, 'public', 'tokens.json')).get(server.fhirBase, DEMO_CLIENTS.public.clientId)!;
    const client = await SmartClient.create({ fhirBase: server.fhirBase, clientId: DEMO_CLIENTS.public.clientId });
    assert.equal(client.auth.method, 'none');
    const tokens = new TokenSet(saved, client);
    const reader = new FhirReader({ fhirBase: server.fhirBase, tokens });
    const record = await downloadRecord(reader, ALEX, { count: 5 });
    assert.deepEqual(asSorted(idsByType(record.byType)), asSorted(await expected(PATIENT_DATA_TYPES)));
    const observations = await reader.searchAll('Observation', { patient: ALEX, _count: '5' });
    assert.ok(observations.status === 'ok' && observations.pages >= 4, 'several pages');
    // Revoking the refresh token ends the authorization: the access token stops working too.
    await client.revoke(saved.refreshToken!, 'refresh_token');
    await new Promise((r) => setTimeout(r, 1100));
    const after = await fetch(`${server.fhirBase}/Patient/${ALEX}`, { headers: { authorization: `Bearer ${saved.accessToken}` } });
    assert.equal(after.status, 401);
    await assert.rejects(tokens.refresh(), (e: Error & { code?: string }) => e.code === 'TOKEN_EXPIRED_NOT_REFRESHABLE');
  });
});
