/**
 * @module auth/flow
 * The browser side of the authorization server: the authorize endpoint and the screens a patient walks
 * through — sign in, choose a patient, consent — ending in a redirect to the app with a code (or an
 * error). Every step is a POST with a CSRF token answered by a 303, and every page carries anti-framing
 * and no-store headers. The state of one walk lives in the store, so any server process can continue it.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccountRecord, AuthStore, ClientRecord } from '../store/auth.js';
import {
  AuthorizePageError,
  AuthorizeRedirectError,
  redirectWith,
  validateAuthorizeRequest,
  type AuthorizeRequest,
} from './authorize.js';
import { formBody, pageHeaders, paramRecord, queryOf, readCookies, setCookie } from './http.js';
import { lockoutWait } from './passwords.js';
import { checkSignIn } from './sign-in.js';
import { describeScope, formatScopes, isSubset, parseScopes } from './scopes.js';
import { renderConsent, renderErrorPage, renderPatientPicker, renderSignIn, type ConsentScope } from './screens/index.js';
import { hashToken } from './secrets.js';
import type { SearchParameterRegistry } from '../fhir/search/registry.js';
import type { AuditTrail } from '../admin/audit.js';

const TX_TTL_MS = 30 * 60_000;
const SESSION_TTL_MS = 8 * 3600_000;
const CODE_TTL_MS = 60_000;
const SESSION_COOKIE = 'pa_session';
const CSRF_COOKIE = 'pa_csrf';
export const SIGN_IN_FAILED = 'Sign-in failed. Check your username and password. After several failed attempts you must wait before trying again.';

interface Transaction extends AuthorizeRequest {
  username?: string;
  authTime?: number;
  patientId?: string;
  /** Granular choices offered on the consent screen, by scope: only these may come back. */
  offered?: Record<string, string[]>;
}

export interface PatientSummary {
  id: string;
  name: string;
  birthDate?: string;
}

export interface FlowOptions {
  authStore: AuthStore;
  registry: SearchParameterRegistry;
  fhirBaseUrl: string;
  basePath: string; // e.g. /auth/realms/patient-access
  secureCookies: boolean;
  practiceName: string;
  csrfSecret: Buffer;
  demoNote?: string;
  lookupPatients(ids: string[]): Promise<PatientSummary[]>;
  audit: AuditTrail;
  now?: () => number;
}

/** Granular sub-choices offered for resource-level scopes of these types, by category. */
const GRANULAR: Record<string, { system: string; codes: [string, string][] }> = {
  Observation: {
    system: 'http://terminology.hl7.org/CodeSystem/observation-category',
    codes: [
      ['laboratory', 'Only lab results'],
      ['vital-signs', 'Only vital signs'],
      ['social-history', 'Only social history (such as smoking status)'],
      ['survey', 'Only questionnaires and screenings'],
    ],
  },
  Condition: {
    system: 'http://terminology.hl7.org/CodeSystem/condition-category',
    codes: [
      ['problem-list-item', 'Only the problem list'],
      ['encounter-diagnosis', 'Only diagnoses from visits'],
    ],
  },
};

/** Narrower choices for a type-level patient scope (not already granular) of a type listed above. */
function granularChoices(scope: string, registry: SearchParameterRegistry): { scope: string; text: string }[] | undefined {
  const [s] = parseScopes(scope, registry).resource;
  if (!s || s.context !== 'patient' || s.query?.length) return undefined;
  const g = GRANULAR[s.type];
  if (!g) return undefined;
  return g.codes.map(([code, text]) => ({ scope: `${scope}?category=${g.system}|${code}`, text }));
}

