/**
 * @module admin/account-page/describe
 * Pure helpers of the patient's account page: grants grouped into "connected apps", scopes and audit
 * rows put into plain words, and times written so a person can read them.
 */
import { describeScope } from '../../auth/scopes.js';
import type { SearchParameterRegistry } from '../../fhir/search/registry.js';
import type { GrantRecord } from '../../store/auth.js';

/** One row of the access history, as the injected `history` function returns it. */
export interface AccountHistoryRow {
  /** When it happened (epoch ms). */
  recorded: number;
  clientId?: string;
  patientId?: string;
  /** e.g. `read`, `search`, `$everything` (or the AuditEvent action code `R`, `E`). */
  action: string;
  /** FHIR resource types returned or asked for, e.g. `['Observation', 'Condition']`. */
  resourceTypes: string[];
  /** e.g. `success`, or the AuditEvent outcome code `0`, `4`, `8`, `12`. */
  outcome: string;
}

/** An app with active (not revoked) grants for one patient; several grants of one client are merged. */
export interface ConnectedApp {
  clientId: string;
  patientId: string;
  /** Every active grant of this client for this patient: the Disconnect button posts them all. */
  grantIds: string[];
  /** The union of the granted scopes, each once, in first-seen order. */
  scopes: string[];
  /** When first connected (ms). */
  connectedAt: number;
  /** When last used (ms), or null when never. */
  lastUsedAt: number | null;
}

/** A client whose every grant for this patient has been revoked. */
export interface DisconnectedApp {
  clientId: string;
  patientId: string;
  disconnectedAt: number;
}

/** Groups an account's grants for one patient by client: active ones as connected apps, the rest as disconnected. */
export function appsForPatient(grants: readonly GrantRecord[], patientId: string): { connected: ConnectedApp[]; disconnected: DisconnectedApp[] } {
  const connected = new Map<string, ConnectedApp>();
  const revoked = new Map<string, number>();
  for (const g of grants) {
    if (g.patientId !== patientId) continue;
    if (g.revokedAt !== null) {
      revoked.set(g.clientId, Math.max(revoked.get(g.clientId) ?? 0, g.revokedAt));
      continue;
    }
    let app = connected.get(g.clientId);
    if (!app) {
      app = { clientId: g.clientId, patientId, grantIds: [], scopes: [], connectedAt: g.createdAt, lastUsedAt: null };
      connected.set(g.clientId, app);
    }
    app.grantIds.push(g.grantId);
    for (const s of g.scope.split(/\s+/)) if (s && !app.scopes.includes(s)) app.scopes.push(s);
    app.connectedAt = Math.min(app.connectedAt, g.createdAt);
    if (g.lastUsedAt !== null) app.lastUsedAt = Math.max(app.lastUsedAt ?? 0, g.lastUsedAt);
  }
  const disconnected = [...revoked]
    .filter(([clientId]) => !connected.has(clientId))
    .map(([clientId, disconnectedAt]) => ({ clientId, patientId, disconnectedAt }))
    .sort((a, b) => b.disconnectedAt - a.disconnectedAt);
  return {
    connected: [...connected.values()].sort((a, b) => b.connectedAt - a.connectedAt),
    disconnected,
  };
}

/** Granted scopes in plain words, grouped as on the consent screen; each text once. */
export function describeGranted(scopes: readonly string[], registry?: SearchParameterRegistry): { group: string; items: string[] }[] {
  const groups = new Map<string, string[]>();
  for (const scope of scopes) {
    const d = describeScope(scope, registry);
    const list = groups.get(d.group) ?? [];
    if (!list.includes(d.text)) list.push(d.text);
    groups.set(d.group, list);
  }
  return [...groups].map(([group, items]) => ({ group, items }));
}

const GENERIC_GROUPS = new Set(['Health records', 'Cannot be granted', 'Other']);

/** "AllergyIntolerance" → "Allergies" (the consent screen's heading for the type); unknown types as words. */
export function kindOfData(resourceType: string, registry?: SearchParameterRegistry): string {
  if (!/^[A-Z][A-Za-z]{0,63}$/.test(resourceType)) return resourceType.slice(0, 64);
  const d = describeScope(`patient/${resourceType}.rs`, registry);
  if (!GENERIC_GROUPS.has(d.group)) return d.group;
  const words = resourceType.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Resource types as a list of plain-words kinds, each once. */
export function kindsOfData(resourceTypes: readonly string[], registry?: SearchParameterRegistry): string[] {
  const out: string[] = [];
  for (const t of resourceTypes) {
    const k = kindOfData(t, registry);
    if (!out.includes(k)) out.push(k);
  }
  return out;
}

const ACTIONS: Record<string, string> = {
  r: 'Read',
  read: 'Read',
  vread: 'Read',
  e: 'Searched',
  search: 'Searched',
  'search-type': 'Searched',
  'search-system': 'Searched',
  'search-compartment': 'Searched',
  'history-instance': 'Read past versions',
  'history-type': 'Read past versions',
  operation: 'Downloaded records',
  $everything: 'Downloaded the whole record',
  everything: 'Downloaded the whole record',
  c: 'Added',
  create: 'Added',
  u: 'Changed',
  update: 'Changed',
  d: 'Deleted',
  delete: 'Deleted',
};

/** An audit action in plain words ("search" → "Searched"); an unknown one as it is. */
export function actionText(action: string): string {
  const key = action.trim().toLowerCase();
  return ACTIONS[key] ?? (action.trim() || '—');
}

const OUTCOMES: Record<string, string> = {
  '0': 'Succeeded',
  success: 'Succeeded',
  ok: 'Succeeded',
  '4': 'Refused',
  failure: 'Failed',
  refused: 'Refused',
  denied: 'Refused',
  '8': 'Failed (server error)',
  '12': 'Failed (server error)',
};

/** An audit outcome in plain words (IHE/FHIR outcome codes or words). */
export function outcomeText(outcome: string): { text: string; ok: boolean } {
  const key = outcome.trim().toLowerCase();
  const text = OUTCOMES[key] ?? (outcome.trim() || '—');
  return { text, ok: text === 'Succeeded' };
}

/** "2025-03-04 09:05 UTC", and the full ISO string for a `<time datetime>`; a time zone may be given. */
export function when(ms: number, timeZone = 'UTC'): { text: string; iso: string } {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return { text: '—', iso: '' };
  const iso = d.toISOString();
  if (timeZone === 'UTC') return { text: `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`, iso };
  try {
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat('en-US', {
        timeZone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
        timeZoneName: 'short',
      })
        .formatToParts(d)
        .map((p) => [p.type, p.value]),
    ) as Record<string, string>;
    return { text: `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${parts.timeZoneName ?? timeZone}`, iso };
  } catch {
    return { text: `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`, iso };
  }
}
