/**
 * @module admin/account-page/render
 * The HTML of the patient's account page, built on the sign-in screens' layout, escaping and style so it
 * looks and behaves like them: server-rendered, no JavaScript, plain forms with a CSRF field, readable on
 * a phone. The page adds a little CSS of its own (a wider card, the app cards and a table that stacks on
 * narrow screens) inside the same nonce'd stylesheet.
 */
import { html, type HtmlValue, type SafeHtml } from '../../auth/screens/escape.js';
import { layout, type PageOptions } from '../../auth/screens/layout.js';
import { signInError, signInFields } from '../../auth/screens/sign-in.js';
import { when } from './describe.js';

/** Extra rules for this page only; appended to the layout's stylesheet (same CSP nonce). */
export const ACCOUNT_CSS = `
.site-header-inner, main, .site-footer { max-width: 52rem; }
h3 { font-family: var(--font-heading); font-size: 1em; line-height: 1.3; margin: 0 0 calc(var(--space) * 0.5); }
.signed-in { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: calc(var(--space) * 0.75); margin: 0 0 calc(var(--space) * 1.25); }
.signed-in p { margin: 0; }
.signed-in .button { min-width: 0; min-height: 2.75rem; }
.section { margin-top: calc(var(--space) * 2); }
.section > h2 { font-size: 1.25em; margin-bottom: calc(var(--space) * 0.75); }
.patient { margin: 0 0 calc(var(--space) * 1.5); }
.patient > h3 { font-size: 1.0625em; padding-bottom: calc(var(--space) * 0.375); border-bottom: 1px solid var(--color-rule); }
.apps { list-style: none; margin: 0; padding: 0; display: grid; gap: calc(var(--space) * 0.75); }
.app { border: 1px solid var(--color-border); border-radius: var(--radius); padding: calc(var(--space) * 0.875) var(--space); }
.app h4 { font-family: var(--font-heading); font-size: 1.0625em; margin: 0 0 calc(var(--space) * 0.375); overflow-wrap: anywhere; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.125rem calc(var(--space) * 0.75); margin: 0 0 calc(var(--space) * 0.75); font-size: 0.9375em; }
.facts dt { color: var(--color-muted); }
.facts dd { margin: 0; }
.granted { margin: 0 0 calc(var(--space) * 0.75); }
.granted-group { font-weight: 650; margin: calc(var(--space) * 0.5) 0 0.125rem; font-size: 0.9375em; }
.granted ul { margin: 0; padding-left: 1.25rem; }
.granted li { margin: 0.125rem 0; }
details { margin: 0 0 calc(var(--space) * 0.75); font-size: 0.9375em; }
summary { cursor: pointer; color: var(--color-highlight); }
details ul { margin: calc(var(--space) * 0.375) 0 0; padding-left: 1.25rem; }
.app .button { min-width: 0; }
.gone-label { margin: calc(var(--space) * 0.75) 0 0.25rem; }
.gone { margin: 0; padding-left: 1.25rem; font-size: 0.9375em; color: var(--color-muted); }
.notice-success { background: var(--color-success-tint); border-color: var(--color-success); }
.table-wrap { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; font-size: 0.9375em; }
caption { text-align: left; color: var(--color-muted); padding-bottom: calc(var(--space) * 0.5); }
th, td { text-align: left; vertical-align: top; padding: calc(var(--space) * 0.5); border-bottom: 1px solid var(--color-rule); overflow-wrap: break-word; }
td.nowrap { white-space: nowrap; }
thead th { border-bottom: 2px solid var(--color-border); white-space: nowrap; }
.action { display: block; color: var(--color-muted); }
.outcome-bad { color: var(--color-error); font-weight: 600; }
@media (max-width: 40rem) {
  table, caption, tbody, tr, td, th { display: block; }
  td.nowrap { white-space: normal; }
  thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0, 0, 0, 0); }
  tr { border: 1px solid var(--color-rule); border-radius: var(--radius); margin-bottom: calc(var(--space) * 0.5); padding: calc(var(--space) * 0.25) 0; }
  th, td { border: 0; padding: calc(var(--space) * 0.25) calc(var(--space) * 0.75); }
  td::before, th[scope="row"]::before { content: attr(data-label) ": "; font-weight: 600; }
}
`.trim();

