/**
 * HTML escaping for the server-rendered sign-in screens.
 *
 * Every value that reaches a page goes through `escapeHtml`, which is safe both in text and in
 * double-quoted attribute values (all five significant characters are replaced). The `html` tagged
 * template escapes every interpolation unless it is already `SafeHtml` (the output of `html` or
 * `raw`), so markup composed from smaller pieces is never escaped twice and never left unescaped.
 */

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes a value for HTML text content and for double- or single-quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/** Same as `escapeHtml`; named for readability where the value lands in an attribute. */
export const escapeAttr = escapeHtml;

/** Markup that is already safe to insert as is. */
export class SafeHtml {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

/** Marks trusted markup (never user input) as safe. */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false || value === true) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map((v: HtmlValue) => render(v)).join('');
  return escapeHtml(value);
}

/**
 * Tagged template producing `SafeHtml`: literal parts are kept, interpolations are escaped (arrays are
 * joined, `null`/`undefined`/booleans render as nothing, `SafeHtml` is inserted unchanged).
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new SafeHtml(out);
}

/** Renders an attribute only when the condition holds (boolean attributes such as `checked`). */
export function attrIf(condition: boolean | undefined, name: string): SafeHtml {
  return raw(condition ? ` ${name}` : '');
}
