/**
 * `patient-access audit [--patient ID] [--client ID] [--since ISO] [--ndjson] [--json]`
 * Reads the audit trail: a table by default (the first TABLE_LIMIT matches), `--json` an array of rows,
 * `--ndjson` the AuditEvent resources one per line (an export: every match, streamed page by page).
 */
import type { Writable } from 'node:stream';
import type { Settings } from '../config/index.js';
import { auditEventOf } from '../admin/audit.js';
import { AuditStore, type AuditQuery, type AuditRecord } from '../store/audit.js';
import { openStore } from '../store/index.js';
import { UsageError } from './main.js';
import { table } from './output.js';

export const TABLE_LIMIT = 1000;

export interface AuditValues {
  patient?: string;
  client?: string;
  since?: string;
  ndjson?: boolean;
  json?: boolean;
}

export interface AuditIo {
  stdout: Writable;
  stderr: Writable;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * `--since`: an ISO 8601 date (`2025-01-31`, the start of that day in UTC) or date-time
 * (`2025-01-31T08:00`, `…:00Z`, `…+01:00`; without a zone, UTC). Returns epoch ms.
 * @throws UsageError naming the flag.
 */
export function parseSince(value: string): number {
  const bad = () =>
    new UsageError(`--since needs an ISO date or date-time such as 2025-01-31 or 2025-01-31T08:00:00Z, not '${value.slice(0, 60)}'`);
  const d = DATE_RE.exec(value);
  const t = d ? undefined : DATETIME_RE.exec(value);
  const parts = d ?? t;
  if (!parts) throw bad();
  const [y, mo, da] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const [h, mi, s] = t ? [Number(t[4]), Number(t[5]), Number(t[6] ?? 0)] : [0, 0, 0];
  if (mo < 1 || mo > 12 || da < 1 || h > 23 || mi > 59 || s > 59) throw bad();
  // The day must exist in its month (no 2025-02-30).
  const day = new Date(Date.UTC(y, mo - 1, da));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== da) throw bad();
  const ms = t?.[7] ? Number(t[7].slice(0, 3).padEnd(3, '0')) : 0;
  let at = Date.UTC(y, mo - 1, da, h, mi, s, ms);
  const zone = t?.[8];
  if (zone && zone.toUpperCase() !== 'Z') {
    const zm = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    const offset = (Number(zm[2]) * 60 + Number(zm[3])) * 60_000;
    if (Number(zm[2]) > 23 || Number(zm[3]) > 59) throw bad();
    at -= zm[1] === '+' ? offset : -offset;
  }
  return at;
}

function idValue(flag: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !value.trim()) throw new UsageError(`${flag} needs a value`);
  if (value.length > 200 || /[\u0000-\u001f\u007f]/.test(value)) throw new UsageError(`${flag} must be an id of at most 200 printable characters`);
  return value.trim();
}

/** Accepts `Patient/123` as well as `123` for --patient. */
function patientId(value: string | undefined): string | undefined {
  return value?.replace(/^Patient\//, '');
}

function row(r: AuditRecord): Record<string, unknown> {
  return {
    id: r.id,
    recorded: new Date(r.recorded).toISOString(),
    category: r.category,
    action: r.action,
    outcome: r.outcome,
    client: r.clientId,
    patient: r.patientId,
    user: r.username ?? personOf(r),
    source: r.source,
    tokenJti: r.tokenJti,
    query: r.query,
    resource: resourceOf(r),
  };
}

function parsed(r: AuditRecord): Record<string, any> {
  return auditEventOf(r);
}

function personOf(r: AuditRecord): string | null {
  const agents = (parsed(r)?.agent ?? []) as { who?: { reference?: string } }[];
  return agents.find((a) => a.who?.reference?.startsWith('Person/'))?.who?.reference ?? null;
}

function resourceOf(r: AuditRecord): string | null {
  const entities = (parsed(r)?.entity ?? []) as { role?: { code?: string }; what?: { reference?: string } }[];
  return entities.find((e) => e.role?.code === '4')?.what?.reference ?? null;
}

/** Waits for the stream to take more when it asks to (a slow pipe). */
async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
}

export async function runAudit(settings: Settings, values: AuditValues, io: AuditIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  // Every argument is checked before the store is opened.
  if (values.json && values.ndjson) throw new UsageError('choose one of --json and --ndjson');
  const filter: Omit<AuditQuery, 'limit' | 'afterId'> = {
    patient: patientId(idValue('--patient', values.patient)),
    client: idValue('--client', values.client),
    since: values.since === undefined ? undefined : parseSince(String(values.since)),
  };
  const store = await openStore(settings);
  try {
    const audit = new AuditStore(store.sql, { journal: store.auditJournal() });
    if (values.ndjson) {
      for await (const r of audit.iterate(filter)) await write(io.stdout, JSON.stringify(auditEventOf(r)) + '\n');
      return 0;
    }
    if (values.json) {
      let first = true;
      await write(io.stdout, '[');
      for await (const r of audit.iterate(filter)) {
        await write(io.stdout, (first ? '\n' : ',\n') + JSON.stringify(row(r)));
        first = false;
      }
      await write(io.stdout, first ? ']\n' : '\n]\n');
      return 0;
    }
    const records = await audit.query({ ...filter, limit: TABLE_LIMIT + 1 });
    if (!records.length) {
      await write(io.stdout, 'No audit events match.\n');
      return 0;
    }
    const shown = records.slice(0, TABLE_LIMIT);
    const rows: (string | number)[][] = [['TIME', 'ACTION', 'OUTCOME', 'CLIENT', 'PATIENT', 'USER', 'SOURCE', 'QUERY / RESOURCE']];
    for (const r of shown) {
      const x = row(r);
      rows.push([
        String(x.recorded),
        r.action,
        r.outcome,
        r.clientId ?? '-',
        r.patientId ?? '-',
        String(x.user ?? '-'),
        r.source ?? '-',
        (r.query ?? (x.resource as string | null) ?? '-').slice(0, 120),
      ]);
    }
    await write(io.stdout, table(rows) + '\n');
    if (records.length > TABLE_LIMIT) {
      await write(io.stderr, `Showing the first ${TABLE_LIMIT} events; narrow them with --since, --patient or --client, or export them all with --ndjson.\n`);
    }
    return 0;
  } finally {
    await store.close();
  }
}
