/**
 * @module admin/account-page
 * The patient's own page, `/account` (issue 4 point 4): with the same username and password as the
 * sign-in screens, a patient sees for each person they may act for (themselves first, then dependents)
 * the apps connected to that person's records — what each was granted in plain words, when it was
 * connected and when last used — can disconnect an app (every active grant of that app for that person
 * is revoked, so its access and refresh tokens stop working at once), and reads the access history.
 *
 * Cookies: this page keeps its own session and CSRF cookies, scoped to `Path=/account`
 * (`pa_account_session`, `pa_account_csrf`). The authorization screens' `pa_session` stays scoped to
 * `/auth`, so neither cookie is ever sent to the FHIR API, the developer pages or the other half. Both
 * sessions live in the same store table (any server process can continue either), and signing in here
 * follows exactly the rules of the authorization screens: the same generic failure message, a decoy
 * hash for unknown usernames, the same throttle and lockout counters.
 *
 * Every POST carries a CSRF token (an HMAC of the CSRF cookie, bound to the session — or to the sign-in
 * form before there is one) and is answered with a 303, except a refused sign-in (401, the form again,
 * as on the authorization screens) and refusals (403 expired form, 404 unknown app connection).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { checkSignIn } from '../auth/sign-in.js';
import { SIGN_IN_FAILED } from '../auth/flow.js';
import { acceptFormBodies, formBody, pageHeaders, queryOf, readCookies, setCookie } from '../auth/http.js';
import { hashToken } from '../auth/secrets.js';
import type { TokenService } from '../auth/tokens.js';
import type { SearchParameterRegistry } from '../fhir/search/registry.js';
import type { AccountRecord, AuthStore, GrantRecord } from '../store/auth.js';
import {
  actionText,
  appsForPatient,
  describeGranted,
  kindsOfData,
  outcomeText,
  type AccountHistoryRow,
} from './account-page/describe.js';
import { renderAccountMessage, renderAccountPage, renderAccountSignIn, type PatientView } from './account-page/render.js';

export type { AccountHistoryRow } from './account-page/describe.js';

export const ACCOUNT_PATH = '/account';
export const ACCOUNT_SESSION_COOKIE = 'pa_account_session';
export const ACCOUNT_CSRF_COOKIE = 'pa_account_csrf';
/** A session on this page lasts an hour (shorter than the authorization screens' eight). */
export const ACCOUNT_SESSION_TTL_MS = 60 * 60_000;
/** How many history rows the page asks for. */
export const HISTORY_LIMIT = 100;
/** At most this many grant ids are read from one disconnect form. */
const MAX_GRANTS_PER_POST = 50;

/** Something worth an audit record happened on this page; the audit trail may subscribe. */
export interface AccountPageEvent {
  type: 'sign-in' | 'sign-in-failed' | 'sign-out' | 'disconnect';
  /** The signed-in account; for a failed sign-in the name that was typed, only when such an account exists. */
  username?: string;
  clientId?: string;
  patientId?: string;
  /** The grants revoked by a disconnect. */
  grantIds?: string[];
  /** For a failed sign-in: whether the account is now waiting or locked. */
  locked?: boolean;
  sourceAddress: string;
  at: number;
}

export interface AccountPageDeps {
  authStore: AuthStore;
  tokens: TokenService;
  practiceName: string;
  secureCookies: boolean;
  csrfSecret: Buffer;
  lookupPatients(ids: string[]): Promise<{ id: string; name: string; birthDate?: string }[]>;
  /** The newest `limit` access-history rows for these patients of this account, newest first. */
  history(username: string, patientIds: string[], limit: number): Promise<AccountHistoryRow[]>;
  now?: () => number;
  /** Shown on the sign-in form in demo mode (the demo logins). */
  demoNote?: string;
  /** For plain-language scope descriptions; the default registry when absent. */
  registry?: SearchParameterRegistry;
  /** IANA time zone for the times shown (the practice's); UTC when absent. */
  timeZone?: string;
  /** Called after sign-in, failed sign-in, sign-out and disconnect (for the audit trail); errors are logged, not shown. */
  onEvent?(event: AccountPageEvent): Promise<void> | void;
}

