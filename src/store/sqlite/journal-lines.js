/**
 * @module store/sqlite/journal-lines
 * Reading the audit journal's files: whole lines only, a bounded slice at a time, each line one row of
 * `audit_events` as a JSON array in the table's column order. Plain JavaScript (typed by
 * `journal-lines.d.ts`) because the journal's worker thread runs without the TypeScript loader: under tsx
 * a worker starts its own loader thread and transpiles its imports, which kept about 14 MB more of the
 * server's memory at idle.
 */
import { readSync } from 'node:fs';

/**
 * A slice is one transaction, about 4,000 rows. Its rows are all in the worker's heap at once; with 4 MiB
 * slices, moving the backlog a query settles took the server's RSS 15 MiB higher under the point-read load.
 */
export const MAX_SLICE_BYTES = 1 * 2 ** 20;
/** Fields of a row: id, recorded, category, action, outcome, client_id, patient_id, username, source, token_jti, query, resource. */
const ROW_FIELDS = 12;

function readInto(fd, bytes, position) {
  let got = 0;
  while (got < bytes.length) {
    const n = readSync(fd, bytes, got, bytes.length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

export function readWholeLines(fd, offset, end) {
  const bytes = Buffer.allocUnsafe(Math.min(end - offset, MAX_SLICE_BYTES));
  const got = readInto(fd, bytes, offset);
  const whole = bytes.subarray(0, got).lastIndexOf(0x0a) + 1;
  if (whole > 0) return { text: bytes.subarray(0, whole).toString('utf8'), next: offset + whole, overlong: 0 };
  // A full slice without a line end: no record is that long, so the file is damaged here. Skip to the
  // next line end rather than stall on it; none before `end` means the line may still be being written.
  for (let at = offset + got; got === bytes.length && at < end; ) {
    const n = readInto(fd, bytes.subarray(0, Math.min(bytes.length, end - at)), at);
    const nl = bytes.subarray(0, n).indexOf(0x0a);
    if (nl >= 0) return { text: '', next: at + nl + 1, overlong: 1 };
    if (n === 0) break;
    at += n;
  }
  return undefined;
}

const text = (v) => (typeof v === 'string' ? v : null);
/** A row's `resource`: JSON text, or the object itself (`journalLine` writes it so; see there). */
const isResource = (v) => typeof v === 'string' || (typeof v === 'object' && v !== null && !Array.isArray(v));

export function parseJournalRows(lines) {
  const rows = [];
  let skipped = 0;
  for (const line of lines.split('\n')) {
    if (!line) continue;
    let f;
    try {
      f = JSON.parse(line);
    } catch {
      skipped++;
      continue;
    }
    if (!Array.isArray(f) || f.length !== ROW_FIELDS || typeof f[0] !== 'string' || typeof f[1] !== 'number' || !isResource(f[11])) {
      skipped++;
      continue;
    }
    // Only text, a number and nulls reach the table, whatever a damaged line holds.
    const resource = typeof f[11] === 'string' ? f[11] : JSON.stringify(f[11]);
    rows.push([f[0], f[1], text(f[2]), String(f[3]), text(f[4]), text(f[5]), text(f[6]), text(f[7]), text(f[8]), text(f[9]), text(f[10]), resource]);
  }
  return { rows, skipped };
}
