/**
 * The sign-in screens (SPEC §4) as pure functions: escaping, the exact labels and buttons browser tests
 * rely on, form structure (names, values, defaults, csrf/tx), the strict-CSP shape (nonce on the only
 * <style>, no scripts, no inline handlers, no external assets), the SMART style feeding the CSS, and a
 * well-formedness check of the emitted markup.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildCss,
  contrastRatio,
  cssValue,
  escapeHtml,
  html,
  raw,
  renderConsent,
  renderErrorPage,
  renderPatientPicker,
  renderSignIn,
  SMART_STYLE,
  type ConsentOptions,
  type SmartStyle,
} from '../../src/auth/screens/index.js';

// ---------------------------------------------------------------------------------------------------
// Small HTML helpers (enough for the markup these screens emit).

type Attrs = Record<string, string | true>;

function decode(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

function parseAttrs(source: string): Attrs {
  const attrs: Attrs = {};
  for (const m of source.matchAll(/([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*"([^"]*)")?/g)) {
    attrs[m[1]!.toLowerCase()] = m[2] === undefined ? true : decode(m[2]);
  }
  return attrs;
}

/** Markup with the contents of <style> removed (CSS may contain '>'). */
function withoutStyle(page: string): string {
  return page.replace(/(<style\b[^>]*>)[\s\S]*?(<\/style>)/g, '$1$2');
}

function tags(page: string, name: string): Attrs[] {
  const re = new RegExp(`<${name}\\b([^>]*)>`, 'gi');
  return [...withoutStyle(page).matchAll(re)].map((m) => parseAttrs(m[1]!));
}

function inputs(page: string, filter: Partial<Record<string, string>> = {}): Attrs[] {
  return tags(page, 'input').filter((a) => Object.entries(filter).every(([k, v]) => a[k] === v));
}

function textOf(fragment: string): string {
  return decode(fragment.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim();
}

/** The accessible name an input gets from its <label for>: the label's text without the input. */
function labelText(page: string, id: string): string {
  const body = withoutStyle(page);
  const m = new RegExp(`<label\\b[^>]*\\bfor="${id}"[^>]*>([\\s\\S]*?)</label>`).exec(body);
  assert.ok(m, `a <label for="${id}">`);
  return textOf(m[1]!);
}

function buttons(page: string): { attrs: Attrs; text: string }[] {
  return [...withoutStyle(page).matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/g)].map((m) => ({
    attrs: parseAttrs(m[1]!),
    text: textOf(m[2]!),
  }));
}

const VOID = new Set(['meta', 'input', 'br', 'hr', 'img', 'link']);

/** Checks that every non-void element emitted is closed, in order; returns the element counts. */
function assertWellFormed(page: string): Map<string, number> {
  const body = withoutStyle(page).replace(/<!--[\s\S]*?-->/g, '');
  assert.match(body, /^<!doctype html>\n/);
  const stack: string[] = [];
  const counts = new Map<string, number>();
  for (const m of body.slice('<!doctype html>'.length).matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)\b([^<>]*)>/g)) {
    const [, closing, rawName, rest] = m;
    const name = rawName!.toLowerCase();
    assert.ok(!/\/$/.test(rest!.trim()) || VOID.has(name), `no self-closing <${name}/>`);
    if (closing) {
      assert.ok(!VOID.has(name), `no </${name}>`);
      const open = stack.pop();
      assert.equal(open, name, `</${name}> closes <${open}>`);
    } else {
      counts.set(name, (counts.get(name) ?? 0) + 1);
      if (!VOID.has(name)) stack.push(name);
    }
  }
  assert.deepEqual(stack, [], 'every element is closed');
  // No stray angle brackets outside tags (i.e. nothing unescaped in text).
  const text = body.replace(/<\/?[a-zA-Z][^<>]*>/g, '').slice('<!doctype html>'.length);
  assert.ok(!/[<>]/.test(text), 'no stray < or > in text');
  return counts;
}

