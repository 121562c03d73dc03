/**
 * @module cli/fetch
 * `patient-access fetch`: downloads the whole accessible record with the tokens `connect` saved
 * (refreshing them when needed) into an NDJSON directory or one Bundle, prints a summary table
 * (count by type, types not shared), supports incremental runs with --since, and writes a one-page
 * HTML health summary with --html.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ClientError } from '../client/errors.js';
import { FhirReader } from '../client/fhir-reader.js';
import { renderHealthSummary } from '../client/html-summary.js';
import { downloadRecord, readBundleFile, readNdjsonDir, writeBundleFile, writeNdjsonDir, type TypeReport } from '../client/record.js';
import { SmartClient, normalizeFhirBase } from '../client/smart.js';
import { TokenFile, TokenSet, defaultTokenFile } from '../client/tokens.js';
import { loadPrivateKey, processIO, type ClientIO } from './connect.js';
import { table } from './output.js';

export interface FetchArgs {
  fhirBase: string;
  clientId: string;
  /** Write one NDJSON file per type into this directory. */
  out?: string;
  /** Write one collection Bundle to this file. */
  bundle?: string;
  /** Only what changed at or after this instant; merged into what --out / --bundle already holds. */
  since?: string;
  /** Write a one-page HTML health summary to this file. */
  html?: string;
  tokenFile?: string;
}

export interface FetchResult {
  exitCode: number;
  report: TypeReport[];
  refreshed: number;
}

/** Runs `patient-access fetch`; returns the exit status. */
export async function runFetch(args: FetchArgs, io: ClientIO = processIO()): Promise<number> {
  return (await fetchRecord(args, io)).exitCode;
}

/** `runFetch` with the details (for tests and library use). */
export async function fetchRecord(args: FetchArgs, io: ClientIO = processIO()): Promise<FetchResult> {
  try {
    return await doFetch(args, io);
  } catch (err) {
    if (err instanceof ClientError) {
      io.stderr.write(`\npatient-access fetch: ${err.message}\n`);
      return { exitCode: 1, report: [], refreshed: 0 };
    }
    throw err;
  }
}

const ISO_RE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/;

async function doFetch(args: FetchArgs, io: ClientIO): Promise<FetchResult> {
  if (!args.out && !args.bundle) throw new ClientError('FHIR_ERROR', 'fetch needs --out DIR (NDJSON per type) or --bundle FILE (one Bundle).');
  if (args.since !== undefined && !ISO_RE.test(args.since)) throw new ClientError('FHIR_ERROR', `--since needs an ISO date or date-time such as 2025-01-31 or 2025-01-31T12:00:00Z, not “${args.since}”.`);
  const fhirBase = normalizeFhirBase(args.fhirBase);
  const file = new TokenFile(args.tokenFile ?? defaultTokenFile(io.env));
  const saved = file.get(fhirBase, args.clientId);
  if (!saved) {
    throw new ClientError(
      'NOT_CONNECTED',
      `No saved authorization for ${args.clientId} at ${fhirBase} in ${file.path}. Run \`patient-access connect --fhir-base ${fhirBase} --client-id ${args.clientId}\` first (the same --fhir-base and --client-id).`,
    );
  }
  if (!saved.patient) throw new ClientError('NOT_CONNECTED', 'The saved authorization has no patient in context. Connect again with the launch/patient scope.');
  let client: SmartClient | undefined;
  const tokens = new TokenSet(
    saved,
    async () =>
      (client ??= await SmartClient.create({
        fhirBase,
        clientId: args.clientId,
        clientSecret: saved.clientSecret,
        privateKey: saved.privateKeyFile ? await loadPrivateKey(saved.privateKeyFile) : undefined,
      })),
    { onRefresh: (t) => file.save(t) },
  );
  const reader = new FhirReader({ fhirBase, tokens });
  const tty = !!io.stderr.isTTY && !io.env.CI;
  let lastDraw = 0;
  const record = await downloadRecord(reader, saved.patient, {
    since: args.since,
    onProgress: (p) => {
      if (!tty) return;
      const now = Date.now();
      if (now - lastDraw < 80 && p.type !== 'done') return;
      lastDraw = now;
      const ratio = p.total ? p.done / p.total : 0;
      const width = 24;
      const bar = '█'.repeat(Math.round(ratio * width)).padEnd(width, '░');
      io.stderr.write(`\r${bar} ${String(Math.round(ratio * 100)).padStart(3)}%  ${p.type.padEnd(22).slice(0, 22)} ${p.resources} resources\x1b[K`);
    },
  });
  if (tty) io.stderr.write('\r\x1b[K');

  const merge = args.since !== undefined;
  let where: string;
  let everything: Map<string, import('../client/fhir-reader.js').FhirResource[]>;
  if (args.bundle) {
    const n = writeBundleFile(resolve(args.bundle), fhirBase, record.byType, merge);
    everything = readBundleFile(resolve(args.bundle));
    where = `${args.bundle} (${n} resources)`;
  } else {
    writeNdjsonDir(resolve(args.out as string), record.byType, merge);
    everything = readNdjsonDir(resolve(args.out as string));
    where = `${args.out}/ (one .ndjson file per type)`;
  }

  const rows: (string | number)[][] = [['type', args.since ? `changed since ${args.since}` : 'resources', 'status']];
  for (const r of record.report) rows.push([r.type, r.count, r.status === 'ok' ? '' : r.status === 'not-shared' ? 'not shared (403)' : `error: ${r.message ?? ''}`.slice(0, 80)]);
  const total = record.report.reduce((n, r) => n + r.count, 0);
  rows.push(['total', total, '']);
  const notShared = record.report.filter((r) => r.status === 'not-shared').map((r) => r.type);
  const errors = record.report.filter((r) => r.status === 'error');
  const out = [
    `Patient ${record.patientId} from ${fhirBase}`,
    '',
    table(rows),
    '',
    notShared.length ? `Not shared with this app (the patient did not grant them): ${notShared.join(', ')}` : 'Every type was shared.',
    ...(record.missing.length ? [`Referenced but not readable: ${record.missing.join(', ')}`] : []),
    ...(tokens.refreshCount ? [`The access token was refreshed (${tokens.refreshCount}×); the new tokens are saved.`] : []),
    `Written to ${where}`,
  ];
  if (args.html) {
    const html = renderHealthSummary(everything, { source: fhirBase });
    mkdirSync(dirname(resolve(args.html)), { recursive: true });
    writeFileSync(resolve(args.html), html);
    out.push(`Health summary: ${args.html} (open it in a browser)`);
  }
  io.stdout.write(out.join('\n') + '\n');
  return { exitCode: errors.length ? 1 : 0, report: record.report, refreshed: tokens.refreshCount };
}
