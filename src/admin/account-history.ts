/**
 * @module admin/account-history
 * The access history on a patient's `/account` page, read from the audit trail: which app read which
 * kinds of data, when — FHIR interactions on the account's patients, newest first.
 */
import type { AuditStore, AuditRecord } from '../store/audit.js';
import type { AccountHistoryRow } from './account-page/describe.js';
import { auditEventOf } from './audit.js';

const WINDOW_MS = 180 * 86_400_000;

/** The resource type an audited FHIR interaction touched: from its query (`Observation?…`) or its entity. */
function resourceTypesOf(r: AuditRecord): string[] {
  const fromQuery = r.query ? /^([A-Z][A-Za-z]+)/.exec(r.query)?.[1] : undefined;
  if (fromQuery) return [fromQuery];
  try {
    const event = auditEventOf(r) as { entity?: { what?: { reference?: string }; role?: { code?: string } }[] };
    const refs = (event.entity ?? []).map((e) => e.what?.reference).filter((x): x is string => !!x);
    const types = refs.map((ref) => ref.split('/')[0]).filter((t) => t !== 'Patient');
    return types.length ? [...new Set(types)] : refs.length ? ['Patient'] : [];
  } catch {
    return [];
  }
}

export function accountHistory(audit: AuditStore, now: () => number = Date.now) {
  return async (_username: string, patientIds: string[], limit: number): Promise<AccountHistoryRow[]> => {
    const rows: AccountHistoryRow[] = [];
    for (const patient of patientIds) {
      const records = await audit.query({ patient, since: now() - WINDOW_MS, limit: 10_000 });
      for (const r of records) {
        if (r.category !== 'fhir') continue;
        rows.push({
          recorded: r.recorded,
          clientId: r.clientId ?? undefined,
          patientId: r.patientId ?? undefined,
          action: r.action,
          resourceTypes: resourceTypesOf(r),
          outcome: r.outcome,
        });
      }
    }
    return rows.sort((a, b) => b.recorded - a.recorded).slice(0, limit);
  };
}
