/**
 * @module admin/developer-pages
 * Developer registration over HTTP (SPEC §2, §9; issue 4):
 * - `GET /developers`: the registration form (server-rendered, accessible, no scripts, strict CSP);
 *   `POST /developers`: the form's submission (CSRF-protected) → 303 to the status page, or the form
 *   again with per-field errors and the entered values;
 * - `POST /developers/registrations`: the JSON API (JSON or form body) → `201 {reference, status,
 *   status_url}`, or `400 {errors: [{field, message}]}`; 415 for other content types, 413 past the limit;
 * - `GET /developers/registrations/{reference}?key=S`: the status page (HTML, or JSON when asked with
 *   `Accept: application/json`); a wrong or missing key is a 404 that does not tell whether the
 *   reference exists. The first view after a confidential client's approval shows its secret, once.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FHIR_BASE_PATH } from '../config/index.js';
import { acceptFormBodies, formBody, pageHeaders, queryOf, readCookies, setCookie } from '../auth/http.js';
import { attrIf, html, type HtmlValue, type SafeHtml } from '../auth/screens/escape.js';
import { layout } from '../auth/screens/layout.js';
import type { AuthStore } from '../store/auth.js';
import { RegistrationStore, SEALED_SECRET_TTL_MS } from '../store/registrations.js';
import type { Store } from '../store/types.js';
import { developerStatus, type DeveloperStatus } from './clients.js';
import { LIMITS, registrationFromForm, submitRegistration, type FieldError } from './registrations.js';
import type { AuditTrail } from './audit.js';

export interface DeveloperRoutesDeps {
  store: Store;
  authStore: AuthStore;
  publicUrl: string;
  practiceName: string;
  /** Registrations are recorded on the audit trail. */
  audit?: AuditTrail;
  now?: () => number;
}

/** Bodies of registration requests may not exceed this (texts, URIs and a JWKS fit easily). */
export const REGISTRATION_BODY_LIMIT = 128 * 1024;
const CSRF_COOKIE = 'pa_dev_csrf';
const CSRF_CONTEXT = 'developer-registration';
const FORM_PATH = '/developers';
const API_PATH = '/developers/registrations';

// ---- pages --------------------------------------------------------------------------------------

/** Styles for the inputs the sign-in screens do not have (textareas, e-mail and URL inputs, hints). */
const EXTRA_CSS = `
input[type="email"], input[type="url"], textarea {
  display: block; width: 100%; min-height: 3rem;
  padding: calc(var(--space) * 0.625) calc(var(--space) * 0.75);
  font: inherit; font-size: max(1em, 16px); color: var(--color-text);
  background: var(--color-surface);
  border: 2px solid var(--color-border); border-radius: var(--radius);
}
textarea { min-height: 7rem; resize: vertical; }
textarea.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.875em; }
input[type="email"]:focus, input[type="url"]:focus, textarea:focus {
  border-color: var(--color-highlight); outline: 3px solid var(--color-highlight-tint); outline-offset: 0;
}
input[type="email"]:focus-visible, input[type="url"]:focus-visible, textarea:focus-visible { outline: 3px solid var(--color-highlight); outline-offset: 1px; }
textarea[aria-invalid="true"], fieldset[aria-invalid="true"] .choice { border-color: var(--color-error); }
.hint { display: block; color: var(--color-muted); font-size: 0.9375em; margin: calc(var(--space) * -0.25) 0 calc(var(--space) * 0.375); }
.field-error { display: block; color: var(--color-error); font-weight: 600; margin: 0 0 calc(var(--space) * 0.375); }
.alert ul { margin: calc(var(--space) * 0.5) 0 0; padding-left: 1.25em; }
.alert a { color: var(--color-error); }
dl.facts { display: grid; grid-template-columns: minmax(7rem, max-content) 1fr; gap: calc(var(--space) * 0.375) var(--space); margin: 0 0 var(--space); }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.secret { display: block; font-size: 1em; padding: calc(var(--space) * 0.5); margin: calc(var(--space) * 0.25) 0; user-select: all; }
.status-pending strong { color: var(--color-highlight); }
`;

