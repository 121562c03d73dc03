/**
 * @module cli/output
 * Terminal output helpers: a progress bar that only draws on a terminal, and aligned tables.
 */

export class ProgressBar {
  #last = 0;
  readonly #enabled: boolean;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.#enabled = !!stream.isTTY && !process.env.CI;
  }

  update(label: string, done: number, total: number, extra = ''): void {
    if (!this.#enabled) return;
    const now = Date.now();
    if (now - this.#last < 100 && done < total) return;
    this.#last = now;
    const width = 30;
    const ratio = total > 0 ? Math.min(1, done / total) : 0;
    const filled = Math.round(ratio * width);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    this.stream.write(`\r${label.slice(-30).padEnd(30)} ${bar} ${(ratio * 100).toFixed(0).padStart(3)}% ${extra}\x1b[K`);
  }

  done(): void {
    if (this.#enabled) this.stream.write('\r\x1b[K');
  }
}

export function table(rows: (string | number)[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows
    .map((r) => r.map((c, i) => (typeof c === 'number' ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join('  ').trimEnd())
    .join('\n');
}
