// The demo practice of SPEC §6: "Solana Beach Family Medicine" and the Smith family's records.
// Hand-written, fixed ids, validated against US Core 6.1.0 by test/demo/practice.test.ts.
import type { Resource } from '@medplum/fhirtypes';
import { alexResources } from './alex.js';
import { annaResources } from './anna.js';
import { albuterolMedication, davidResources, phq2Questionnaire } from './david.js';
import { locations, organizations, practitionerRoles, practitioners } from './organization.js';

export const DEMO_PRACTICE = { name: 'Solana Beach Family Medicine', practiceId: '1673497', organizationId: '1673497' } as const;
export const DEMO_PATIENTS = { david: '428946492', anna: '428946523', alex: '429119572' } as const;
/**
 * The demo logins' Person ids. The Person resources are not part of the practice data: the demo accounts
 * make them (src/demo/auth-seed.ts, through the same code as `patient-access accounts create`).
 */
export const DEMO_PERSONS = { david: '4007449', anna: '4007450' } as const;

/** Depth-first topological order: a resource comes after the resources it references (cycles are broken arbitrarily). */
function referencesFirst(resources: Resource[]): Resource[] {
  const byKey = new Map(resources.map((r) => [`${r.resourceType}/${r.id}`, r]));
  const refsOf = (v: unknown, out: string[] = []): string[] => {
    if (Array.isArray(v)) for (const x of v) refsOf(x, out);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'reference' && typeof x === 'string') out.push(x);
        else refsOf(x, out);
      }
    }
    return out;
  };
  const state = new Map<string, 'visiting' | 'done'>();
  const ordered: Resource[] = [];
  const visit = (key: string) => {
    const r = byKey.get(key);
    if (!r || state.has(key)) return;
    state.set(key, 'visiting');
    // Provenance goes after its targets, but targets do not wait for Provenance.
    for (const target of refsOf(r)) visit(target);
    state.set(key, 'done');
    ordered.push(r);
  };
  for (const r of resources) visit(`${r.resourceType}/${r.id}`);
  return ordered;
}

/** Every resource of the demo practice, with fixed ids, in an order where referenced resources come first. */
export function demoPracticeResources(): Resource[] {
  return referencesFirst([
    ...organizations(),
    ...locations(),
    ...practitioners(),
    ...practitionerRoles(),
    albuterolMedication(),
    phq2Questionnaire(),
    ...davidResources(),
    ...annaResources(),
    ...alexResources(),
  ]);
}