function page(nonce: string, practiceName: string, title: string, body: SafeHtml): string {
  // The shared layout carries one nonce'd stylesheet; these rules join it (no second <style>, no inline styles).
  return layout({ nonce, practiceName, title, body }).replace('</style>', `${EXTRA_CSS}</style>`);
}

export interface FormPageOptions {
  nonce: string;
  practiceName: string;
  csrf: string;
  /** The values entered, shown again after errors. */
  values?: Record<string, unknown>;
  errors?: FieldError[];
}

const asText = (v: unknown): string => (Array.isArray(v) ? v.map(String).join('\n') : v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));

/** The registration form. Field ids are `f-{name}`; their errors `f-{name}-error`, hints `f-{name}-hint`. */
export function renderRegistrationForm(o: FormPageOptions): string {
  const values = o.values ?? {};
  const errors = o.errors ?? [];
  const errorOf = (field: string) => errors.filter((e) => e.field === field).map((e) => e.message);
  const described = (field: string, hint: boolean) => {
    const ids = [hint ? `f-${field}-hint` : '', errorOf(field).length ? `f-${field}-error` : ''].filter(Boolean).join(' ');
    return html`${ids ? html` aria-describedby="${ids}"` : ''}${attrIf(errorOf(field).length > 0, 'aria-invalid="true"')}`;
  };
  const errorText = (field: string) => {
    const list = errorOf(field);
    return list.length ? html`<span class="field-error" id="f-${field}-error"><span class="visually-hidden">Error: </span>${list.join(' ')}</span>` : '';
  };
  const hint = (field: string, text: HtmlValue) => html`<span class="hint" id="f-${field}-hint">${text}</span>`;
  const input = (field: string, label: string, type: string, max: number, hintText: HtmlValue, required = true, autocomplete?: string) => html`<div class="field">
<label for="f-${field}">${label}${required ? '' : html` <span class="muted">(optional)</span>`}</label>
${hintText ? hint(field, hintText) : ''}${errorText(field)}
<input type="${type}" id="f-${field}" name="${field}" maxlength="${max}"${attrIf(required, 'required')}${autocomplete ? html` autocomplete="${autocomplete}"` : ''} value="${asText(values[field])}"${described(field, Boolean(hintText))}>
</div>`;
  const area = (field: string, label: string, max: number, hintText: HtmlValue, required = true, mono = false) => html`<div class="field">
<label for="f-${field}">${label}${required ? '' : html` <span class="muted">(optional)</span>`}</label>
${hintText ? hint(field, hintText) : ''}${errorText(field)}
<textarea id="f-${field}" name="${field}" rows="${mono ? 6 : 4}"${max ? html` maxlength="${max}"` : ''}${attrIf(required, 'required')}${mono ? html` class="mono" spellcheck="false" autocapitalize="none"` : ''}${described(field, Boolean(hintText))}>${asText(values[field])}</textarea>
</div>`;
  const type = asText(values.client_type);
  const radio = (value: string, title: string, detail: string) => html`<label class="choice" for="f-client_type-${value}">
<input type="radio" id="f-client_type-${value}" name="client_type" value="${value}"${attrIf(type === value, 'checked')} required>
<span class="choice-body"><span class="choice-title">${title}</span><span class="choice-detail">${detail}</span></span>
</label>`;
  const summary = errors.length
    ? html`<div class="alert" role="alert" id="error-summary"><p><strong>The registration was not sent.</strong> Please correct ${errors.length === 1 ? 'this problem' : `these ${errors.length} problems`}:</p>
<ul>${errors.map((e) => html`<li><a href="#f-${e.field === 'client_type' ? 'client_type-confidential' : e.field}">${e.message}</a></li>`)}</ul></div>`
    : '';
  const body = html`<h1>Register an app</h1>
<p class="lede">Ask for access to the Patient Access API of <strong>${o.practiceName}</strong>, so that patients can connect your app to their records.</p>
<p class="muted small">The practice reviews every request. After you send this form you get a reference number and a private status page; your client id (and secret, for a confidential client) appear there once the request is approved.</p>
${summary}
<form method="post" action="${FORM_PATH}" novalidate>
<input type="hidden" name="csrf" value="${o.csrf}">
${input('contact_email', 'Contact e-mail', 'email', LIMITS.email, 'Where the practice can reach you about this app.', true, 'email')}
${input('organization_name', 'Organization name', 'text', LIMITS.name, '', true, 'organization')}
${area('organization_description', 'Organization description', LIMITS.description, 'Who you are and what your organization does.')}
${input('application_name', 'Application name', 'text', LIMITS.name, 'Patients see this name when they sign in and give consent.')}
${area('use_case', 'Use case', LIMITS.description, 'What your app does with the patient’s data, and why it needs it.')}
${area(
  'redirect_uris',
  'Redirect URIs',
  0,
  html`One per line. Each must start with <code>https://</code> — or, for native apps, <code>http://127.0.0.1:PORT/…</code>, <code>http://[::1]…</code> or <code>http://localhost:PORT/…</code> — and must not contain a query string (<code>?</code>) or a fragment (<code>#</code>).`,
  true,
  true,
)}
<fieldset id="f-client_type"${described('client_type', false)}>
<legend>Client type</legend>
${errorText('client_type')}
<div class="choices">
${radio('confidential', 'Confidential, with a client secret', 'A server-side app that can keep a secret. It gets a client id and a client secret.')}
${radio('public', 'Public', 'A browser or mobile app that cannot keep a secret. It uses PKCE only.')}
${radio('asymmetric', 'Asymmetric, with your own keys', 'Signs a JWT with its private key (private_key_jwt, RS384 or ES384). Give a JWKS URL or an inline JWKS below.')}
</div>
</fieldset>
${input('jwks_uri', 'JWKS URL', 'url', LIMITS.uri, 'For asymmetric clients: the https address of your public keys. Leave empty otherwise.', false)}
${area('jwks', 'JWKS', LIMITS.jwksBytes, html`For asymmetric clients without a JWKS URL: your public keys as a JSON Web Key Set (<code>{"keys": [...]}</code>), never private keys. Leave empty otherwise.`, false, true)}
<button type="submit" class="button button-primary button-block">Send registration</button>
</form>`;
  return page(o.nonce, o.practiceName, 'Register an app', body);
}

export interface StatusPageOptions {
  nonce: string;
  practiceName: string;
  status: DeveloperStatus;
  statusUrl: string;
  publicUrl: string;
}

const TYPE_NAMES: Record<string, string> = { confidential: 'Confidential (client secret)', public: 'Public (PKCE only)', asymmetric: 'Asymmetric (private_key_jwt)' };

/** The developer's status page of one registration. */
export function renderStatusPage(o: StatusPageOptions): string {
  const { registration: r, secret, secretState } = o.status;
  const fhirBase = o.publicUrl + FHIR_BASE_PATH;
  let state: SafeHtml;
  if (r.status === 'pending') {
    state = html`<div class="notice status-pending" role="status"><p><strong>Waiting for review.</strong> The practice reviews every request by hand. Come back to this page later.</p></div>`;
  } else if (r.status === 'rejected') {
    state = html`<div class="alert" role="status"><p><strong>Not approved.</strong> ${r.decisionNote ? html`The practice wrote: “${r.decisionNote}”` : 'The practice did not approve this request.'}</p></div>`;
  } else {
    const secretPart =
      secretState === 'shown-now'
        ? html`<div class="notice"><p><strong>Your client secret</strong> — copy it now and keep it safe. This page shows it only this once.</p>