const paths = {
  page: ACCOUNT_PATH,
  signIn: `${ACCOUNT_PATH}/sign-in`,
  signOut: `${ACCOUNT_PATH}/sign-out`,
  disconnect: `${ACCOUNT_PATH}/disconnect`,
};

const GRANT_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** Registers `GET /account`, `POST /account/sign-in`, `POST /account/sign-out` and `POST /account/disconnect`. */
export async function registerAccountPage(app: FastifyInstance, deps: AccountPageDeps): Promise<void> {
  const now = deps.now ?? Date.now;
  const cookie = (reply: FastifyReply, name: string, value: string, maxAgeSeconds?: number) =>
    setCookie(reply, name, value, { secure: deps.secureCookies, path: ACCOUNT_PATH, maxAgeSeconds });
  const nonce = () => randomBytes(16).toString('base64');

  // ---- CSRF: HMAC(secret, "account|" + cookie + "|" + binding), binding = the session or the sign-in form
  const mac = (base: string, binding: string) => createHmac('sha256', deps.csrfSecret).update(`account|${base}|${binding}`).digest();
  const csrfFor = (request: FastifyRequest, reply: FastifyReply, binding: string): string => {
    let base = readCookies(request)[ACCOUNT_CSRF_COOKIE];
    if (!base || base.length < 20) {
      base = randomBytes(24).toString('base64url');
      cookie(reply, ACCOUNT_CSRF_COOKIE, base);
    }
    return mac(base, binding).toString('base64url');
  };
  const csrfOk = (request: FastifyRequest, binding: string, given: string | null): boolean => {
    const base = readCookies(request)[ACCOUNT_CSRF_COOKIE];
    if (!base || !given) return false;
    const expected = mac(base, binding);
    const got = Buffer.from(given, 'base64url');
    return got.length === expected.length && timingSafeEqual(got, expected) && got.toString('base64url') === given;
  };
  const SIGN_IN_BINDING = 'sign-in';
  const sessionBinding = (sidHash: string) => `session:${sidHash}`;

  // ---- session ---------------------------------------------------------------------------------
  interface Signed {
    sidHash: string;
    account: AccountRecord;
  }
  const signedIn = async (request: FastifyRequest): Promise<Signed | undefined> => {
    const sid = readCookies(request)[ACCOUNT_SESSION_COOKIE];
    if (!sid || sid.length > 200) return undefined;
    const sidHash = hashToken(sid);
    const username = await deps.authStore.getSession(sidHash, now());
    if (!username) return undefined;
    const account = await deps.authStore.getAccount(username);
    if (!account || account.status !== 'active') return undefined;
    return { sidHash, account };
  };

  const emit = async (request: FastifyRequest, event: Omit<AccountPageEvent, 'sourceAddress' | 'at'>) => {
    if (!deps.onEvent) return;
    try {
      await deps.onEvent({ ...event, sourceAddress: request.ip, at: now() });
    } catch (err) {
      request.log.error({ err }, 'account page event handler failed');
    }
  };

  // ---- responses ---------------------------------------------------------------------------------
  const message = (reply: FastifyReply, status: number, title: string, text: string) => {
    const n = nonce();
    return pageHeaders(reply.code(status), n).send(renderAccountMessage({ nonce: n, practiceName: deps.practiceName, title, message: text, back: paths.page }));
  };
  const expiredForm = (reply: FastifyReply) =>
    message(reply, 403, 'This form has expired', 'Nothing was changed. Go back to your account page and try again.');
  const seeOther = (reply: FastifyReply, location: string) => reply.code(303).header('cache-control', 'no-store').header('location', location).send();

  const showSignIn = (request: FastifyRequest, reply: FastifyReply, o: { status?: number; error?: string; username?: string; info?: string } = {}) => {
    const n = nonce();
    return pageHeaders(reply.code(o.status ?? 200), n).send(
      renderAccountSignIn({
        nonce: n,
        practiceName: deps.practiceName,
        action: paths.signIn,
        csrf: csrfFor(request, reply, SIGN_IN_BINDING),
        username: o.username,
        error: o.error,
        info: o.info,
        demoNote: deps.demoNote,
      }),
    );
  };

  const appNames = () => {
    const cache = new Map<string, Promise<string>>();
    return (clientId: string | undefined): Promise<string> => {
      if (!clientId) return Promise.resolve('—');
      let name = cache.get(clientId);
      if (!name) {
        name = deps.authStore.getClient(clientId).then((c) => c?.name ?? `${clientId} (app no longer registered)`);
        cache.set(clientId, name);
      }
      return name;
    };
  };

  const showPage = async (request: FastifyRequest, reply: FastifyReply, s: Signed) => {
    const { account } = s;
    const ids = account.patients;
    const [people, grants, rows] = await Promise.all([
      deps.lookupPatients(ids),
      deps.authStore.listGrants(account.username),
      deps.history(account.username, ids, HISTORY_LIMIT).catch((err: unknown) => {
        request.log.error({ err }, 'the access history could not be read');
        return undefined;
      }),
    ]);
    const nameOf = new Map(people.map((p) => [p.id, p.name]));
    const patientName = (id: string | undefined) => (id === undefined ? '—' : nameOf.get(id) ?? `Patient ${id}`);
    const appName = appNames();

    const patients: PatientView[] = [];
    for (const [i, id] of ids.entries()) {
      const { connected, disconnected } = appsForPatient(grants, id);
      patients.push({
        id,
        name: patientName(id),
        relation: i === 0 ? 'you' : 'in your care',
        apps: await Promise.all(
          connected.map(async (a) => ({
            appName: await appName(a.clientId),
            grantIds: a.grantIds,
            connectedAt: a.connectedAt,
            lastUsedAt: a.lastUsedAt,
            granted: describeGranted(a.scopes, deps.registry),
            scopes: a.scopes,
          })),
        ),
        disconnected: await Promise.all(disconnected.map(async (d) => ({ appName: await appName(d.clientId), disconnectedAt: d.disconnectedAt }))),
      });
    }

    // Rows about anyone else are never shown, whatever the history function returns.
    const mine = (rows ?? [])
      .filter((r) => r.patientId === undefined || ids.includes(r.patientId))
      .slice(0, HISTORY_LIMIT);
    const history = await Promise.all(
      mine.map(async (r) => {
        const outcome = outcomeText(String(r.outcome ?? ''));
        return {
          recorded: r.recorded,
          appName: await appName(r.clientId),
          patientName: patientName(r.patientId),
          action: actionText(String(r.action ?? '')),
          kinds: kindsOfData(r.resourceTypes ?? [], deps.registry),
          outcome: outcome.text,
          outcomeOk: outcome.ok,
        };
      }),
    );

    let confirmation: string | undefined;
    const done = queryOf(request).get('disconnected');
    if (done && GRANT_ID.test(done)) {
      const g = await deps.authStore.getGrant(done);
      if (g && g.username === account.username && g.revokedAt !== null) {
        confirmation = `${await appName(g.clientId)} is disconnected from ${patientName(g.patientId)}’s records. It can no longer read them; its access and refresh tokens have stopped working.`;
      }
    }
    if (rows === undefined) confirmation = [confirmation, 'The access history could not be loaded just now. Try again later.'].filter(Boolean).join(' ');

    const n = nonce();
    return pageHeaders(reply, n).send(
      renderAccountPage({
        nonce: n,
        practiceName: deps.practiceName,
        username: account.username,
        displayName: account.displayName,
        csrf: csrfFor(request, reply, sessionBinding(s.sidHash)),
        paths: { signOut: paths.signOut, disconnect: paths.disconnect },
        patients,
        history,
        historyLimit: HISTORY_LIMIT,
        confirmation,
        timeZone: deps.timeZone,
      }),
    );
  };

  await app.register(async (scope) => {
    acceptFormBodies(scope);
    scope.setErrorHandler((error, request, reply) => {
      const status = (error as { statusCode?: number }).statusCode;
      if (status && status >= 400 && status < 500) return message(reply, status, 'The request could not be read', 'Nothing was changed. Go back to your account page and try again.');
      request.log.error({ err: error }, 'unhandled error on the account page');
      return message(reply, 500, 'Something went wrong', 'Nothing was changed. Try again in a moment.');
    });

    // ---- the page (or the sign-in form) ------------------------------------------------------------
    scope.get(paths.page, async (request, reply) => {
      const s = await signedIn(request);
      if (!s) return showSignIn(request, reply, { info: queryOf(request).get('signed-out') === '1' ? 'You are signed out.' : undefined });
      return showPage(request, reply, s);
    });

    // ---- sign in -----------------------------------------------------------------------------------
    scope.post(paths.signIn, async (request, reply) => {
      const form = formBody(request);
      if (!csrfOk(request, SIGN_IN_BINDING, form.get('csrf'))) return expiredForm(reply);
      const username = (form.get('username') ?? '').trim().toLowerCase().slice(0, 200);
      const t = now();
      const result = await checkSignIn(deps.authStore, username, form.get('password') ?? '', t);
      if (!result.ok) {
        await emit(request, { type: 'sign-in-failed', username: result.account?.username, locked: result.locked });
        return showSignIn(request, reply, { status: 401, error: SIGN_IN_FAILED, username });
      }
      const account = result.account;
      // A new session id on every sign-in (no fixation); the previous one, if any, ends.
      const prior = readCookies(request)[ACCOUNT_SESSION_COOKIE];
      if (prior && prior.length <= 200) await deps.authStore.deleteSession(hashToken(prior));
      const sid = randomBytes(32).toString('base64url');
      await deps.authStore.putSession(hashToken(sid), account.username, t, t + ACCOUNT_SESSION_TTL_MS);
      cookie(reply, ACCOUNT_SESSION_COOKIE, sid, ACCOUNT_SESSION_TTL_MS / 1000);
      await emit(request, { type: 'sign-in', username: account.username });
      return seeOther(reply, paths.page);
    });

    // ---- sign out ----------------------------------------------------------------------------------
    scope.post(paths.signOut, async (request, reply) => {
      const form = formBody(request);
      const s = await signedIn(request);
      if (!s) {
        cookie(reply, ACCOUNT_SESSION_COOKIE, '', 0);
        return seeOther(reply, paths.page);
      }
      if (!csrfOk(request, sessionBinding(s.sidHash), form.get('csrf'))) return expiredForm(reply);
      await deps.authStore.deleteSession(s.sidHash);
      cookie(reply, ACCOUNT_SESSION_COOKIE, '', 0);
      await emit(request, { type: 'sign-out', username: s.account.username });
      return seeOther(reply, `${paths.page}?signed-out=1`);
    });

    // ---- disconnect an app -------------------------------------------------------------------------
    scope.post(paths.disconnect, async (request, reply) => {
      const form = formBody(request);
      const s = await signedIn(request);
      if (!s) return seeOther(reply, paths.page);
      if (!csrfOk(request, sessionBinding(s.sidHash), form.get('csrf'))) return expiredForm(reply);
      const { account } = s;
      const notFound = () =>
        message(reply, 404, 'App connection not found', 'This app connection is not part of your account, so nothing was changed.');

      const ids = [...new Set(form.getAll('grant'))];
      if (!ids.length || ids.length > MAX_GRANTS_PER_POST || !ids.every((id) => GRANT_ID.test(id))) return notFound();
      // Every posted grant must be this account's, for one of its patients — checked before anything is revoked.
      const posted: GrantRecord[] = [];
      for (const id of ids) {
        const g = await deps.authStore.getGrant(id);
        if (!g || g.username !== account.username || !account.patients.includes(g.patientId)) return notFound();
        posted.push(g);
      }
      // Disconnect the app, not just one grant: every active grant of that client for that patient.
      const pairs = new Set(posted.map((g) => `${g.clientId}\u0000${g.patientId}`));
      const targets = (await deps.authStore.listGrants(account.username)).filter(
        (g) => g.revokedAt === null && pairs.has(`${g.clientId}\u0000${g.patientId}`),
      );
      const t = now();
      const revoked: GrantRecord[] = [];
      for (const g of targets) if (await deps.authStore.revokeGrant(g.grantId, t)) revoked.push(g);
      deps.tokens.clearRevocationCache();
      for (const key of pairs) {
        const [clientId, patientId] = key.split('\u0000');
        const grantIds = revoked.filter((g) => g.clientId === clientId && g.patientId === patientId).map((g) => g.grantId);
        await emit(request, { type: 'disconnect', username: account.username, clientId, patientId, grantIds });
      }
      const shown = revoked[0] ?? posted[0]!;
      return seeOther(reply, `${paths.page}?disconnected=${encodeURIComponent(shown.grantId)}#patient-${encodeURIComponent(shown.patientId)}`);
    });
  });
}
