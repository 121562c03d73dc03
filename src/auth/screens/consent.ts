import { html, type SafeHtml } from './escape.js';
import { formStart, layout, type FormOptions } from './layout.js';

export interface GranularChoice {
  /** The narrower scope, e.g. `patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory`. */
  scope: string;
  /** Plain words, e.g. "Only lab results". */
  text: string;
}

export interface ConsentScope {
  /** The requested scope string, posted as `scope` when ticked. */
  scope: string;
  /** The heading it is listed under, e.g. "Your health record" or "Your account". */
  group: string;
  /** Plain-language description, e.g. "Lab results, vital signs and other measurements". */
  text: string;
  /**
   * Narrower alternatives to a resource-level scope. Rendered as radios named `granular:<scope>`: the
   * first ("All <noun>") posts an empty value, the others post their scope string.
   */
  granular?: readonly GranularChoice[];
  /** The noun for "All <noun>" (e.g. "observations"); derived from the resource type when absent. */
  noun?: string;
}

export interface ConsentOptions extends FormOptions {
  /** The name of the app asking for access. */
  appName: string;
  /** The patient whose records are shared, e.g. "Alex Smith". */
  patientName: string;
  /** One entry per requested scope, in display order; groups appear in order of first use. */
  scopes: readonly ConsentScope[];
  /** Whether `offline_access` was requested (adds a highlighted explanation of lasting access). */
  offlineAccess: boolean;
  /** The signed-in account, e.g. "david.smith". */
  accountName: string;
}

/** "Observation" → "observations", "AllergyIntolerance" → "allergy intolerances". */
export function nounForScope(scope: string): string {
  const m = /^(?:patient|user|system)\/([A-Za-z]+|\*)\./.exec(scope);
  const type = m?.[1];
  if (!type || type === '*') return 'records';
  const words = type.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  if (/(s|x|ch|sh)$/.test(words)) return `${words}es`;
  if (/[^aeiou]y$/.test(words)) return `${words.slice(0, -1)}ies`;
  return `${words}s`;
}

function possessive(name: string): string {
  return /s$/i.test(name) ? `${name}'` : `${name}'s`;
}

const LASTING_ID = 'lasting-access';

function scopeItem(entry: ConsentScope, index: number, offlineAccess: boolean): SafeHtml {
  const id = `scope-${index}`;
  const isOffline = entry.scope === 'offline_access';
  const describedBy = isOffline && offlineAccess ? html` aria-describedby="${LASTING_ID}"` : '';
  const checkbox = html`<label class="choice" for="${id}">
<input type="checkbox" id="${id}" name="scope" value="${entry.scope}" checked${describedBy}>
<span class="choice-body"><span class="choice-title">${entry.text}</span><span class="visually-hidden">, scope </span><code class="choice-code">${entry.scope}</code></span>
</label>`;
  const granular = entry.granular?.length
    ? html`
<fieldset class="granular">
<legend>Which ${entry.noun ?? nounForScope(entry.scope)}?</legend>
<div class="choices">
<label class="choice" for="${id}-all">
<input type="radio" id="${id}-all" name="granular:${entry.scope}" value="" checked>
<span class="choice-body"><span class="choice-title">All ${entry.noun ?? nounForScope(entry.scope)}</span></span>
</label>
${entry.granular.map(
  (g, j) => html`<label class="choice" for="${id}-${j}">
<input type="radio" id="${id}-${j}" name="granular:${entry.scope}" value="${g.scope}">
<span class="choice-body"><span class="choice-title">${g.text}</span></span>
</label>
`,
)}</div>
</fieldset>`
    : '';
  return html`<div class="scope">
${checkbox}${granular}
</div>
`;
}

/**
 * The consent screen: one ticked checkbox (`scope`) per requested scope, grouped by `group`, optional
 * granular radios, and `Allow` / `Deny` buttons (`decision` = `allow` / `deny`) in the same form.
 */
export function renderConsent(options: ConsentOptions): string {
  const { appName, patientName, scopes, offlineAccess, accountName } = options;

  const groups = new Map<string, { entry: ConsentScope; index: number }[]>();
  scopes.forEach((entry, index) => {
    const list = groups.get(entry.group) ?? [];
    list.push({ entry, index });
    groups.set(entry.group, list);
  });

  const fieldsets = [...groups].map(
    ([group, items]) => html`<fieldset class="group">
<legend>${group}</legend>
<div class="choices">
${items.map(({ entry, index }) => scopeItem(entry, index, offlineAccess))}</div>
</fieldset>
`,
  );

  const lasting = offlineAccess
    ? html`<div class="notice" id="${LASTING_ID}">
<h2>Lasting access</h2>
<p>${appName} is asking to keep access to these records until you disconnect it, even when you are not using the app. If you untick “lasting access” below, it can only use them for a short while after you sign in.</p>
</div>
`
    : '';

  const title = `Allow ${appName} to access ${possessive(patientName)} records?`;
  const body = html`<h1>${title}</h1>
<p class="lede"><strong>${appName}</strong> is asking to see the information below from <strong>${possessive(patientName)}</strong> health record.</p>
${lasting}${formStart(options)}
<p class="muted small" id="consent-help">Everything ticked will be shared. Untick anything you do not want to share: unticked items are not shared.</p>
${fieldsets}<div class="actions">
<button type="submit" class="button button-primary" name="decision" value="allow">Allow</button>
<button type="submit" class="button button-secondary" name="decision" value="deny">Deny</button>
</div>
</form>
<p class="account">Signed in as <strong>${accountName}</strong>. You can disconnect ${appName} at any time.</p>`;
  return layout({ ...options, title, body });
}