<p><code class="secret" id="client-secret">${secret}</code></p></div>`
        : secretState === 'shown-before'
          ? html`<p class="muted">The client secret was shown once already and is not kept in readable form. If you lost it, ask the practice for a new one.</p>`
          : secretState === 'expired'
            ? html`<p class="muted">The client secret was not collected within ${Math.round(SEALED_SECRET_TTL_MS / 86400_000)} days and has been deleted. Ask the practice for a new one.</p>`
            : '';
    state = html`<div class="notice notice-demo" role="status"><p><strong>Approved.</strong> Your app can now connect.</p></div>
<dl class="facts"><dt>Client id</dt><dd><code id="client-id">${r.clientId}</code></dd>
<dt>FHIR base URL</dt><dd><code>${fhirBase}</code></dd>
<dt>SMART configuration</dt><dd><code>${fhirBase}/.well-known/smart-configuration</code></dd></dl>
${secretPart}`;
  }
  const body = html`<h1>Registration ${r.reference}</h1>
${state}
<h2>Your request</h2>
<dl class="facts">
<dt>Application</dt><dd>${r.applicationName}</dd>
<dt>Organization</dt><dd>${r.organizationName}</dd>
<dt>Client type</dt><dd>${TYPE_NAMES[r.clientType] ?? r.clientType}</dd>
<dt>Redirect URIs</dt><dd>${r.redirectUris.map((u, i) => html`${i ? html`<br>` : ''}<code>${u}</code>`)}</dd>
<dt>Sent</dt><dd>${new Date(r.createdAt).toISOString().slice(0, 16).replace('T', ' ')} UTC</dd>
</dl>
<p class="small muted">Keep the address of this page private: it is the only way to see this request’s status.</p>
<p class="small"><span class="muted">This page:</span> <code>${o.statusUrl}</code></p>`;
  return page(o.nonce, o.practiceName, `Registration ${r.reference}`, body);
}

function renderMessagePage(nonce: string, practiceName: string, title: string, message: string, link?: { href: string; text: string }): string {
  return page(
    nonce,
    practiceName,
    title,
    html`<h1>${title}</h1>
