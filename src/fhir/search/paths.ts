/**
 * @module fhir/search/paths
 * Compiles a search parameter's FHIRPath expression into a function returning the values it selects.
 * Most official expressions are plain paths (`Observation.code`, `(Observation.effective as dateTime)`,
 * `Condition.onset.as(Period)`, `Observation.subject.where(resolve() is Patient)`, an extension chosen by
 * its url); those become direct property walks, several times faster than a general evaluator. Anything
 * else goes to the `fhirpath` library, loaded only then: every parameter this server indexes is a path,
 * and loading the library took 170 ms of each process's and each import worker's start.
 */
import { createRequire } from 'node:module';

export type Extractor = (resource: Record<string, unknown>) => unknown[];

export interface CompiledExpression {
  extract: Extractor;
  /** Set when every part ended in `.where(resolve() is X)`: only references to X count. */
  referenceTypes?: string[];
  /** True when the expression was compiled to property walks. */
  direct: boolean;
}

interface Step {
  name: string;
  /** Choice type chosen with `as T`, `.as(T)` or `.ofType(T)`, e.g. `dateTime` → `effectiveDateTime`. */
  choice?: string;
  /** Only the selected objects whose `url` is this (`extension.where(url = '…')`). */
  url?: string;
}

function upperFirst(s: string): string {
  return s[0].toUpperCase() + s.slice(1);
}

function walk(values: unknown[], step: Step): unknown[] {
  const out: unknown[] = [];
  for (const v of values) {
    if (!v || typeof v !== 'object') continue;
    const obj = v as Record<string, unknown>;
    if (step.choice) {
      push(out, obj[step.name + upperFirst(step.choice)]);
      continue;
    }
    const direct = obj[step.name];
    if (direct !== undefined) {
      push(out, direct);
      continue;
    }
    // A choice element named without a type (`Observation.effective`) selects whichever variant is present.
    // (for…in: this runs for most resources written, and Object.keys would make an array each time.)
    for (const key in obj) {
      if (key.length > step.name.length && key.startsWith(step.name) && /[A-Z]/.test(key[step.name.length])) {
        push(out, obj[key]);
      }
    }
  }
  return step.url === undefined ? out : out.filter((v) => (v as { url?: unknown } | null)?.url === step.url);
}

function push(out: unknown[], value: unknown): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) {
    for (const item of value) if (item !== undefined && item !== null) out.push(item);
  } else out.push(value);
}

/** What may follow a path's root, one at a time (sticky: each must start where the last ended). */
const ELEMENT = /\.([a-z][A-Za-z0-9]*)(?![A-Za-z0-9(])/y;
// The operator form binds the rest of the expression into its type name, so only a reference type test may follow it.
const AS_TYPE = /\s+as\s+([A-Za-z]+)(?=$|\.where\(resolve\(\))|\.(?:as|ofType)\(([A-Za-z]+)\)/y;
const URL_IS = /\.where\(url\s*=\s*'([^'\\]*)'\)/y;
const RESOLVES_TO = /\.where\(resolve\(\) is ([A-Z][A-Za-z]+)\)$/y;

/**
 * One part of a union as property steps, or undefined when it is more than a path: the root type, then
 * elements, each optionally narrowed by a choice type (` as T`, `.as(T)`, `.ofType(T)`) or an extension's
 * url, and at the very end optionally `.where(resolve() is X)`. Parentheses may wrap the path before its
 * narrowing, as in `(Observation.effective as dateTime)`.
 */
function compilePart(part: string, resourceType: string): { steps: Step[]; refType?: string } | undefined {
  // The one parenthesized form is a prefix of the part: drop the pair and read on as one path.
  let text = part.trim();
  if (text.startsWith('(')) {
    const close = text.indexOf(')');
    if (close < 0 || text.lastIndexOf('(', close) !== 0) return undefined;
    text = text.slice(1, close) + text.slice(close + 1);
  }
  if (!text.startsWith(resourceType + '.')) return undefined;
  const steps: Step[] = [];
  let at = resourceType.length;
  const next = (re: RegExp) => {
    re.lastIndex = at;
    const m = re.exec(text);
    if (m) at = re.lastIndex;
    return m;
  };
  while (at < text.length) {
    const last = steps.at(-1);
    let m: RegExpExecArray | null;
    if ((m = next(ELEMENT))) steps.push({ name: m[1] });
    else if (last && last.choice === undefined && last.url === undefined && (m = next(AS_TYPE))) last.choice = m[1] ?? m[2];
    else if (last && last.url === undefined && (m = next(URL_IS))) last.url = m[1];
    else if (steps.length && (m = next(RESOLVES_TO))) return { steps, refType: m[1] };
    else return undefined;
  }
  return steps.length ? { steps } : undefined;
}

/** Splits a multi-resource expression and keeps the parts that apply to `resourceType`. */
export function expressionFor(expression: string, resourceType: string): string | undefined {
  const parts = splitUnion(expression).filter((p) => {
    const t = p.trim().replace(/^\(+/, '');
    return t.startsWith(resourceType + '.') || t === resourceType;
  });
  return parts.length ? parts.map((p) => p.trim()).join(' | ') : undefined;
}

/** Splits on top-level `|` (not inside parentheses or quotes). */
export function splitUnion(expression: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = false;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i];
    if (c === "'" && expression[i - 1] !== '\\') quote = !quote;
    else if (!quote && c === '(') depth++;
    else if (!quote && c === ')') depth--;
    else if (!quote && depth === 0 && c === '|') {
      parts.push(expression.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(expression.slice(start));
  return parts.map((p) => p.trim()).filter(Boolean);
}

/** Compiles the expression (already reduced to one resource type). */
export function compileExpression(expression: string, resourceType: string): CompiledExpression {
  const parts = splitUnion(expression).map((p) => compilePart(p, resourceType));
  if (parts.every((p) => p !== undefined)) {
    const compiled = parts as { steps: Step[]; refType?: string }[];
    const refTypes = compiled.map((p) => p.refType);
    const extract: Extractor = (resource) => {
      const out: unknown[] = [];
      for (const p of compiled) {
        let values: unknown[] = [resource];
        for (const step of p.steps) values = walk(values, step);
        for (const v of values) out.push(v);
      }
      return out;
    };
    return {
      extract,
      direct: true,
      referenceTypes: refTypes.every((t) => t !== undefined) ? (refTypes as string[]) : undefined,
    };
  }
  // `resolve()` cannot run synchronously; the type test is read from the reference's own type prefix instead.
  let referenceTypes: string[] | undefined;
  const rewritten = expression.replace(/\.where\(resolve\(\) is ([A-Z][A-Za-z]+)\)/g, (_, t: string) => {
    referenceTypes = [...(referenceTypes ?? []), t];
    return '';
  });
  const { fhirpath, r4Model } = generalEvaluator();
  const fn = fhirpath.compile(rewritten, r4Model) as (r: unknown) => unknown[];
  return { extract: (resource) => fn(resource), direct: false, referenceTypes };
}

interface GeneralEvaluator {
  fhirpath: { compile(expression: string, model: unknown): unknown };
  r4Model: unknown;
}

let evaluator: GeneralEvaluator | undefined;

/** The `fhirpath` library and its R4 model, loaded on first use (synchronously: compiling is). */
function generalEvaluator(): GeneralEvaluator {
  if (!evaluator) {
    const require = createRequire(import.meta.url);
    evaluator = { fhirpath: require('fhirpath') as GeneralEvaluator['fhirpath'], r4Model: require('fhirpath/fhir-context/r4') as unknown };
  }
  return evaluator;
}
