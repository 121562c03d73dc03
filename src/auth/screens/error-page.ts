import { html } from './escape.js';
import { layout, type PageOptions } from './layout.js';

export interface ErrorPageOptions extends PageOptions {
  /** Plain-words heading, e.g. "This app is not recognised". */
  title: string;
  /** What happened and what to do, in plain words. */
  message: string;
  /** An optional technical detail for the app's developer (e.g. the offending redirect URI); never a stack trace. */
  detail?: string;
}

/** A dead-end error page (unknown client or redirect URI): shown instead of redirecting. */
export function renderErrorPage(options: ErrorPageOptions): string {
  const { title, message, detail } = options;
  const body = html`<h1>${title}</h1>
<div class="alert" role="alert"><p>${message}</p></div>
<p>You can close this page and go back to the app. If this keeps happening, contact the app's developer.</p>
${detail ? html`<p class="detail"><span class="visually-hidden">Technical detail: </span>For the developer: ${detail}</p>` : ''}`;
  return layout({ ...options, title, body });
}
