/**
 * Server-rendered sign-in screens of the authorization server (SPEC §4): pure functions from options
 * to a complete HTML document. The caller sends them with a CSP whose `style-src` nonce matches
 * `nonce`; the pages contain no scripts, no external assets and no inline event handlers.
 */
export { renderSignIn, type SignInOptions } from './sign-in.js';
export { renderPatientPicker, type PatientPickerOptions, type PatientChoice } from './patient-picker.js';
export {
  renderConsent,
  nounForScope,
  type ConsentOptions,
  type ConsentScope,
  type GranularChoice,
} from './consent.js';
export { renderErrorPage, type ErrorPageOptions } from './error-page.js';
export { SMART_STYLE, buildCss, contrastRatio, cssValue, type SmartStyle } from './style.js';
export { PRODUCT_NAME, type PageOptions, type FormOptions } from './layout.js';
export { escapeHtml, escapeAttr, html, raw, SafeHtml, type HtmlValue } from './escape.js';
