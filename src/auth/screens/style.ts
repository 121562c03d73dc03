/**
 * The look of the sign-in screens, expressed as a SMART App Launch style object
 * (https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html#styling). The same object is
 * served as `/smart-style.json`, so an app that follows `smart_style_url` matches our screens.
 *
 * `buildCss` turns the style into the page's inline stylesheet: the style values become CSS custom
 * properties on `:root`, and a few tints (borders, notice backgrounds) are mixed from them.
 */

export interface SmartStyle {
  color_background: string;
  color_error: string;
  color_highlight: string;
  color_modal_backdrop: string;
  color_success: string;
  color_text: string;
  dim_border_radius: string;
  dim_font_size: string;
  dim_spacing_size: string;
  font_family_body: string;
  font_family_heading: string;
}

/**
 * A calm, accessible palette: dark slate text on a cool off-white (13:1), a deep teal highlight that
 * carries white button text at 7:1, an error red at 6.5:1 and a success green at 5.3:1 on white.
 */
export const SMART_STYLE: Readonly<SmartStyle> = Object.freeze({
  color_background: '#f3f6f8',
  color_error: '#b42318',
  color_highlight: '#13607c',
  color_modal_backdrop: 'rgba(28, 43, 54, 0.6)',
  color_success: '#1f7a4d',
  color_text: '#1c2b36',
  dim_border_radius: '8px',
  dim_font_size: '16px',
  dim_spacing_size: '16px',
  font_family_body:
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "Liberation Sans", Arial, sans-serif',
  font_family_heading:
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "Liberation Sans", Arial, sans-serif',
});

/**
 * Makes a style value safe inside a declaration of an inline stylesheet: drops characters that could
 * end the declaration, the rule or the `<style>` element (`; { } < > \`), and control characters.
 */
export function cssValue(value: string): string {
  return String(value)
    .replace(/[;{}<>\\\u0000-\u001f\u007f]/g, '')
    .trim();
}

type Rgb = [number, number, number];

function parseHex(value: string): Rgb | undefined {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(value.trim());
  if (!m) return undefined;
  let hex = m[1]!;
  if (hex.length === 3) hex = hex.replace(/./g, (c) => c + c);
  return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16)) as Rgb;
}

function toHex(rgb: Rgb): string {
  return '#' + rgb.map((v) => Math.round(Math.min(255, Math.max(0, v))).toString(16).padStart(2, '0')).join('');
}

/** `weight` of colour `a` mixed into colour `b` (hex colours); `fallback` when either is not hex. */
export function mixHex(a: string, b: string, weight: number, fallback: string): string {
  const x = parseHex(a);
  const y = parseHex(b);
  if (!x || !y) return fallback;
  return toHex([0, 1, 2].map((i) => x[i]! * weight + y[i]! * (1 - weight)) as Rgb);
}