/** The layout with the account page's extra CSS in the head (inside the same `<style nonce>` element). */
function page(options: PageOptions & { title: string; body: HtmlValue }): string {
  const doc = layout(options);
  const at = doc.indexOf('</style>');
  return at < 0 ? doc : `${doc.slice(0, at)}\n${ACCOUNT_CSS}\n${doc.slice(at)}`;
}

function hidden(name: string, value: string): SafeHtml {
  return html`<input type="hidden" name="${name}" value="${value}">`;
}

function time(ms: number, timeZone?: string): SafeHtml {
  const t = when(ms, timeZone);
  return html`<time datetime="${t.iso}">${t.text}</time>`;
}

function possessive(name: string): string {
  return /s$/i.test(name) ? `${name}’` : `${name}’s`;
}

// ---- sign in ------------------------------------------------------------------------------------

export interface AccountSignInView extends PageOptions {
  practiceName: string;
  action: string;
  csrf: string;
  username?: string;
  error?: string;
  /** Shown after signing out. */
  info?: string;
  demoNote?: string;
}

/** The sign-in form of the account page: the same fields, labels and button as the authorization screens. */
export function renderAccountSignIn(v: AccountSignInView): string {
  const body = html`<h1>Sign in to your account</h1>
<p class="lede">See which apps can reach your records at <strong>${v.practiceName}</strong>, what each may see, and disconnect any you no longer use.</p>
${v.demoNote ? html`<div class="notice notice-demo" role="note"><p><strong>Demo</strong> ${v.demoNote}</p></div>` : ''}
${v.info ? html`<div class="notice notice-success" role="status"><p>${v.info}</p></div>` : ''}
${signInError(v.error)}
<form method="post" action="${v.action}">
${hidden('csrf', v.csrf)}
${signInFields(v.username, v.error)}
</form>`;
  return page({ ...v, title: 'Sign in to your account', body });
}

// ---- the account page ---------------------------------------------------------------------------

export interface AppView {
  appName: string;
  grantIds: string[];
  connectedAt: number;
  lastUsedAt: number | null;
  granted: { group: string; items: string[] }[];
  scopes: string[];
}

export interface PatientView {
  id: string;
  name: string;
  /** "you" for the account's own patient, "in your care" for a dependent. */
  relation: string;
  apps: AppView[];
  disconnected: { appName: string; disconnectedAt: number }[];
}

export interface HistoryView {
  recorded: number;
  appName: string;
  patientName: string;
  action: string;
  kinds: string[];
  outcome: string;
  outcomeOk: boolean;
}

export interface AccountView extends PageOptions {
  practiceName: string;
  username: string;
  displayName: string;
  csrf: string;
  paths: { signOut: string; disconnect: string };
  patients: PatientView[];
  history: HistoryView[];
  historyLimit: number;
  /** A confirmation shown at the top (after a disconnect). */
  confirmation?: string;
  timeZone?: string;
}

function appCard(v: AccountView, p: PatientView, a: AppView): SafeHtml {
  return html`<li class="app">
<h4>${a.appName}</h4>
<dl class="facts">
<dt>Connected</dt><dd>${time(a.connectedAt, v.timeZone)}</dd>
<dt>Last used</dt><dd>${a.lastUsedAt === null ? 'never' : time(a.lastUsedAt, v.timeZone)}</dd>
</dl>
<div class="granted">
<p class="small">${a.appName} may:</p>
${a.granted.map(
  (g) => html`<p class="granted-group">${g.group}</p>
<ul>
${g.items.map((t) => html`<li>${t}</li>
`)}</ul>
`,
)}</div>
<details>
<summary>Technical details</summary>
<ul>
${a.scopes.map((s) => html`<li><code>${s}</code></li>
`)}</ul>
</details>
<form method="post" action="${v.paths.disconnect}">
${hidden('csrf', v.csrf)}
${a.grantIds.map((id) => hidden('grant', id))}
<button type="submit" class="button button-secondary">Disconnect<span class="visually-hidden"> ${a.appName} from ${possessive(p.name)} records</span></button>
</form>
</li>
`;
}

