/**
 * End-to-end helpers: headless Chromium (playwright-core, the system's /usr/bin/chromium) walking the
 * real sign-in screens by their accessible contract (SPEC §4), and a real OAuth client library
 * (openid-client v6) on the app's side: discovery, the authorization URL with PKCE, the code exchange
 * with id_token checks, refresh, introspection, revocation and userinfo.
 *
 * The app's redirect URI is a loopback `http://127.0.0.1:{port}/callback` (RFC 8252) served by a small
 * listener per browser context, which records every URL the browser was sent back with; that URL is
 * then handed to openid-client.
 */
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page, type Response } from 'playwright-core';
import * as oidc from 'openid-client';
import type { AuthTestServer } from './auth-server.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/**
 * The app's loopback redirect endpoint (RFC 8252): a real listener on 127.0.0.1 that records every URL
 * the browser is sent back with and answers with a small page. (Playwright's request interception
 * cannot be used here: it never sees the target of a redirect.)
 */
export interface CallbackServer {
  redirectUri: string;
  urls: string[];
  close(): Promise<void>;
}

export async function startCallbackServer(): Promise<CallbackServer> {
  const urls: string[] = [];
  const server = createHttpServer((req, res) => {
    urls.push(`http://127.0.0.1:${port}${req.url ?? '/'}`);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end('<!doctype html><title>App</title><h1>Back in the app</h1>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    redirectUri: `http://127.0.0.1:${port}/callback`,
    urls,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * A fresh browser context with its own app callback listener. Requests to anything but 127.0.0.1 are
 * aborted, so a test can never reach out of the machine.
 */
export async function newAppContext(browser: Browser, options: BrowserContextOptions = {}): Promise<{ context: BrowserContext; page: Page; callbacks: CallbackServer; close(): Promise<void> }> {
  const context = await browser.newContext(options);
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(10_000);
  await context.route((url) => url.hostname !== '127.0.0.1', (route) => route.abort('blockedbyclient'));
  const callbacks = await startCallbackServer();
  const page = await context.newPage();
  return {
    context,
    page,
    callbacks,
    async close() {
      await context.close().catch(() => undefined);
      await callbacks.close();
    },
  };
}

// ---- the app's side: openid-client ------------------------------------------------------------

export interface AppClient {
  config: oidc.Configuration;
  clientId: string;
}

/** OpenID discovery at the server's issuer; http on 127.0.0.1 allowed; id_token signatures checked against the JWKS. */
export async function discoverClient(server: AuthTestServer, clientId: string, clientAuth: oidc.ClientAuth, metadata: Partial<oidc.ClientMetadata> = {}): Promise<AppClient> {
  const config = await oidc.discovery(new URL(server.issuer), clientId, metadata, clientAuth, {
    execute: [oidc.allowInsecureRequests, oidc.enableNonRepudiationChecks],
  });
  return { config, clientId };
}

export interface StartedAuthorization {
  url: URL;
  state: string;
  nonce?: string;
  pkceCodeVerifier: string;
}

/** A SMART authorization URL: `aud` = the FHIR base, PKCE S256, a random state (and nonce with `openid`). */
export async function authorizationUrl(server: AuthTestServer, app: AppClient, redirectUri: string, scope: string, extra: Record<string, string> = {}): Promise<StartedAuthorization> {
  const pkceCodeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = scope.split(' ').includes('openid') ? oidc.randomNonce() : undefined;
  const params: Record<string, string> = {
    redirect_uri: redirectUri,
    scope,
    state,
    aud: server.fhirBase,
    code_challenge: await oidc.calculatePKCECodeChallenge(pkceCodeVerifier),
    code_challenge_method: 'S256',
    ...(nonce ? { nonce } : {}),
    ...extra,
  };
  return { url: oidc.buildAuthorizationUrl(app.config, params), state: params.state, nonce, pkceCodeVerifier };
}

/** The code exchange by openid-client, with state, PKCE, and (with `openid`) the id_token and nonce checked. */
export function exchangeCode(app: AppClient, started: StartedAuthorization, callbackUrl: string) {
  return oidc.authorizationCodeGrant(app.config, new URL(callbackUrl), {
    pkceCodeVerifier: started.pkceCodeVerifier,
    expectedState: started.state,
    expectedNonce: started.nonce,
    idTokenExpected: started.nonce !== undefined,
  });
}

// ---- the screens ------------------------------------------------------------------------------

/** Fills `Username` and `Password` and presses `Sign in`; returns the answer to the form post. */
export async function signIn(page: Page, username: string, password: string): Promise<Response> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/login-actions/authenticate')),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
  await page.waitForLoadState('domcontentloaded');
  return response;
}

export async function choosePatient(page: Page, fullName: string): Promise<void> {
  await page.getByRole('heading', { name: 'Choose a patient' }).waitFor();
  await page.getByRole('radio', { name: new RegExp(escapeRegExp(fullName)) }).check();
  await Promise.all([page.waitForURL(/\/login-actions\/consent/), page.getByRole('button', { name: 'Continue' }).click()]);
}

export interface ConsentChoices {
  /** Scope strings to untick. */
  untick?: string[];
  /** Granular radios to choose, by accessible name (e.g. 'Only lab results'). */
  granular?: string[];
  deny?: boolean;
}

/** On the consent screen: untick, choose, then `Allow` or `Deny`; waits until the browser is back at the app. */
export async function decide(page: Page, choices: ConsentChoices = {}): Promise<void> {
  await page.getByRole('button', { name: 'Allow' }).waitFor();
  for (const scope of choices.untick ?? []) {
    await page.getByRole('checkbox', { name: new RegExp(`scope ${escapeRegExp(scope)}$`) }).uncheck();
  }
  for (const name of choices.granular ?? []) await page.getByRole('radio', { name }).check();
  await Promise.all([page.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\/callback\?/), page.getByRole('button', { name: choices.deny ? 'Deny' : 'Allow' }).click()]);
}

export interface BrowserLaunchOptions extends ConsentChoices {
  username?: string;
  password?: string;
  /** The full name to pick when the picker appears. */
  patientName?: string;
}

/** The whole walk in the browser: authorize URL → sign in → (picker) → consent → back at the app. Returns the callback URL. */
export async function launchInBrowser(page: Page, url: URL, o: BrowserLaunchOptions & { password: string }): Promise<string> {
  const first = await page.goto(url.href);
  if (first?.status() !== 200) throw new Error(`authorize led to ${first?.status()} at ${page.url()}`);
  const signedIn = await signIn(page, o.username ?? 'david.smith', o.password);
  if (signedIn.status() !== 303 && signedIn.status() !== 200) throw new Error(`sign-in answered ${signedIn.status()}`);
  if (o.patientName) await choosePatient(page, o.patientName);
  await decide(page, o);
  return page.url();
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

export function randomName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}