/** What every page must have (SPEC §4 + the strict CSP the server sends). */
function assertPageBasics(page: string, nonce: string, heading?: string): void {
  const counts = assertWellFormed(page);
  assert.ok(page.startsWith('<!doctype html>'));
  assert.match(page, /<html lang="en">/);
  assert.match(page, /<meta charset="utf-8">/);
  assert.match(page, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
  assert.match(page, /<meta name="robots" content="noindex[^"]*">/);
  assert.equal(counts.get('html'), 1);
  assert.equal(counts.get('title'), 1);
  assert.equal(counts.get('main'), 1, 'one <main>');
  assert.equal(counts.get('h1'), 1, 'one <h1>');
  assert.equal(counts.get('header'), 1, 'a header');
  const styles = tags(page, 'style');
  assert.equal(styles.length, 1, 'one <style>');
  assert.equal(styles[0]!.nonce, nonce, 'the <style> carries the nonce');
  assert.ok(!/<script/i.test(page), 'no <script>');
  assert.ok(!/\son[a-z]+\s*=/i.test(withoutStyle(page)), 'no inline event handlers');
  assert.ok(!/\sstyle\s*=/i.test(withoutStyle(page)), 'no style attributes (blocked by CSP)');
  assert.ok(!/<(link|img|iframe|object|embed)\b/i.test(page), 'no external assets');
  assert.ok(!/url\(/i.test(page), 'no url() in CSS');
  assert.ok(!/@import/i.test(page), 'no @import');
  for (const a of tags(page, 'a')) assert.match(String(a.href), /^#/, 'only in-page links');
  if (heading !== undefined) {
    const h1 = /<h1>([\s\S]*?)<\/h1>/.exec(page);
    assert.equal(textOf(h1![1]!), heading);
  }
}

/** Every form posts, to the action given, with the csrf and tx fields. */
function assertForms(page: string, action: string, csrf: string, tx: string): void {
  const forms = tags(page, 'form');
  assert.equal(forms.length, 1);
  assert.equal(forms[0]!.method, 'post');
  assert.equal(forms[0]!.action, action);
  const formBody = /<form\b[^>]*>([\s\S]*?)<\/form>/.exec(page)![1]!;
  assert.deepEqual(inputs(formBody, { name: 'csrf' }), [{ type: 'hidden', name: 'csrf', value: csrf }]);
  assert.deepEqual(inputs(formBody, { name: 'tx' }), [{ type: 'hidden', name: 'tx', value: tx }]);
  for (const b of buttons(page)) assert.equal(b.attrs.type, 'submit', 'buttons submit explicitly');
}

const BASE = { nonce: 'n0nce+/=AbC', action: '/auth/realms/patient-access/login-actions', csrf: 'csrf-123', tx: 'tx-456' };
const EVIL = `<script>alert("x")</script>&'"`;

// ---------------------------------------------------------------------------------------------------
// Escaping

test('escapeHtml replaces the five significant characters and nothing else', () => {
  assert.equal(escapeHtml(`<a href="x">Tom & Jerry's</a>`), '&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;');
  assert.equal(escapeHtml('plain · text – ünïcode'), 'plain · text – ünïcode');
  assert.equal(escapeHtml('&amp;'), '&amp;amp;', 'already-escaped text is escaped again (no double-decoding)');
  assert.equal(escapeHtml(undefined), '');
  assert.equal(escapeHtml(42), '42');
});

test('the html template escapes interpolations, joins arrays and keeps SafeHtml', () => {
  const items = ['<b>', 'a"b'];
  const out = html`<p title="${'"x"'}">${items.map((i) => html`<i>${i}</i>`)}${raw('<br>')}${null}${undefined}${false}${7}</p>`;
  assert.equal(out.value, '<p title="&quot;x&quot;"><i>&lt;b&gt;</i><i>a&quot;b</i><br>7</p>');
  assert.equal(html`${['<', '>']}`.value, '&lt;&gt;');
});

test('sign-in escapes every value in text and attributes', () => {
  const page = renderSignIn({
    ...BASE,
    nonce: `"><script>x</script>`,
    action: `/login?a=1&b="2"`,
    csrf: `c"s<r>f`,
    tx: `t'x`,
    appName: EVIL,
    practiceName: EVIL,
    username: `"><script>alert(1)</script>`,
    error: EVIL,
    demoNote: EVIL,
  });
  assert.ok(!/<script/i.test(page));
  assert.ok(page.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;&quot;'));
  assert.ok(page.includes('nonce="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"'));
  assert.ok(page.includes('action="/login?a=1&amp;b=&quot;2&quot;"'));
  assert.equal(inputs(page, { name: 'username' })[0]!.value, `"><script>alert(1)</script>`);
  assert.equal(inputs(page, { name: 'csrf' })[0]!.value, `c"s<r>f`);
  assert.equal(inputs(page, { name: 'tx' })[0]!.value, `t'x`);
  assertWellFormed(page);
});

test('patient picker, consent and error page escape every value', () => {
  const picker = renderPatientPicker({
    ...BASE,
    appName: EVIL,
    practiceName: EVIL,
    patients: [{ id: `1" checked x="`, name: EVIL, detail: EVIL }],
  });
  assert.ok(!/<script/i.test(picker));
  assert.equal(inputs(picker, { name: 'patient' })[0]!.value, `1" checked x="`);
  assert.equal(inputs(picker, { name: 'patient' })[0]!.checked, undefined);
  assertWellFormed(picker);

  const consent = renderConsent({
    ...BASE,
    appName: EVIL,
    patientName: EVIL,
    accountName: EVIL,
    offlineAccess: true,
    scopes: [
      {
        scope: `patient/Observation.rs"><script>`,
        group: EVIL,
        text: EVIL,
        noun: EVIL,
        granular: [{ scope: `x"><script>`, text: EVIL }],
      },
    ],
  });
  assert.ok(!/<script/i.test(consent));
  assert.equal(inputs(consent, { name: 'scope' })[0]!.value, `patient/Observation.rs"><script>`);
  assert.equal(inputs(consent, { name: `granular:patient/Observation.rs"><script>` }).length, 2);
  assertWellFormed(consent);

  const error = renderErrorPage({ nonce: 'n', title: EVIL, message: EVIL, detail: EVIL });
  assert.ok(!/<script/i.test(error));
  assertWellFormed(error);
});

// ---------------------------------------------------------------------------------------------------
// Sign in

test('sign-in: heading, app and practice, exact labels, inputs and button', () => {
  const page = renderSignIn({ ...BASE, appName: 'MyHealth Tracker', practiceName: 'Solana Beach Family Medicine' });
  assertPageBasics(page, BASE.nonce, 'Sign in');
  assertForms(page, BASE.action, BASE.csrf, BASE.tx);
  assert.match(textOf(withoutStyle(page)), /MyHealth Tracker wants to connect to your records at Solana Beach Family Medicine/);
  assert.match(page, /<title>Sign in · Solana Beach Family Medicine<\/title>/);
  assert.match(withoutStyle(page), /<header[\s\S]*Solana Beach Family Medicine[\s\S]*<\/header>/);

  const [user] = inputs(page, { name: 'username' });
  assert.equal(user!.type, 'text');
  assert.equal(user!.autocomplete, 'username');
  assert.equal(user!.required, true);
  assert.equal(user!.value, '');
  assert.equal(labelText(page, String(user!.id)), 'Username');

  const [pass] = inputs(page, { name: 'password' });
  assert.equal(pass!.type, 'password');
  assert.equal(pass!.autocomplete, 'current-password');
  assert.equal(pass!.value, undefined, 'a password is never echoed');
  assert.equal(labelText(page, String(pass!.id)), 'Password');

  assert.deepEqual(buttons(page).map((b) => b.text), ['Sign in']);
  assert.ok(!page.includes('role="alert"'), 'no alert without an error');
  assert.ok(!page.includes('aria-describedby'), 'nothing described without an error');
  assert.ok(!page.includes('role="note"'), 'no demo note unless given');
});

test('sign-in: the error is an alert linked to both inputs, and the username is kept', () => {
  const page = renderSignIn({
    ...BASE,
    appName: 'App',
    practiceName: 'Practice',
    username: 'david.smith',
    error: 'The username or password is incorrect.',
    demoNote: 'Try david.smith with password Demo-Passw0rd!',
  });
  assertPageBasics(page, BASE.nonce, 'Sign in');
  const alert = /<div\b([^>]*)role="alert"([^>]*)>([\s\S]*?)<\/div>/.exec(page);
  assert.ok(alert, 'an alert region');
  const id = String(parseAttrs(alert[1]! + alert[2]!).id);
  assert.ok(id);
  assert.match(textOf(alert[3]!), /The username or password is incorrect\./);
  for (const name of ['username', 'password']) {
    const [input] = inputs(page, { name });
    assert.equal(input!['aria-describedby'], id, `${name} is described by the alert`);
    assert.equal(input!['aria-invalid'], 'true');
  }
  assert.equal(inputs(page, { name: 'username' })[0]!.value, 'david.smith');
  assert.match(textOf(withoutStyle(page)), /Demo Try david\.smith with password Demo-Passw0rd!/);
});

// ---------------------------------------------------------------------------------------------------
// Patient picker

const PATIENTS = [
  { id: '428946492', name: 'David Smith', detail: 'born 1996-11-02 · you' },
  { id: '428946523', name: 'Anna Smith' },
  { id: '429119572', name: 'Alex Smith', detail: 'born 2019-06-14' },
];

test('patient picker: one radio per patient named by the full name, none pre-selected, first required', () => {
  const page = renderPatientPicker({ ...BASE, appName: 'MyHealth Tracker', practiceName: 'Solana Beach Family Medicine', patients: PATIENTS });
  assertPageBasics(page, BASE.nonce, 'Choose a patient');
  assertForms(page, BASE.action, BASE.csrf, BASE.tx);
  const radios = inputs(page, { name: 'patient' });
  assert.deepEqual(radios.map((r) => r.type), ['radio', 'radio', 'radio']);
  assert.deepEqual(radios.map((r) => r.value), PATIENTS.map((p) => p.id));
  assert.ok(radios.every((r) => r.checked === undefined), 'nothing pre-checked');
  assert.equal(radios[0]!.required, true, 'a choice is required');
  const ids = new Set(radios.map((r) => r.id));
  assert.equal(ids.size, 3, 'unique ids');
  assert.equal(labelText(page, String(radios[0]!.id)), 'David Smith , born 1996-11-02 · you');
  assert.equal(labelText(page, String(radios[1]!.id)), 'Anna Smith');
  assert.match(labelText(page, String(radios[2]!.id)), /^Alex Smith\b.*born 2019-06-14/);
  assert.match(withoutStyle(page), /<fieldset\b[^>]*>\s*<legend>[^<]+<\/legend>/, 'a fieldset with a legend');
  assert.deepEqual(buttons(page).map((b) => b.text), ['Continue']);
  assert.match(textOf(withoutStyle(page)), /MyHealth Tracker/);
});

test('patient picker: an error is an alert describing the group', () => {
  const page = renderPatientPicker({ ...BASE, appName: 'A', patients: PATIENTS, error: 'Choose a patient to continue.' });
  assertPageBasics(page, BASE.nonce);
  assert.match(page, /<div class="alert" id="patient-error" role="alert">/);
  assert.match(page, /<fieldset class="choices" aria-describedby="patient-error">/);
});

// ---------------------------------------------------------------------------------------------------
// Consent

const LAB = 'patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory';
const VITALS = 'patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|vital-signs';

const CONSENT: ConsentOptions = {
  ...BASE,
  practiceName: 'Solana Beach Family Medicine',
  appName: 'MyHealth Tracker',
  patientName: 'Alex Smith',
  accountName: 'david.smith',
  offlineAccess: true,
  scopes: [
    { scope: 'openid', group: 'Who you are', text: 'Confirm who you are' },
    { scope: 'patient/Patient.rs', group: 'Health record', text: 'Demographics: name, birth date and contact details' },
    { scope: 'fhirUser', group: 'Who you are', text: 'See your name and account' },
    {
      scope: 'patient/Observation.rs',
      group: 'Health record',
      text: 'Lab results, vital signs and other measurements',
      granular: [
        { scope: LAB, text: 'Only lab results' },
        { scope: VITALS, text: 'Only vital signs' },
      ],
    },
    { scope: 'offline_access', group: 'How long', text: 'Lasting access: keep access until you disconnect the app' },
  ],
};

test('consent: heading, one ticked checkbox per scope named by the scope and its description', () => {
  const page = renderConsent(CONSENT);
  assertPageBasics(page, BASE.nonce, "Allow MyHealth Tracker to access Alex Smith's records?");
  assertForms(page, BASE.action, BASE.csrf, BASE.tx);
  const boxes = inputs(page, { name: 'scope' });
  assert.deepEqual(
    boxes.map((b) => b.value).sort(),
    CONSENT.scopes.map((s) => s.scope).sort(),
  );
  for (const box of boxes) {
    assert.equal(box.type, 'checkbox');
    assert.equal(box.checked, true, `${box.value} is ticked by default`);
    const entry = CONSENT.scopes.find((s) => s.scope === box.value)!;
    const name = labelText(page, String(box.id));
    assert.ok(name.includes(entry.scope), `accessible name of ${entry.scope} contains the scope`);
    assert.ok(name.includes(entry.text), `accessible name of ${entry.scope} contains the description`);
  }
  assert.match(withoutStyle(page), /<code class="choice-code">patient\/Observation\.rs<\/code>/);
  assert.match(textOf(withoutStyle(page)), /unticked items are not shared/i);
  assert.match(textOf(withoutStyle(page)), /Signed in as david\.smith/);
});

test('consent: scopes are grouped under a fieldset/legend per group, in order of first use', () => {
  const page = withoutStyle(renderConsent(CONSENT));
  const groups = [...page.matchAll(/<fieldset class="group">\s*<legend>([^<]*)<\/legend>([\s\S]*?)<\/fieldset>\s*(?=<fieldset class="group">|<div class="actions">)/g)].map(
    (m) => ({ legend: decode(m[1]!), scopes: inputs(m[2]!, { name: 'scope' }).map((i) => i.value) }),
  );
  assert.deepEqual(groups, [
    { legend: 'Who you are', scopes: ['openid', 'fhirUser'] },
    { legend: 'Health record', scopes: ['patient/Patient.rs', 'patient/Observation.rs'] },
    { legend: 'How long', scopes: ['offline_access'] },
  ]);
});

test('consent: granular choices are nested radios, "All …" (empty value) checked first', () => {
  const page = renderConsent(CONSENT);
  const radios = inputs(page, { name: 'granular:patient/Observation.rs' });
  assert.deepEqual(radios.map((r) => [r.type, r.value, r.checked ?? false]), [
    ['radio', '', true],
    ['radio', LAB, false],
    ['radio', VITALS, false],
  ]);
  assert.equal(labelText(page, String(radios[0]!.id)), 'All observations');
  assert.equal(labelText(page, String(radios[1]!.id)), 'Only lab results');
  assert.equal(labelText(page, String(radios[2]!.id)), 'Only vital signs');
  // The radios sit in their own fieldset right after the Observation checkbox, inside the same item.
  const item = /<div class="scope">((?:(?!<div class="scope">)[\s\S])*?granular:patient\/Observation\.rs[\s\S]*?)<\/fieldset>\s*<\/div>/.exec(withoutStyle(page));
  assert.ok(item);
  assert.match(item[1]!, /value="patient\/Observation\.rs" checked/);
  assert.match(item[1]!, /<fieldset class="granular">\s*<legend>Which observations\?<\/legend>/);
  // Only scopes with granular choices get radios.
  assert.equal(inputs(page, { type: 'radio' }).length, 3);
  // A noun can be given.
  const custom = renderConsent({ ...CONSENT, scopes: [{ ...CONSENT.scopes[3]!, noun: 'results' }] });
  assert.equal(labelText(custom, String(inputs(custom, { value: '' })[0]!.id)), 'All results');
});

test('consent: offline_access is explained as lasting access, only when asked', () => {
  const page = renderConsent(CONSENT);
  const notice = /<div class="notice" id="([^"]+)">([\s\S]*?)<\/div>/.exec(page);
  assert.ok(notice, 'a highlighted lasting-access notice');
  assert.match(textOf(notice[2]!), /keep access .* until you disconnect/);
  const [offline] = inputs(page, { name: 'scope', value: 'offline_access' });
  assert.equal(offline!['aria-describedby'], notice[1], 'the checkbox is described by the notice');
  assert.match(labelText(page, String(offline!.id)), /Lasting access/);

  const short = renderConsent({
    ...CONSENT,
    offlineAccess: false,
    scopes: CONSENT.scopes.filter((s) => s.scope !== 'offline_access'),
  });
  assertPageBasics(short, BASE.nonce);
  assert.ok(!short.includes('class="notice"'));
  assert.ok(!short.includes('aria-describedby'));
});

test('consent: Allow and Deny submit the same form with decision=allow|deny', () => {
  const page = renderConsent(CONSENT);
  const form = /<form\b[^>]*>([\s\S]*?)<\/form>/.exec(page)![1]!;
  assert.deepEqual(
    buttons(form).map((b) => [b.text, b.attrs.name, b.attrs.value, b.attrs.type]),
    [
      ['Allow', 'decision', 'allow', 'submit'],
      ['Deny', 'decision', 'deny', 'submit'],
    ],
  );
  assert.equal(buttons(page).length, 2);
});

test('consent: the possessive of a name ending in s', () => {
  const page = renderConsent({ ...CONSENT, patientName: 'Chris Jones' });
  assert.match(page, /<h1>Allow MyHealth Tracker to access Chris Jones&#39; records\?<\/h1>/);
});

// ---------------------------------------------------------------------------------------------------
// Error page

test('error page: plain words, no form, no redirect, default product header', () => {
  const page = renderErrorPage({
    nonce: 'abc',
    title: 'This app is not recognised',
    message: 'The app that sent you here is not registered with this practice.',
    detail: 'Unknown client_id "foo".',
  });
  assertPageBasics(page, 'abc', 'This app is not recognised');
  assert.equal(tags(page, 'form').length, 0);
  assert.ok(!/http-equiv/i.test(page), 'no meta refresh');
  assert.match(page, /<div class="alert" role="alert"><p>The app that sent you here is not registered with this practice\.<\/p><\/div>/);
  assert.ok(page.includes('Unknown client_id &quot;foo&quot;.'));
  assert.match(withoutStyle(page), /<header[\s\S]*Patient Access[\s\S]*<\/header>/);
  const bare = renderErrorPage({ nonce: 'abc', title: 'T', message: 'M' });
  assert.ok(!bare.includes('For the developer'));
});

// ---------------------------------------------------------------------------------------------------
// Style

const STYLE_KEYS = [
  'color_background',
  'color_error',
  'color_highlight',
  'color_modal_backdrop',
  'color_success',
  'color_text',
  'dim_border_radius',
  'dim_font_size',
  'dim_spacing_size',
  'font_family_body',
  'font_family_heading',
];

test('SMART_STYLE has exactly the smart_style_url fields, and every value is in the page CSS', () => {
  assert.deepEqual(Object.keys(SMART_STYLE).sort(), [...STYLE_KEYS].sort());
  assert.ok(Object.isFrozen(SMART_STYLE));
  const css = buildCss();
  const page = renderSignIn({ ...BASE, appName: 'A', practiceName: 'P' });
  const style = /<style\b[^>]*>([\s\S]*?)<\/style>/.exec(page)![1]!;
  assert.equal(style.trim(), css);
  for (const key of STYLE_KEYS) {
    const value = SMART_STYLE[key as keyof SmartStyle];
    assert.ok(style.includes(value), `${key} (${value}) is in the CSS`);
  }
  assert.match(style, /:focus-visible\s*\{[^}]*outline/, 'visible focus styles');
  assert.match(style, /max-width: 32rem/, 'a readable column on a phone');
  assert.match(style, /min-height: 3rem/, 'large tap targets');
  assert.ok(!style.includes('</'), 'nothing can close the <style> element');
});

test('SMART_STYLE is an accessible palette', () => {
  const s = SMART_STYLE;
  assert.ok(contrastRatio(s.color_text, s.color_background) >= 7, 'text on background (AAA)');
  assert.ok(contrastRatio(s.color_text, '#ffffff') >= 7, 'text on the white card (AAA)');
  assert.ok(contrastRatio('#ffffff', s.color_highlight) >= 4.5, 'button text on the highlight');
  assert.ok(contrastRatio(s.color_highlight, s.color_background) >= 4.5, 'highlight text on the background');
  assert.ok(contrastRatio(s.color_error, '#ffffff') >= 4.5, 'error text');
  assert.ok(contrastRatio(s.color_success, '#ffffff') >= 4.5, 'success text');
  assert.ok(parseFloat(s.dim_font_size) >= 16, 'no zoom-on-focus on phones');
  // Derived colours in the CSS keep their contrast too.
  const css = buildCss();
  const border = /--color-border: (#[0-9a-f]{6})/.exec(css)![1]!;
  const muted = /--color-muted: (#[0-9a-f]{6})/.exec(css)![1]!;
  const errorTint = /--color-error-tint: (#[0-9a-f]{6})/.exec(css)![1]!;
  assert.ok(contrastRatio(border, '#ffffff') >= 3, 'input borders (non-text contrast)');
  assert.ok(contrastRatio(muted, '#ffffff') >= 4.5, 'muted text on the card');
  assert.ok(contrastRatio(muted, s.color_background) >= 4.5, 'muted text on the background');
  assert.ok(contrastRatio(s.color_text, errorTint) >= 7, 'alert text');
  assert.ok(contrastRatio(s.color_error, errorTint) >= 4.5, 'alert heading');
});

test('a custom style is used, and hostile style values cannot break out of the stylesheet', () => {
  assert.equal(cssValue('red; } body { display: none'), 'red  body  display: none');
  assert.equal(cssValue('</style><script>x</script>'), '/stylescriptx/script');
  const style: SmartStyle = {
    ...SMART_STYLE,
    color_highlight: '#224466',
    font_family_body: `Georgia, serif;</style><script>alert(1)</script>`,
  };
  const page = renderSignIn({ ...BASE, appName: 'A', practiceName: 'P', style });
  assert.ok(page.includes('--color-highlight: #224466;'));
  assert.ok(!/<script/i.test(page));
  assert.equal((page.match(/<\/style>/g) ?? []).length, 1);
  assertPageBasics(page, BASE.nonce);
});
