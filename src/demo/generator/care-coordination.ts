/**
 * @module care-coordination
 * Builders for the longer-lived, patient-level resources: CareTeam, Goal, CarePlan and Coverage.
 */
import type { Ref } from './ids.js';
import type { CarePlan, CareTeam, Coverage, Goal } from '@medplum/fhirtypes';
import type { RecordContext } from './record-context.js';
import type { Code } from './vocabulary.js';
import { CARE_TEAM_ROLES, SYSTEM } from './vocabulary.js';
import { PROFILE, metaFor } from './profiles.js';
import { fhirDate } from './clock.js';


const concept = (c: Code) => ({ coding: [{ ...c }], text: c.display });

/** The patient's primary care team (patient, physician, nurse practitioner). */
export function careTeam(ctx: RecordContext, since: number, physician: Ref, nursePractitioner: Ref): CareTeam {
  return {
    resourceType: 'CareTeam',
    id: ctx.ids.next('ct'),
    meta: metaFor(PROFILE.careTeam),
    status: 'active',
    name: 'Primary care team',
    subject: ctx.subject,
    period: { start: fhirDate(since) },
    participant: [
      { role: [concept(CARE_TEAM_ROLES.patient)], member: ctx.subject },
      { role: [concept(CARE_TEAM_ROLES.primaryCare)], member: physician, onBehalfOf: ctx.clinicOrg },
      {
        role: [concept(CARE_TEAM_ROLES.nursePractitioner)],
        member: nursePractitioner,
        onBehalfOf: ctx.clinicOrg,
      },
    ],
    managingOrganization: [ctx.clinicOrg],
  };
}

/** A patient goal with an optional measurable target. */
export function goal(
  ctx: RecordContext,
  text: string,
  start: number,
  due: number,
  expressedBy: Ref,
  addresses: readonly Ref[],
  target?: { measure: Code; high: number; unit: string },
): Goal {
  const g: Goal = {
    resourceType: 'Goal',
    id: ctx.ids.next('goal'),
    meta: metaFor(PROFILE.goal),
    lifecycleStatus: 'active',
    achievementStatus: { coding: [{ system: SYSTEM.goalAchievement, code: 'in-progress', display: 'In Progress' }], text: 'In Progress' },
    description: { text },
    subject: ctx.subject,
    startDate: fhirDate(start),
    target: [
      target
        ? {
            measure: concept(target.measure),
            detailQuantity: { value: target.high, comparator: '<', unit: target.unit, system: SYSTEM.ucum, code: target.unit },
            dueDate: fhirDate(due),
          }
        : { dueDate: fhirDate(due) },
    ],
    expressedBy,
  };
  if (addresses.length > 0) g.addresses = [...addresses];
  return g;
}

/** An activity of a care plan. */
export interface PlanActivity {
  readonly code: Code;
  readonly description: string;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The patient's assessment-and-plan CarePlan, linking conditions, goals and the care team. */
export function carePlan(
  ctx: RecordContext,
  start: number,
  author: Ref,
  team: Ref,
  addresses: readonly Ref[],
  goals: readonly Ref[],
  activities: readonly PlanActivity[],
  summary: string,
): CarePlan {
  const items = activities.map((a) => `<li>${escapeXml(a.description)}</li>`).join('');
  const plan: CarePlan = {
    resourceType: 'CarePlan',
    id: ctx.ids.next('cp'),
    meta: metaFor(PROFILE.carePlan),
    text: {
      status: 'generated',
      div: `<div xmlns="http://www.w3.org/1999/xhtml"><p>${escapeXml(summary)}</p>${items ? `<ul>${items}</ul>` : ''}</div>`,
    },
    status: 'active',
    intent: 'plan',
    category: [{ coding: [{ system: SYSTEM.usCoreCarePlanCategory, code: 'assess-plan', display: 'Assessment and Plan of Treatment' }], text: 'Assessment and Plan of Treatment' }],
    title: summary,
    subject: ctx.subject,
    period: { start: fhirDate(start) },
    author,
    careTeam: [team],
  };
  if (addresses.length > 0) plan.addresses = [...addresses];
  if (goals.length > 0) plan.goal = [...goals];
  if (activities.length > 0) {
    plan.activity = activities.map((a) => ({
      detail: { code: concept(a.code), status: 'in-progress', description: a.description },
    }));
  }
  return plan;
}

/** Payer type (PHDSC Source of Payment Typology). */
export type PayerType = 'medicare' | 'medicaid' | 'private';

const PAYER_TYPE: Record<PayerType, Code> = {
  medicare: { system: SYSTEM.payerType, code: '1', display: 'MEDICARE' },
  medicaid: { system: SYSTEM.payerType, code: '2', display: 'MEDICAID' },
  private: { system: SYSTEM.payerType, code: '5', display: 'PRIVATE HEALTH INSURANCE' },
};

/** A Coverage with member id, group and plan classes; `end` closes a past coverage. */
export function coverage(
  ctx: RecordContext,
  payer: Ref,
  payerName: string,
  type: PayerType,
  start: number,
  end: number | undefined,
  dependent: boolean,
): Coverage {
  const memberId = `${type.slice(0, 3).toUpperCase()}${ctx.rng.int(100000000, 999999999)}`;
  const group = type === 'private' ? `GRP-${ctx.rng.int(1000, 9999)}` : type.toUpperCase();
  return {
    resourceType: 'Coverage',
    id: ctx.ids.next('cov'),
    meta: metaFor(PROFILE.coverage),
    identifier: [
      {
        type: { coding: [{ system: SYSTEM.v20203, code: 'MB', display: 'Member Number' }], text: 'Member Number' },
        system: `urn:oid:2.16.840.1.113883.19.5.98.${payer.reference.slice(payer.reference.lastIndexOf('-') + 1)}`,
        value: memberId,
        assigner: payer,
      },
    ],
    status: 'active',
    type: concept(PAYER_TYPE[type]),
    subscriberId: memberId,
    beneficiary: ctx.subject,
    relationship: dependent
      ? { coding: [{ system: SYSTEM.subscriberRelationship, code: 'child', display: 'Child' }], text: 'Child' }
      : { coding: [{ system: SYSTEM.subscriberRelationship, code: 'self', display: 'Self' }], text: 'Self' },
    period: end === undefined ? { start: fhirDate(start) } : { start: fhirDate(start), end: fhirDate(end) },
    payor: [payer],
    class: [
      { type: { coding: [{ system: SYSTEM.coverageClass, code: 'group', display: 'Group' }], text: 'Group' }, value: group, name: `${payerName} group` },
      { type: { coding: [{ system: SYSTEM.coverageClass, code: 'plan', display: 'Plan' }], text: 'Plan' }, value: `${type.toUpperCase()}-STD`, name: `${payerName} standard plan` },
    ],
  };
}