function patientSection(v: AccountView, p: PatientView, index: number): SafeHtml {
  const headingId = `patient-${index}`;
  return html`<section class="patient" aria-labelledby="${headingId}" id="patient-${p.id}">
<h3 id="${headingId}">${p.name} <span class="muted small">(${p.relation})</span></h3>
${
  p.apps.length
    ? html`<ul class="apps">
${p.apps.map((a) => appCard(v, p, a))}</ul>`
    : html`<p class="muted">No apps are connected to ${possessive(p.name)} records.</p>`
}
${
  p.disconnected.length
    ? html`<p class="small muted gone-label">Disconnected:</p>
<ul class="gone">
${p.disconnected.map((d) => html`<li>${d.appName}, disconnected ${time(d.disconnectedAt, v.timeZone)}</li>
`)}</ul>`
    : ''
}
</section>
`;
}

function historyTable(v: AccountView): SafeHtml {
  if (!v.history.length) return html`<p class="muted">No app has read any of these records yet.</p>`;
  return html`<div class="table-wrap">
<table>
<caption>${v.history.length >= v.historyLimit ? `The most recent ${v.historyLimit} accesses` : `${v.history.length} ${v.history.length === 1 ? 'access' : 'accesses'}`}, newest first.${v.timeZone ? '' : ' Times are in UTC.'}</caption>
<thead>
<tr><th scope="col">When</th><th scope="col">App</th><th scope="col">Patient</th><th scope="col">What</th><th scope="col">Outcome</th></tr>
</thead>
<tbody>
${v.history.map(
  (h) => html`<tr>
<td data-label="When" class="nowrap">${time(h.recorded, v.timeZone)}</td>
<td data-label="App">${h.appName}</td>
<td data-label="Patient">${h.patientName}</td>
<td data-label="What">${h.kinds.length ? h.kinds.join(', ') : '—'}<span class="action small">${h.action}</span></td>
<td data-label="Outcome" class="nowrap${h.outcomeOk ? '' : ' outcome-bad'}">${h.outcome}</td>
</tr>
`,
)}</tbody>
</table>
</div>`;
}

/** The signed-in account page: connected apps per patient, each with a Disconnect form, and the access history. */
export function renderAccountPage(v: AccountView): string {
  const body = html`<h1>Your account</h1>
<div class="signed-in">
<p>Signed in as <strong>${v.displayName || v.username}</strong> <span class="muted small">(${v.username})</span></p>
<form method="post" action="${v.paths.signOut}">
${hidden('csrf', v.csrf)}
<button type="submit" class="button button-secondary">Sign out</button>
</form>
</div>
${v.confirmation ? html`<div class="notice notice-success" role="status"><p>${v.confirmation}</p></div>` : ''}
<section class="section" aria-labelledby="apps-heading">
<h2 id="apps-heading">Connected apps</h2>
<p class="muted small">These apps can read records at ${v.practiceName}. Disconnecting an app stops its access at once; to use it again you would connect it again from the app.</p>
${v.patients.map((p, i) => patientSection(v, p, i))}</section>
<section class="section" aria-labelledby="history-heading">
<h2 id="history-heading">Access history</h2>
<p class="muted small">Which app read which kinds of data, and when.</p>
${historyTable(v)}
</section>`;
  return page({ ...v, title: 'Your account', body });
}

// ---- dead ends ----------------------------------------------------------------------------------

export interface AccountMessageView extends PageOptions {
  title: string;
  message: string;
  back: string;
}

/** A short error page with a way back to the account page (a refused disconnect, an expired form). */
export function renderAccountMessage(v: AccountMessageView): string {
  const body = html`<h1>${v.title}</h1>
<div class="alert" role="alert"><p>${v.message}</p></div>
<p><a href="${v.back}">Back to your account</a></p>`;
  return page({ ...v, body });
}
