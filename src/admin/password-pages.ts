/**
 * @module admin/password-pages
 * The one-time set-password page behind the link `accounts create` / `accounts reset-password` print:
 * `GET /account/set-password?token=…` shows a form (new password and its confirmation, CSRF-protected),
 * `POST /account/set-password` sets the password and uses the link up, then redirects to a confirmation.
 * A link that is unknown, used, replaced or expired gets one plain page that names no account.
 * The pages share the sign-in screens' layout, work without JavaScript and pass their strict CSP.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { acceptFormBodies, formBody, pageHeaders, queryOf, readCookies, setCookie } from '../auth/http.js';
import { html, renderErrorPage } from '../auth/screens/index.js';
import { layout } from '../auth/screens/layout.js';
import { hashToken } from '../auth/secrets.js';
import { AccountError, MIN_PASSWORD_LENGTH, SET_PASSWORD_PATH, type AccountsAdmin } from './accounts.js';

export const SET_PASSWORD_DONE_PATH = `${SET_PASSWORD_PATH}/done`;
const CSRF_COOKIE = 'pa_pw_csrf';

export interface PasswordRoutesOptions {
  accounts: AccountsAdmin;
  /** Shown in the page header (settings.practiceName). */
  practiceName?: string;
  /** Whether cookies get `Secure` (true when PUBLIC_URL is https). */
  secureCookies?: boolean;
  /** Key of the CSRF tokens; defaults to the store's shared `csrf-secret` setting (the sign-in screens' key). */
  csrfSecret?: Buffer;
}

interface FormState {
  token: string;
  username: string;
  csrf: string;
  error?: { field: 'password' | 'confirm' | 'form'; message: string };
}

function renderForm(o: { nonce: string; practiceName?: string } & FormState): string {
  const { error } = o;
  const invalid = (field: string) => (error && (error.field === field || error.field === 'form') ? html` aria-invalid="true"` : '');
  const describedBy = (field: string) =>
    html` aria-describedby="password-hint${error && (error.field === field || error.field === 'form') ? ' set-password-error' : ''}"`;
  const body = html`<h1>Choose your password</h1>
<p class="lede">Set the password for your patient account. You will use it to sign in when an app asks to connect to your records.</p>
${error ? html`<div class="alert" id="set-password-error" role="alert"><p><strong>The password was not set.</strong> ${error.message}</p></div>` : ''}
<form method="post" action="${SET_PASSWORD_PATH}">
<input type="hidden" name="csrf" value="${o.csrf}">
<input type="hidden" name="token" value="${o.token}">
<div class="field">
<label for="username">Username</label>
<input type="text" id="username" name="username" autocomplete="username" readonly value="${o.username}">
</div>
<p class="muted small" id="password-hint">Use at least ${MIN_PASSWORD_LENGTH} characters. A few unrelated words make a strong password that is easy to remember. Do not use your username.</p>
<div class="field">
<label for="password">New password</label>
<input type="password" id="password" name="password" autocomplete="new-password" minlength="${MIN_PASSWORD_LENGTH}" required${describedBy('password')}${invalid('password')}>
</div>
<div class="field">
<label for="confirm">Confirm new password</label>
<input type="password" id="confirm" name="confirm" autocomplete="new-password" minlength="${MIN_PASSWORD_LENGTH}" required${describedBy('confirm')}${invalid('confirm')}>
</div>
<button type="submit" class="button button-primary button-block">Set password</button>
</form>`;
  return layout({ nonce: o.nonce, practiceName: o.practiceName, title: 'Choose your password', body });
}

function renderDone(o: { nonce: string; practiceName?: string }): string {
  const body = html`<h1>Your password is set</h1>
<div class="notice" role="status"><p>You can now sign in with your username and this password whenever an app asks to connect to your records.</p></div>
<p>The link you used no longer works. If you forget your password, ask the practice for a new link.</p>`;
  return layout({ nonce: o.nonce, practiceName: o.practiceName, title: 'Your password is set', body });
}