export function registerFlowRoutes(app: FastifyInstance, o: FlowOptions): void {
  const now = o.now ?? Date.now;
  const paths = {
    authorize: `${o.basePath}/protocol/openid-connect/auth`,
    signIn: `${o.basePath}/login-actions/authenticate`,
    choose: `${o.basePath}/login-actions/choose-patient`,
    consent: `${o.basePath}/login-actions/consent`,
  };

  const nonce = () => randomBytes(16).toString('base64');
  const csrfFor = (request: FastifyRequest, reply: FastifyReply, tx: string): string => {
    let base = readCookies(request)[CSRF_COOKIE];
    if (!base || base.length < 20) {
      base = randomBytes(24).toString('base64url');
      setCookie(reply, CSRF_COOKIE, base, { secure: o.secureCookies });
    }
    return createHmac('sha256', o.csrfSecret).update(`${base}|${tx}`).digest('base64url');
  };
  const csrfOk = (request: FastifyRequest, tx: string, given: string | null): boolean => {
    const base = readCookies(request)[CSRF_COOKIE];
    if (!base || !given) return false;
    const expected = createHmac('sha256', o.csrfSecret).update(`${base}|${tx}`).digest();
    const got = Buffer.from(given, 'base64url');
    return got.length === expected.length && timingSafeEqual(got, expected) && got.toString('base64url') === given;
  };

  const errorPage = (reply: FastifyReply, status: number, title: string, message: string, detail?: string) => {
    const n = nonce();
    return pageHeaders(reply.code(status), n).send(renderErrorPage({ nonce: n, practiceName: o.practiceName, title, message, detail }));
  };

  const loadTx = async (id: string | null | undefined): Promise<Transaction | undefined> =>
    id && /^[A-Za-z0-9_-]{20,64}$/.test(id) ? ((await o.authStore.getAuthRequest(id, now())) as Transaction | undefined) : undefined;
  const saveTx = (id: string, tx: Transaction) => o.authStore.putAuthRequest(id, tx as unknown as Record<string, unknown>, now() + TX_TTL_MS);

  const sessionUser = async (request: FastifyRequest): Promise<string | undefined> => {
    const sid = readCookies(request)[SESSION_COOKIE];
    return sid ? o.authStore.getSession(hashToken(sid), now()) : undefined;
  };

  const expired = (reply: FastifyReply) =>
    errorPage(reply, 400, 'This sign-in has expired', 'Go back to the app and start connecting again.');

  /** A screen's POST: its form and transaction once the transaction is live and the CSRF token checks out. */
  const postedStep = async (
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<{ ok: true; form: URLSearchParams; txId: string; tx: Transaction } | { ok: false; reply: FastifyReply }> => {
    const form = formBody(request);
    const txId = form.get('tx');
    const tx = await loadTx(txId);
    if (!tx || !txId) return { ok: false, reply: expired(reply) };
    if (!csrfOk(request, txId, form.get('csrf'))) {
      return { ok: false, reply: errorPage(reply, 403, 'This form has expired', 'Go back to the app and start connecting again.') };
    }
    return { ok: true, form, txId, tx };
  };

  /** The next screen for a transaction, as a 303 (POST/redirect/GET). */
  const next = async (reply: FastifyReply, txId: string, tx: Transaction) => {
    if (!tx.username) return reply.code(303).header('location', `${paths.signIn}?tx=${txId}`).send();
    const account = await o.authStore.getAccount(tx.username);
    if (!account) return reply.code(303).header('location', `${paths.signIn}?tx=${txId}`).send();
    if (!tx.patientId) {
      const wantsPicker = parseScopes(tx.scope, o.registry).launchPatient && account.patients.length > 1;
      if (wantsPicker) return reply.code(303).header('location', `${paths.choose}?tx=${txId}`).send();
      tx.patientId = account.patients[0];
      await saveTx(txId, tx);
    }
    return reply.code(303).header('location', `${paths.consent}?tx=${txId}`).send();
  };

  const redirectError = (reply: FastifyReply, tx: Transaction, error: string, description: string) =>
    reply.code(303).header('location', redirectWith(tx.redirectUri, { error, error_description: description, state: tx.state })).send();

  // ---- authorize (GET and POST) ----------------------------------------------------------------
  const authorize = async (request: FastifyRequest, reply: FastifyReply) => {
    const params = request.method === 'POST' ? paramRecord(formBody(request)) : paramRecord(queryOf(request));
    const clientId = typeof params.client_id === 'string' ? params.client_id : undefined;
    const client = clientId ? await o.authStore.getClient(clientId) : undefined;
    let req: AuthorizeRequest;
    try {
      req = validateAuthorizeRequest(params, client, o.fhirBaseUrl);
    } catch (err) {
      if (err instanceof AuthorizePageError) return errorPage(reply, 400, err.title, err.message, err.detail);
      if (err instanceof AuthorizeRedirectError) {
        return reply.code(303).header('location', redirectWith(err.redirectUri, { error: err.error, error_description: err.description, state: err.state })).send();
      }
      throw err;
    }
    // Only what the client is registered for can be offered: the rest of the request is dropped.
    const allowed = parseScopes((client as ClientRecord).scope, o.registry);
    const offered = formatScopes(parseScopes(req.scope, o.registry))
      .split(' ')
      .filter((s) => s && isSubset(parseScopes(s, o.registry), allowed));
    const parsed = parseScopes(offered.join(' '), o.registry);
    if (!parsed.resource.length) {
      return reply
        .code(303)
        .header('location', redirectWith(req.redirectUri, { error: 'invalid_scope', error_description: 'None of the requested scopes can be granted to this app', state: req.state }))
        .send();
    }
    const txId = randomBytes(24).toString('base64url');
    const tx: Transaction = { ...req, scope: offered.join(' ') };
    const user = await sessionUser(request);
    if (user) {
      tx.username = user;
      tx.authTime = now();
    }
    await saveTx(txId, tx);
    return next(reply, txId, tx);
  };
  app.get(paths.authorize, authorize);
  app.post(paths.authorize, authorize);

  // ---- sign in ---------------------------------------------------------------------------------
  const showSignIn = async (request: FastifyRequest, reply: FastifyReply, txId: string, tx: Transaction, status = 200, error?: string, username?: string) => {
    const client = await o.authStore.getClient(tx.clientId);
    const n = nonce();
    const csrf = csrfFor(request, reply, txId);
    return pageHeaders(reply.code(status), n).send(
      renderSignIn({ nonce: n, action: paths.signIn, csrf, tx: txId, appName: client?.name ?? 'An app', practiceName: o.practiceName, error, username, demoNote: o.demoNote }),
    );
  };
  app.get(paths.signIn, async (request, reply) => {
    const txId = queryOf(request).get('tx');
    const tx = await loadTx(txId);
    if (!tx || !txId) return expired(reply);
    return showSignIn(request, reply, txId, tx);
  });
  app.post(paths.signIn, async (request, reply) => {
    const posted = await postedStep(request, reply);
    if (!posted.ok) return posted.reply;
    const { form, txId, tx } = posted;
    const username = (form.get('username') ?? '').trim().toLowerCase().slice(0, 200);
    const t = now();
    const result = await checkSignIn(o.authStore, username, form.get('password') ?? '', t);
    if (!result.ok) {
      // Only a name that is an account is recorded: a password typed into the username box must not be.
      const who = result.account ? { username: result.account.username, personId: result.account.personId } : {};
      await o.audit.record({ category: 'auth', action: 'sign-in-failed', outcome: 'failure', status: 401, clientId: tx.clientId, source: request.ip, ...who });
      if (result.failures > 0 && lockoutWait(result.failures) > 0) {
        await o.audit.record({
          category: 'auth',
          action: 'lockout',
          outcome: 'failure',
          clientId: tx.clientId,
          source: request.ip,
          ...who,
          detail: `waiting ${Math.round(lockoutWait(result.failures) / 1000)} s after ${result.failures} failed sign-ins`,
        });
      }
      return showSignIn(request, reply, txId, tx, 401, SIGN_IN_FAILED, username);
    }
    const account = result.account;
    await o.audit.record({ category: 'auth', action: 'sign-in', outcome: 'success', clientId: tx.clientId, username: account.username, personId: account.personId, source: request.ip });
    const sid = randomBytes(32).toString('base64url');
    await o.authStore.putSession(hashToken(sid), account.username, t, t + SESSION_TTL_MS);
    setCookie(reply, SESSION_COOKIE, sid, { secure: o.secureCookies, maxAgeSeconds: SESSION_TTL_MS / 1000 });
    tx.username = account.username;
    tx.authTime = t;
    await saveTx(txId, tx);
    return next(reply, txId, tx);
  });

  // ---- choose a patient ---------------------------------------------------------------------
  const accountOf = async (tx: Transaction): Promise<AccountRecord | undefined> => (tx.username ? o.authStore.getAccount(tx.username) : undefined);
  const showPicker = async (request: FastifyRequest, reply: FastifyReply, txId: string, tx: Transaction, account: AccountRecord, error?: string) => {
    const client = await o.authStore.getClient(tx.clientId);
    const people = await o.lookupPatients(account.patients);
    const n = nonce();
    return pageHeaders(reply.code(error ? 400 : 200), n).send(
      renderPatientPicker({
        nonce: n,
        practiceName: o.practiceName,
        action: paths.choose,
        csrf: csrfFor(request, reply, txId),
        tx: txId,
        appName: client?.name ?? 'An app',
        error,
        patients: people.map((p, i) => ({
          id: p.id,
          name: p.name,
          detail: [p.birthDate ? `born ${p.birthDate}` : undefined, i === 0 ? 'you' : undefined].filter(Boolean).join(' · '),
        })),
      }),
    );
  };
  app.get(paths.choose, async (request, reply) => {
    const txId = queryOf(request).get('tx');
    const tx = await loadTx(txId);
    if (!tx || !txId) return expired(reply);
    const account = await accountOf(tx);
    if (!account) return next(reply, txId, tx);
    return showPicker(request, reply, txId, tx, account);
  });
  app.post(paths.choose, async (request, reply) => {
    const posted = await postedStep(request, reply);
    if (!posted.ok) return posted.reply;
    const { form, txId, tx } = posted;
    const account = await accountOf(tx);
    if (!account) return next(reply, txId, tx);
    const patient = form.get('patient');
    if (!patient || !account.patients.includes(patient)) return showPicker(request, reply, txId, tx, account, 'Choose a patient to continue.');
    tx.patientId = patient;
    await saveTx(txId, tx);
    return reply.code(303).header('location', `${paths.consent}?tx=${txId}`).send();
  });

  // ---- consent -------------------------------------------------------------------------------
  const consentScopes = (tx: Transaction): { list: ConsentScope[]; offered: Record<string, string[]> } => {
    const parsed = parseScopes(tx.scope, o.registry);
    const offered: Record<string, string[]> = {};
    const list: ConsentScope[] = [];
    const requested = formatScopes(parsed).split(' ').filter(Boolean);
    for (const scope of requested) {
      const d = describeScope(scope, o.registry);
      const granular = granularChoices(scope, o.registry);
      if (granular) offered[scope] = granular.map((g) => g.scope);
      list.push({ scope, group: d.group, text: d.text, granular });
    }
    return { list, offered };
  };
  app.get(paths.consent, async (request, reply) => {
    const txId = queryOf(request).get('tx');
    const tx = await loadTx(txId);
    if (!tx || !txId) return expired(reply);
    const account = await accountOf(tx);
    if (!account || !tx.patientId) return next(reply, txId, tx);
    const client = await o.authStore.getClient(tx.clientId);
    const [patient] = await o.lookupPatients([tx.patientId]);
    const { list, offered } = consentScopes(tx);
    tx.offered = offered;
    await saveTx(txId, tx);
    const n = nonce();
    return pageHeaders(reply, n).send(
      renderConsent({
        nonce: n,
        practiceName: o.practiceName,
        action: paths.consent,
        csrf: csrfFor(request, reply, txId),
        tx: txId,
        appName: client?.name ?? 'An app',
        patientName: patient?.name ?? 'the patient',
        scopes: list,
        offlineAccess: parseScopes(tx.scope, o.registry).offlineAccess,
        accountName: account.username,
      }),
    );
  });
  app.post(paths.consent, async (request, reply) => {
    const posted = await postedStep(request, reply);
    if (!posted.ok) return posted.reply;
    const { form, txId, tx } = posted;
    const account = await accountOf(tx);
    if (!account || !tx.patientId || !tx.offered) return next(reply, txId, tx);
    await o.authStore.deleteAuthRequest(txId);
    const consent = { category: 'auth' as const, action: 'consent', clientId: tx.clientId, username: account.username, personId: account.personId, patientId: tx.patientId, source: request.ip };
    if (form.get('decision') !== 'allow') {
      await o.audit.record({ ...consent, outcome: 'failure', detail: 'denied' });
      return redirectError(reply, tx, 'access_denied', 'The patient did not allow access');
    }
    const requested = new Set(formatScopes(parseScopes(tx.scope, o.registry)).split(' '));
    const granted: string[] = [];
    for (const scope of form.getAll('scope')) {
      if (!requested.has(scope)) continue; // only what was asked can be granted
      const narrower = form.get(`granular:${scope}`);
      if (narrower && (tx.offered[scope] ?? []).includes(narrower)) granted.push(narrower);
      else granted.push(scope);
    }
    const grantedScopes = parseScopes(granted.join(' '), o.registry);
    if (!grantedScopes.resource.length) {
      await o.audit.record({ ...consent, outcome: 'failure', detail: 'nothing ticked' });
      return redirectError(reply, tx, 'access_denied', 'The patient did not allow access to any records');
    }
    const grantId = randomBytes(16).toString('base64url');
    const scope = formatScopes(grantedScopes);
    const t = now();
    await o.authStore.createGrant({ grantId, clientId: tx.clientId, username: account.username, patientId: tx.patientId, scope, createdAt: t, lastUsedAt: null, revokedAt: null });
    await o.audit.record({ ...consent, outcome: 'success', detail: `granted: ${scope}` });
    const code = randomBytes(32).toString('base64url');
    await o.authStore.putCode(
      hashToken(code),
      grantId,
      { clientId: tx.clientId, redirectUri: tx.redirectUri, codeChallenge: tx.codeChallenge, nonce: tx.nonce, authTime: tx.authTime ?? t },
      t + CODE_TTL_MS,
    );
    return reply.code(303).header('location', redirectWith(tx.redirectUri, { code, state: tx.state })).send();
  });
}
