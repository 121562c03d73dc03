import { html, type SafeHtml } from './escape.js';
import { formStart, layout, type FormOptions } from './layout.js';

export interface SignInOptions extends FormOptions {
  /** The name of the app asking for access. */
  appName: string;
  /** The practice whose records the app wants; also shown in the header. */
  practiceName: string;
  /** The username to fill in again after a failed attempt. */
  username?: string;
  /** A message shown in an alert and linked to both inputs, e.g. "The username or password is incorrect." */
  error?: string;
  /** Shown in demo mode, e.g. the demo logins. */
  demoNote?: string;
}

/** The sign-in screen: `Username`, `Password`, button `Sign in`. */
export function renderSignIn(options: SignInOptions): string {
  const { appName, practiceName, username, error, demoNote } = options;
  const body = html`<h1>Sign in</h1>
<p class="lede"><strong>${appName}</strong> wants to connect to your records at <strong>${practiceName}</strong>.</p>
<p class="muted small">Sign in with your patient account. You will choose what to share on the next screen.</p>
${demoNote ? html`<div class="notice notice-demo" role="note"><p><strong>Demo</strong> ${demoNote}</p></div>` : ''}
${signInError(error)}
${formStart(options)}
${signInFields(username, error)}
</form>`;
  return layout({ ...options, title: 'Sign in', body });
}

/** The alert of a failed sign-in, which both inputs point at (empty when there is none). */
export function signInError(error: string | undefined): SafeHtml | string {
  return error ? html`<div class="alert" id="sign-in-error" role="alert"><p><strong>Could not sign in.</strong> ${error}</p></div>` : '';
}

/** Username, password and the `Sign in` button: the same on the authorization screens and the account page. */
export function signInFields(username: string | undefined, error: string | undefined): SafeHtml {
  const describedBy = error ? html` aria-describedby="sign-in-error" aria-invalid="true"` : html``;
  return html`<div class="field">
<label for="username">Username</label>
<input type="text" id="username" name="username" autocomplete="username" autocapitalize="none" autocorrect="off" spellcheck="false" required value="${username ?? ''}"${describedBy}>
</div>
<div class="field">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required${describedBy}>
</div>
<button type="submit" class="button button-primary button-block">Sign in</button>`;
}
