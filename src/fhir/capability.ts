/**
 * @module fhir/capability
 * The CapabilityStatement, generated from the search parameter registry: it advertises exactly the
 * parameters, includes and interactions the engine implements, and instantiates US Core's server one.
 */
import { US_CORE_SERVER_CAPABILITY_STATEMENT_URL } from './search/us-core-capabilities.js';
import type { SearchParameterRegistry } from './search/registry.js';

export const SOFTWARE_NAME = 'patient-access';
export const SOFTWARE_VERSION = '0.1.0';

const COMBINATION_URL = 'http://hl7.org/fhir/StructureDefinition/capabilitystatement-search-parameter-combination';
const EXPECTATION_URL = 'http://hl7.org/fhir/StructureDefinition/capabilitystatement-expectation';

export function capabilityStatement(registry: SearchParameterRegistry, fhirBaseUrl: string, startedAt: string): Record<string, unknown> {
  const resources = registry.types().map((type) => {
    const cap = registry.capability(type)!;
    const searchable = cap.searchParams.length > 0 || cap.interactions['search-type'] !== undefined;
    const searchParam = [
      { name: '_id', type: 'token', definition: 'http://hl7.org/fhir/SearchParameter/Resource-id' },
      { name: '_lastUpdated', type: 'date', definition: 'http://hl7.org/fhir/SearchParameter/Resource-lastUpdated' },
      ...registry
        .indexed(type)
        .filter((p) => cap.searchParams.some((s) => s.name === p.code))
        .map((p) => ({ name: p.code, type: p.type, definition: p.url })),
    ];
    return {
      type,
      ...(cap.profiles.length ? { supportedProfile: cap.profiles } : {}),
      interaction: [{ code: 'read' }, { code: 'vread' }, ...(searchable ? [{ code: 'search-type' }] : [])],
      versioning: 'versioned',
      readHistory: false,
      ...(searchable
        ? {
            searchParam,
            ...(cap.searchInclude.length ? { searchInclude: cap.searchInclude } : {}),
            ...(cap.searchRevInclude.length ? { searchRevInclude: cap.searchRevInclude } : {}),
            ...(cap.combinations.length
              ? {
                  extension: cap.combinations.map((c) => ({
                    url: COMBINATION_URL,
                    extension: [
                      { url: EXPECTATION_URL, valueCode: c.expectation },
                      ...c.params.map((p) => ({ url: 'required', valueString: p })),
                    ],
                  })),
                }
              : {}),
          }
        : {}),
      ...(type === 'Patient'
        ? { operation: [{ name: 'everything', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything' }] }
        : {}),
    };
  });
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: startedAt,
    publisher: 'patient-access',
    kind: 'instance',
    instantiates: [US_CORE_SERVER_CAPABILITY_STATEMENT_URL],
    software: { name: SOFTWARE_NAME, version: SOFTWARE_VERSION },
    implementation: { description: 'Patient Access API (FHIR R4, US Core 6.1.0)', url: fhirBaseUrl },
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [{ mode: 'server', resource: resources }],
  };
}
