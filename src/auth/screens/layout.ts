/**
 * The frame every screen shares: doctype, language, viewport, `noindex`, the inline stylesheet carrying
 * the CSP nonce, a header naming the practice, one `<main>` landmark and a footer. No scripts, no
 * external assets, no inline event handlers.
 */
import { html, raw, type HtmlValue, type SafeHtml } from './escape.js';
import { buildCss, SMART_STYLE, type SmartStyle } from './style.js';

/** The product name shown under the practice name and in titles when no practice is given. */
export const PRODUCT_NAME = 'Patient Access';

/** Options every screen takes. */
export interface PageOptions {
  /** The CSP nonce for this response; the page's `<style>` element carries it. */
  nonce: string;
  /** The practice (or EHR vendor) running this server; shown in the header. */
  practiceName?: string;
  /** The look; defaults to `SMART_STYLE` (the same values as `/smart-style.json`). */
  style?: Readonly<SmartStyle>;
}

export interface LayoutOptions extends PageOptions {
  /** Page title (the `<h1>` text); the practice name is appended for `<title>`. */
  title: string;
  /** The content of the card inside `<main>`; must contain the page's single `<h1>`. */
  body: HtmlValue;
}

const cssCache = new WeakMap<object, string>();

function cssFor(style: Readonly<SmartStyle>): string {
  let css = cssCache.get(style);
  if (css === undefined) {
    css = buildCss(style);
    cssCache.set(style, css);
  }
  return css;
}

function initials(name: string): string {
  const words = name.split(/\s+/).filter((w) => /^[\p{L}\p{N}]/u.test(w));
  const letters = words.slice(0, 2).map((w) => Array.from(w)[0]!.toUpperCase());
  return letters.join('') || 'P';
}

export function layout(options: LayoutOptions): string {
  const practice = options.practiceName?.trim() || undefined;
  const brand = practice ?? PRODUCT_NAME;
  const css = cssFor(options.style ?? SMART_STYLE);
  const page: SafeHtml = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<meta name="color-scheme" content="light">
<title>${options.title} · ${brand}</title>
<style nonce="${options.nonce}">
${raw(css)}
</style>
</head>
<body>
<a class="skip" href="#main">Skip to main content</a>
<header class="site-header">
<div class="site-header-inner">
<span class="brand-mark" aria-hidden="true">${initials(brand)}</span>
<p class="brand"><span class="brand-name">${brand}</span>${practice ? html`<span class="brand-product">${PRODUCT_NAME}</span>` : html`<span class="brand-product">Secure sign-in</span>`}</p>
</div>
</header>
<main id="main">
<div class="card">
${options.body}
</div>
</main>
<footer class="site-footer">
<p>Your health records stay private. Only apps you allow can see them.</p>
</footer>
</body>
</html>
`;
  return page.value;
}

/** Options every form screen takes. */
export interface FormOptions extends PageOptions {
  /** The form's `action` (same-origin path). */
  action: string;
  /** The anti-CSRF token, posted back as `csrf`. */
  csrf: string;
  /** The authorization transaction id, posted back as `tx`. */
  tx: string;
}

/** The opening `<form>` tag with the hidden `csrf` and `tx` fields. */
export function formStart(options: FormOptions, extra?: SafeHtml): SafeHtml {
  return html`<form method="post" action="${options.action}"${extra ?? ''}>
<input type="hidden" name="csrf" value="${options.csrf}">
<input type="hidden" name="tx" value="${options.tx}">`;
}