function luminance(rgb: Rgb): number {
  const [r, g, b] = rgb.map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as Rgb;
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG 2 contrast ratio of two hex colours (1–21), or NaN when one is not a hex colour. */
export function contrastRatio(a: string, b: string): number {
  const x = parseHex(a);
  const y = parseHex(b);
  if (!x || !y) return NaN;
  const [hi, lo] = [luminance(x), luminance(y)].sort((p, q) => q - p) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

const WHITE = '#ffffff';

/** The inline stylesheet of every screen, built from a SMART style object. */
export function buildCss(style: Readonly<SmartStyle> = SMART_STYLE): string {
  const s = Object.fromEntries(
    Object.entries(style).map(([k, v]) => [k, cssValue(String(v))]),
  ) as unknown as SmartStyle;
  // Derived tints. Input borders keep >= 3:1 against white (WCAG 1.4.11); tints are for backgrounds.
  const border = mixHex(s.color_text, WHITE, 0.55, '#7d8790');
  const rule = mixHex(s.color_text, WHITE, 0.15, '#dde2e6');
  const muted = mixHex(s.color_text, WHITE, 0.78, '#4a5560');
  const highlightTint = mixHex(s.color_highlight, WHITE, 0.08, '#eef5f8');
  const highlightHover = mixHex(s.color_highlight, '#000000', 0.82, s.color_highlight);
  const errorTint = mixHex(s.color_error, WHITE, 0.07, '#fdf1f0');
  const successTint = mixHex(s.color_success, WHITE, 0.08, '#eef7f2');

  return `
:root {
  --color-background: ${s.color_background};
  --color-error: ${s.color_error};
  --color-highlight: ${s.color_highlight};
  --color-modal-backdrop: ${s.color_modal_backdrop};
  --color-success: ${s.color_success};
  --color-text: ${s.color_text};
  --radius: ${s.dim_border_radius};
  --font-size: ${s.dim_font_size};
  --space: ${s.dim_spacing_size};
  --font-body: ${s.font_family_body};
  --font-heading: ${s.font_family_heading};
  --color-surface: ${WHITE};
  --color-border: ${border};
  --color-rule: ${rule};
  --color-muted: ${muted};
  --color-highlight-tint: ${highlightTint};
  --color-highlight-hover: ${highlightHover};
  --color-error-tint: ${errorTint};
  --color-success-tint: ${successTint};
  color-scheme: light;
}
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body {
  margin: 0;
  min-height: 100vh;
  background: var(--color-background);
  color: var(--color-text);
  font-family: var(--font-body);
  font-size: var(--font-size);
  line-height: 1.5;
}
::backdrop { background: var(--color-modal-backdrop); }
.skip {
  position: absolute; left: var(--space); top: calc(var(--space) * -4);
  background: var(--color-surface); color: var(--color-highlight);
  padding: calc(var(--space) * 0.5) var(--space); border-radius: var(--radius); z-index: 2;
}
.skip:focus { top: calc(var(--space) * 0.5); }
.site-header {
  background: var(--color-surface);
  border-bottom: 1px solid var(--color-rule);
}
.site-header-inner, main, .site-footer {
  width: 100%; max-width: 32rem; margin: 0 auto; padding-left: var(--space); padding-right: var(--space);
}
.site-header-inner {
  display: flex; align-items: center; gap: calc(var(--space) * 0.75);
  padding-top: calc(var(--space) * 0.75); padding-bottom: calc(var(--space) * 0.75);
}
.brand-mark {
  flex: none; width: 2.25rem; height: 2.25rem; border-radius: 50%;
  background: var(--color-highlight); color: var(--color-surface);
  display: grid; place-items: center; font-weight: 700; font-family: var(--font-heading);
}
.brand { margin: 0; line-height: 1.25; }
.brand-name { display: block; font-family: var(--font-heading); font-weight: 650; }
.brand-product { display: block; font-size: 0.875em; color: var(--color-muted); }
main { padding-top: calc(var(--space) * 1.25); padding-bottom: calc(var(--space) * 2); }
.card {
  background: var(--color-surface);
  border: 1px solid var(--color-rule);
  border-radius: calc(var(--radius) * 1.5);
  padding: calc(var(--space) * 1.5) calc(var(--space) * 1.25);
  box-shadow: 0 1px 2px rgba(0, 0, 0, 0.04), 0 4px 16px rgba(0, 0, 0, 0.04);
}
h1, h2, legend { font-family: var(--font-heading); }
h1 { font-size: 1.5em; line-height: 1.25; margin: 0 0 calc(var(--space) * 0.75); font-weight: 700; overflow-wrap: anywhere; }
h2 { font-size: 1.0625em; line-height: 1.3; margin: 0 0 calc(var(--space) * 0.25); }
p { margin: 0 0 var(--space); }
.lede { font-size: 1.0625em; }
.muted { color: var(--color-muted); }
.small { font-size: 0.9375em; }
strong { font-weight: 650; }
code {
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  font-size: 0.8125em; background: var(--color-background); border: 1px solid var(--color-rule);
  border-radius: calc(var(--radius) * 0.5); padding: 0.05em 0.35em; overflow-wrap: anywhere;
}
a { color: var(--color-highlight); text-underline-offset: 0.15em; }
a:hover { color: var(--color-highlight-hover); }
:focus-visible { outline: 3px solid var(--color-highlight); outline-offset: 2px; }
form { margin: 0; }
.field { margin: 0 0 calc(var(--space) * 1.25); }
.field label { display: block; font-weight: 600; margin-bottom: calc(var(--space) * 0.375); }
input[type="text"], input[type="password"] {
  display: block; width: 100%; min-height: 3rem;
  padding: calc(var(--space) * 0.625) calc(var(--space) * 0.75);
  font: inherit; font-size: max(1em, 16px); color: var(--color-text);
  background: var(--color-surface);
  border: 2px solid var(--color-border); border-radius: var(--radius);
}
input[type="text"]:focus, input[type="password"]:focus {
  border-color: var(--color-highlight); outline: 3px solid var(--color-highlight-tint); outline-offset: 0;
}
input[type="text"]:focus-visible, input[type="password"]:focus-visible { outline: 3px solid var(--color-highlight); outline-offset: 1px; }
input[aria-invalid="true"] { border-color: var(--color-error); }
input[type="checkbox"], input[type="radio"] {
  flex: none; width: 1.375rem; height: 1.375rem; margin: 0.0625rem 0 0;
  accent-color: var(--color-highlight);
}
.button {
  display: inline-flex; align-items: center; justify-content: center;
  min-height: 3rem; min-width: 6rem; padding: calc(var(--space) * 0.625) calc(var(--space) * 1.25);
  font: inherit; font-weight: 650; line-height: 1.2;
  border-radius: var(--radius); border: 2px solid var(--color-highlight); cursor: pointer;
}
.button-primary { background: var(--color-highlight); color: var(--color-surface); }
.button-primary:hover { background: var(--color-highlight-hover); border-color: var(--color-highlight-hover); }
.button-secondary { background: var(--color-surface); color: var(--color-highlight); }
.button-secondary:hover { background: var(--color-highlight-tint); }
.button:focus-visible { outline: 3px solid var(--color-text); outline-offset: 2px; }
.button-block { display: flex; width: 100%; }
.actions { display: flex; flex-wrap: wrap; gap: calc(var(--space) * 0.75); margin-top: calc(var(--space) * 1.25); }
.actions .button { flex: 1 1 8rem; }
.alert {
  border: 1px solid var(--color-error); border-left-width: 6px; border-radius: var(--radius);
  background: var(--color-error-tint); color: var(--color-text);
  padding: calc(var(--space) * 0.75) var(--space); margin: 0 0 calc(var(--space) * 1.25);
}
.alert p { margin: 0; }
.alert strong { color: var(--color-error); }
.notice {
  border-radius: var(--radius); padding: calc(var(--space) * 0.75) var(--space);
  margin: 0 0 calc(var(--space) * 1.25);
  background: var(--color-highlight-tint); border: 1px solid var(--color-highlight); border-left-width: 6px;
}
.notice p { margin: 0; }
.notice p + p { margin-top: calc(var(--space) * 0.5); }
.notice-demo { background: var(--color-success-tint); border-color: var(--color-success); }
.notice-demo strong { color: var(--color-success); }
fieldset { border: 0; margin: 0 0 calc(var(--space) * 1.25); padding: 0; min-width: 0; }
legend { font-weight: 700; font-size: 1.0625em; padding: 0; margin-bottom: calc(var(--space) * 0.5); }
.choices { display: grid; gap: calc(var(--space) * 0.5); }
.choice {
  display: flex; align-items: flex-start; gap: calc(var(--space) * 0.75);
  min-height: 3rem; padding: calc(var(--space) * 0.75);
  border: 1px solid var(--color-border); border-radius: var(--radius);
  background: var(--color-surface); cursor: pointer;
}
.choice:hover { border-color: var(--color-highlight); }
.choice:has(input:checked) { border-color: var(--color-highlight); background: var(--color-highlight-tint); box-shadow: inset 0 0 0 1px var(--color-highlight); }
.choice:has(input:focus-visible) { outline: 3px solid var(--color-highlight); outline-offset: 2px; }
.choice input:focus-visible { outline: none; }
.choice-body { display: block; min-width: 0; }
.choice-title { display: block; font-weight: 600; }
.choice-detail { display: block; color: var(--color-muted); font-size: 0.9375em; }
.choice-code { display: inline-block; max-width: 100%; margin-top: 0.25rem; }
.scope { display: grid; gap: calc(var(--space) * 0.5); }
.granular {
  margin: 0 0 0 calc(var(--space) * 1.25); padding: 0 0 0 calc(var(--space) * 0.75);
  border-left: 3px solid var(--color-rule);
}
.granular legend { font-size: 0.9375em; font-weight: 600; margin-bottom: calc(var(--space) * 0.375); }
.granular .choices { gap: calc(var(--space) * 0.375); }
.granular .choice { padding: calc(var(--space) * 0.5) calc(var(--space) * 0.75); }
.scope:has(> .choice input:not(:checked)) > .granular { opacity: 0.55; }
.group { margin-bottom: calc(var(--space) * 1.5); }
.account { font-size: 0.9375em; color: var(--color-muted); margin-top: calc(var(--space) * 1.25); margin-bottom: 0; }
.detail { font-size: 0.9375em; color: var(--color-muted); overflow-wrap: anywhere; }
.site-footer { padding-bottom: calc(var(--space) * 2); font-size: 0.875em; color: var(--color-muted); text-align: center; }
.site-footer p { margin: 0; }
.visually-hidden {
  position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0;
}
@media (min-width: 40rem) {
  main { padding-top: calc(var(--space) * 2.5); }
  .card { padding: calc(var(--space) * 2) calc(var(--space) * 2); }
}
@media (forced-colors: active) {
  .choice:has(input:checked) { outline: 2px solid CanvasText; }
  .button { border: 2px solid ButtonText; }
}
@media (prefers-reduced-motion: reduce) { * { transition: none !important; animation: none !important; } }
`.trim();
}
