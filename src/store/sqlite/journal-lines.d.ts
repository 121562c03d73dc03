/** At most this much of a file is read at once, so a backlog cannot take the memory. */
export declare const MAX_SLICE_BYTES: number;

/** One `audit_events` row in column order (see `auditRowValues`). */
export type JournalRow = [
  id: string,
  recorded: number,
  category: string | null,
  action: string,
  outcome: string | null,
  clientId: string | null,
  patientId: string | null,
  username: string | null,
  source: string | null,
  tokenJti: string | null,
  query: string | null,
  resource: string,
];

/**
 * The whole lines of `fd` from `offset`, up to `end` and at most `MAX_SLICE_BYTES`, and where the next
 * slice starts; undefined when no line ends before `end` (one still being written). A line longer than a
 * slice (only a damaged file has one) is skipped: `text` is empty and `overlong` 1.
 */
export declare function readWholeLines(fd: number, offset: number, end: number): { text: string; next: number; overlong: number } | undefined;

/** The complete lines of `lines` as rows; a line that does not parse is counted, not thrown. */
export declare function parseJournalRows(lines: string): { rows: JournalRow[]; skipped: number };
