/**
 * @module fhir/search/paths
 * Compiles a search parameter's FHIRPath expression into a function returning the values it selects.
 * Most official expressions are plain paths (`Observation.code`, `(Observation.effective as dateTime)`,
 * `Observation.subject.where(resolve() is Patient)`); those become direct property walks, several times
 * faster than a general evaluator. Anything else goes to the `fhirpath` library.
 */
import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4';

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
  /** Choice type chosen with `as T` / `ofType(T)`, e.g. `dateTime` → `effectiveDateTime`. */
  choice?: string;
}

const PART_RE = /^\(?([A-Z][A-Za-z]+)((?:\.[a-z][A-Za-z0-9]*)+)(?:\s+as\s+([A-Za-z]+))?\)?(?:\.ofType\(([A-Za-z]+)\))?(?:\.where\(resolve\(\) is ([A-Z][A-Za-z]+)\))?$/;

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
  return out;
}

function push(out: unknown[], value: unknown): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) {
    for (const item of value) if (item !== undefined && item !== null) out.push(item);
  } else out.push(value);
}

function compilePart(part: string, resourceType: string): { steps: Step[]; refType?: string } | undefined {
  const m = PART_RE.exec(part.trim());
  if (!m || m[1] !== resourceType) return undefined;
  const names = m[2].slice(1).split('.');
  const choice = m[3] ?? m[4];
  const steps: Step[] = names.map((name) => ({ name }));
  if (choice) steps[steps.length - 1].choice = choice;
  return { steps, refType: m[5] };
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
  const fn = fhirpath.compile(rewritten, r4Model) as (r: unknown) => unknown[];
  return { extract: (resource) => fn(resource), direct: false, referenceTypes };
}
