/** `patient-access import FILE…` */
import { importFiles, type FileReport } from '../importer/index.js';
import { defaultRegistry } from '../fhir/search/registry.js';
import { openStore } from '../store/index.js';
import type { Settings } from '../config/index.js';
import { ProgressBar, table } from './output.js';

export async function runImport(settings: Settings, files: string[]): Promise<number> {
  const store = await openStore(settings);
  const bar = new ProgressBar();
  const started = Date.now();
  let reports: FileReport[];
  try {
    reports = await importFiles(store, defaultRegistry(), files, {
      onProgress: (p) => bar.update(p.file, p.bytesDone, p.bytesTotal, `${p.resources} resources`),
    });
  } finally {
    bar.done();
    await store.close();
  }
  const seconds = (Date.now() - started) / 1000;
  let failed = false;
  const rows: (string | number)[][] = [['file', 'kind', 'created', 'updated', 'unchanged', 'errors', 'warnings']];
  for (const r of reports) {
    const errors = r.issues.filter((i) => i.severity === 'error').length;
    rows.push([r.file, r.kind + (r.rejected ? ' (rejected)' : ''), r.written.created, r.written.updated, r.written.unchanged, errors, r.issues.length - errors]);
    if (errors) failed = true;
  }
  process.stdout.write(table(rows) + '\n');
  const total = reports.reduce((n, r) => n + r.written.created + r.written.updated + r.written.unchanged, 0);
  process.stdout.write(`${total} resources in ${seconds.toFixed(1)} s (${Math.round(total / Math.max(seconds, 0.001))}/s)\n`);
  for (const r of reports) {
    if (!r.issues.length) continue;
    process.stderr.write(`\n${r.file}: ${r.rejected ? 'nothing was written; ' : ''}${r.issues.length} issue(s)\n`);
    const unit = r.kind === 'ndjson' ? 'line' : 'entry';
    for (const i of r.issues.slice(0, 50)) process.stderr.write(`  ${i.severity}: ${unit} ${i.index}: ${i.path ? i.path + ' ' : ''}${i.message}\n`);
    if (r.issues.length > 50) process.stderr.write(`  … and ${r.issues.length - 50} more\n`);
  }
  return failed ? 1 : 0;
}