<div class="alert" role="alert"><p>${message}</p></div>
${link ? html`<p><a href="${link.href}">${link.text}</a></p>` : ''}`,
  );
}

// ---- JSON views -----------------------------------------------------------------------------------

/** The status as JSON (the API's view of the status page). */
export function statusJson(s: DeveloperStatus, publicUrl: string): Record<string, unknown> {
  const r = s.registration;
  const fhirBase = publicUrl + FHIR_BASE_PATH;
  return {
    reference: r.reference,
    status: r.status,
    application_name: r.applicationName,
    organization_name: r.organizationName,
    client_type: r.clientType,
    redirect_uris: r.redirectUris,
    submitted_at: new Date(r.createdAt).toISOString(),
    decided_at: r.decidedAt ? new Date(r.decidedAt).toISOString() : null,
    ...(r.status === 'approved'
      ? {
          client_id: r.clientId,
          ...(s.secret ? { client_secret: s.secret } : {}),
          ...(s.secretState ? { client_secret_status: s.secretState } : {}),
          ...(s.secretState === 'shown-before' ? { client_secret_note: 'The client secret was shown once already; ask the practice for a new one if you lost it.' } : {}),
          ...(s.secretState === 'expired' ? { client_secret_note: 'The client secret was not collected in time and has been deleted; ask the practice for a new one.' } : {}),
          fhir_base_url: fhirBase,
          smart_configuration_url: `${fhirBase}/.well-known/smart-configuration`,
        }
      : {}),
    ...(r.status === 'rejected' ? { note: r.decisionNote } : {}),
  };
}

// ---- routes -----------------------------------------------------------------------------------------

const nonce = () => randomBytes(16).toString('base64');

/** Which body kind a request carries: `json`, `form`, or `other` (415). */
function bodyKind(request: FastifyRequest): 'json' | 'form' | 'other' {
  const type = String(request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/json') return 'json';
  if (type === 'application/x-www-form-urlencoded') return 'form';
  return 'other';
}

function wantsJson(request: FastifyRequest): boolean {
  const accept = String(request.headers.accept ?? '').toLowerCase();
  return accept.includes('application/json') && !accept.includes('text/html');
}

/** Registers the developer registration pages and API at the app's root. */
export async function registerDeveloperRoutes(app: FastifyInstance, deps: DeveloperRoutesDeps): Promise<void> {
  const { store, publicUrl, practiceName } = deps;
  const now = deps.now ?? Date.now;
  const recordRegistration = async (request: FastifyRequest, result: Awaited<ReturnType<typeof submitRegistration>>) =>
    deps.audit?.record({
      category: 'admin',
      action: 'registration',
      outcome: result.ok ? 'success' : 'failure',
      source: request.ip,
      status: result.ok ? 201 : 400,
      detail: result.ok ? `registration ${result.submitted.reference}` : `refused: ${result.errors.map((e) => e.field).join(', ')}`.slice(0, 300),
    });
  const base = publicUrl.replace(/\/+$/, '');
  const secureCookies = base.startsWith('https:');
  const csrfSecret = Buffer.from(await store.initSetting('developer-csrf-secret', randomBytes(32).toString('base64')), 'base64');

  const csrfFor = (request: FastifyRequest, reply: FastifyReply): string => {
    let cookie = readCookies(request)[CSRF_COOKIE];
    if (!cookie || !/^[A-Za-z0-9_-]{20,64}$/.test(cookie)) {
      cookie = randomBytes(24).toString('base64url');
      setCookie(reply, CSRF_COOKIE, cookie, { secure: secureCookies, path: FORM_PATH });
    }
    return createHmac('sha256', csrfSecret).update(`${cookie}|${CSRF_CONTEXT}`).digest('base64url');
  };
  const csrfOk = (request: FastifyRequest, given: string | null): boolean => {
    const cookie = readCookies(request)[CSRF_COOKIE];
    if (!cookie || !given) return false;
    const expected = createHmac('sha256', csrfSecret).update(`${cookie}|${CSRF_CONTEXT}`).digest();
    const got = Buffer.from(given, 'base64url');
    return got.length === expected.length && timingSafeEqual(got, expected) && got.toString('base64url') === given;
  };

  const sendPage = (reply: FastifyReply, status: number, render: (n: string) => string) => {
    const n = nonce();
    return pageHeaders(reply.code(status), n).send(render(n));
  };
  const sendJson = (reply: FastifyReply, status: number, body: unknown) =>
    reply.code(status).header('content-type', 'application/json; charset=utf-8').header('cache-control', 'no-store').header('pragma', 'no-cache').send(JSON.stringify(body));
  const jsonErrors = (reply: FastifyReply, status: number, errors: FieldError[]) => sendJson(reply, status, { errors });

  await app.register(async (scope) => {
    // Bodies are read as text and parsed by the handlers, so a malformed one gets this API's own answer.
    acceptFormBodies(scope, { bodyLimit: REGISTRATION_BODY_LIMIT, extraTypes: ['application/json'] });
    scope.setErrorHandler((error, request, reply) => {
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      const isForm = request.url.split('?')[0] === FORM_PATH && !wantsJson(request);
      if (status === 413) {
        const message = `The request is larger than ${REGISTRATION_BODY_LIMIT / 1024} KB`;
        return isForm ? sendPage(reply, 413, (n) => renderMessagePage(n, practiceName, 'Registration too large', message, { href: FORM_PATH, text: 'Start again' })) : jsonErrors(reply, 413, [{ field: 'body', message }]);
      }
      if (status >= 400 && status < 500) {
        const message = 'The request could not be read';
        return isForm ? sendPage(reply, status, (n) => renderMessagePage(n, practiceName, 'Something went wrong', message, { href: FORM_PATH, text: 'Start again' })) : jsonErrors(reply, status, [{ field: 'body', message }]);
      }
      request.log.error({ err: error }, 'unhandled error in developer registration');
      return isForm
        ? sendPage(reply, 500, (n) => renderMessagePage(n, practiceName, 'Something went wrong', 'The server could not complete the request. Please try again later.'))
        : jsonErrors(reply, 500, [{ field: 'body', message: 'The server could not complete the request' }]);
    });

    scope.get(FORM_PATH, async (request, reply) => {
      const csrf = csrfFor(request, reply);
      return sendPage(reply, 200, (n) => renderRegistrationForm({ nonce: n, practiceName, csrf }));
    });

    scope.post(FORM_PATH, { bodyLimit: REGISTRATION_BODY_LIMIT }, async (request, reply) => {
      if (bodyKind(request) !== 'form') {
        return sendPage(reply, 415, (n) => renderMessagePage(n, practiceName, 'Unsupported form', 'Send the registration form from this site’s registration page.', { href: FORM_PATH, text: 'Go to the registration form' }));
      }
      const form = formBody(request);
      if (!csrfOk(request, form.get('csrf'))) {
        return sendPage(reply, 403, (n) => renderMessagePage(n, practiceName, 'This form has expired', 'For your security the form could not be accepted. Open the registration form again and send it from there.', { href: FORM_PATH, text: 'Open the registration form' }));
      }
      const values = registrationFromForm(form, ['csrf']);
      const result = await submitRegistration(store.sql, values, base, now());
      await recordRegistration(request, result);
      if (!result.ok) {
        const csrf = csrfFor(request, reply);
        return sendPage(reply, 400, (n) => renderRegistrationForm({ nonce: n, practiceName, csrf, values: { ...values, redirect_uris: form.getAll('redirect_uris').join('\n') }, errors: result.errors }));
      }
      return reply.code(303).header('cache-control', 'no-store').header('location', result.submitted.statusPath).send();
    });

    scope.post(API_PATH, { bodyLimit: REGISTRATION_BODY_LIMIT }, async (request, reply) => {
      const kind = bodyKind(request);
      let input: unknown;
      if (kind === 'json') {
        try {
          input = JSON.parse(typeof request.body === 'string' ? request.body : '');
        } catch {
          return jsonErrors(reply, 400, [{ field: 'body', message: 'The body is not valid JSON' }]);
        }
      } else if (kind === 'form') {
        input = registrationFromForm(formBody(request));
      } else {
        return jsonErrors(reply, 415, [{ field: 'content-type', message: 'Send the registration as application/json or application/x-www-form-urlencoded' }]);
      }
      const result = await submitRegistration(store.sql, input, base, now());
      await recordRegistration(request, result);
      if (!result.ok) return jsonErrors(reply, 400, result.errors);
      const { reference, status, statusUrl } = result.submitted;
      return sendJson(reply.header('location', statusUrl), 201, { reference, status, status_url: statusUrl });
    });

    // No automatic HEAD route: a HEAD must never consume the one-time view of a client secret.
    scope.get(`${API_PATH}/:reference`, { exposeHeadRoute: false }, async (request, reply) => {
      const { reference } = request.params as { reference: string };
      const key = queryOf(request).get('key') ?? '';
      const registration = await new RegistrationStore(store.sql).getWithStatusSecret(reference, key);
      const json = wantsJson(request);
      if (!registration) {
        const message = 'No registration matches this address. Check that you copied the whole status link, including its key.';
        return json
          ? jsonErrors(reply, 404, [{ field: 'reference', message }])
          : sendPage(reply, 404, (n) => renderMessagePage(n, practiceName, 'Registration not found', message, { href: FORM_PATH, text: 'Register an app' }));
      }
      const status = await developerStatus(store, registration, { now });
      if (json) return sendJson(reply, 200, statusJson(status, base));
      const statusUrl = `${base}${API_PATH}/${encodeURIComponent(registration.reference)}?key=${encodeURIComponent(key)}`;
      return sendPage(reply, 200, (n) => renderStatusPage({ nonce: n, practiceName, status, statusUrl, publicUrl: base }));
    });
  });
}

