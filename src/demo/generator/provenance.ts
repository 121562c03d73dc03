/**
 * @module provenance
 * US Core Provenance records: who authored (a practitioner on behalf of the clinic) and who
 * transmitted (the clinic) a set of the patient's resources.
 */
import type { Ref } from './ids.js';
import type { Provenance, Resource } from '@medplum/fhirtypes';
import type { RecordContext } from './record-context.js';
import { PROFILE, metaFor } from './profiles.js';
import { SYSTEM } from './vocabulary.js';
import { fhirDateTime } from './clock.js';

/** A Provenance whose targets are the given resources (which must already have ids). */
export function provenanceFor(ctx: RecordContext, targets: readonly Resource[], recorded: number, author: Ref): Provenance {
  return {
    resourceType: 'Provenance',
    id: ctx.ids.next('prov'),
    meta: metaFor(PROFILE.provenance),
    target: targets.map((r) => ({ reference: `${r.resourceType}/${r.id}` })),
    recorded: fhirDateTime(recorded),
    agent: [
      {
        type: { coding: [{ system: SYSTEM.provenanceType, code: 'author', display: 'Author' }], text: 'Author' },
        who: author,
        onBehalfOf: ctx.clinicOrg,
      },
      {
        type: { coding: [{ system: SYSTEM.usCoreProvenanceType, code: 'transmitter', display: 'Transmitter' }], text: 'Transmitter' },
        who: ctx.clinicOrg,
      },
    ],
  };
}