/** Registers the set-password pages (in their own scope, with their own form parser). */
export async function registerPasswordRoutes(app: FastifyInstance, o: PasswordRoutesOptions): Promise<void> {
  const secret = o.csrfSecret ?? Buffer.from(await o.accounts.store.initSetting('csrf-secret', randomBytes(32).toString('base64')), 'base64');
  const secure = o.secureCookies ?? o.accounts.publicUrl.startsWith('https:');
  const nonce = () => randomBytes(16).toString('base64');

  const csrfFor = (request: FastifyRequest, reply: FastifyReply, token: string): string => {
    let base = readCookies(request)[CSRF_COOKIE];
    if (!base || base.length < 20) {
      base = randomBytes(24).toString('base64url');
      setCookie(reply, CSRF_COOKIE, base, { secure, path: SET_PASSWORD_PATH });
    }
    return createHmac('sha256', secret).update(`set-password|${base}|${hashToken(token)}`).digest('base64url');
  };
  const csrfOk = (request: FastifyRequest, token: string, given: string | null): boolean => {
    const base = readCookies(request)[CSRF_COOKIE];
    if (!base || !given) return false;
    const expected = createHmac('sha256', secret).update(`set-password|${base}|${hashToken(token)}`).digest();
    const got = Buffer.from(given, 'base64url');
    return got.length === expected.length && timingSafeEqual(got, expected) && got.toString('base64url') === given;
  };

  const invalidLink = (reply: FastifyReply) => {
    const n = nonce();
    return pageHeaders(reply.code(400), n).send(
      renderErrorPage({
        nonce: n,
        practiceName: o.practiceName,
        title: 'This link cannot be used',
        message:
          'This set-password link is not valid. It may have expired, been used already, or been replaced by a newer link. Ask the practice to send you a new link.',
      }),
    );
  };

  const showForm = (request: FastifyRequest, reply: FastifyReply, status: number, state: Omit<FormState, 'csrf'>) => {
    const n = nonce();
    const csrf = csrfFor(request, reply, state.token);
    return pageHeaders(reply.code(status), n).send(renderForm({ ...state, csrf, nonce: n, practiceName: o.practiceName }));
  };

  await app.register(async (scope) => {
    acceptFormBodies(scope, { bodyLimit: 64 * 1024 });

    scope.get(SET_PASSWORD_PATH, async (request, reply) => {
      const token = queryOf(request).get('token');
      const username = await o.accounts.setPasswordTokenUser(token);
      if (!token || !username) return invalidLink(reply);
      return showForm(request, reply, 200, { token, username });
    });

    scope.post(SET_PASSWORD_PATH, async (request, reply) => {
      const form = formBody(request);
      const token = form.get('token') ?? '';
      const username = await o.accounts.setPasswordTokenUser(token);
      if (!username) return invalidLink(reply);
      if (!csrfOk(request, token, form.get('csrf'))) {
        return showForm(request, reply, 403, { token, username, error: { field: 'form', message: 'This form had expired. Enter your new password again.' } });
      }
      const password = form.get('password') ?? '';
      const confirm = form.get('confirm') ?? '';
      if (!password) return showForm(request, reply, 400, { token, username, error: { field: 'password', message: 'Enter a new password.' } });
      if (password !== confirm) {
        return showForm(request, reply, 400, { token, username, error: { field: 'confirm', message: 'The two passwords are not the same. Enter the same password in both fields.' } });
      }
      try {
        const outcome = await o.accounts.setPasswordWithToken(token, password);
        if (!outcome.ok) return invalidLink(reply);
      } catch (err) {
        if (err instanceof AccountError && err.field === 'password') {
          return showForm(request, reply, 400, { token, username, error: { field: 'password', message: `${err.message}.` } });
        }
        throw err;
      }
      return reply.code(303).header('location', SET_PASSWORD_DONE_PATH).header('cache-control', 'no-store').send();
    });

    scope.get(SET_PASSWORD_DONE_PATH, async (_request, reply) => {
      const n = nonce();
      return pageHeaders(reply, n).send(renderDone({ nonce: n, practiceName: o.practiceName }));
    });
  });
}
