/**
 * @module importer/lines
 * NDJSON lines as bytes, from the read to the chunk an import worker parses. The importing thread only
 * finds line ends (`indexOf` of a byte) and copies whole lines into a chunk's buffer, which moves to the
 * worker without a copy; the worker decodes the chunk as one text. Decoding, splitting and joining every
 * line as a string on the importing thread cost it more than a second of CPU per 300 MB, on a machine
 * whose two cores the workers need.
 */

const LF = 0x0a;
const CR = 0x0d;
const UTF8_BOM = [0xef, 0xbb, 0xbf];

/**
 * The lines of a byte stream, a read's worth at a time, each a view of the bytes read: Node's file and
 * gunzip streams hand out fresh memory with every read, so a view stays valid after the next read (a
 * stream that reuses its buffer would need copies). Lines end at `\n`; a `\r` before it is dropped,
 * so CRLF files read the same, and a UTF-8 byte order mark before the first line is skipped. A line longer
 * than a read is kept in pieces until it ends, then joined once.
 */
export async function* lineBatches(input: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array[]> {
  let pieces: Uint8Array[] = [];
  let first = true;
  const ended = (line: Uint8Array) => (line.length && line[line.length - 1] === CR ? line.subarray(0, -1) : line);
  for await (let read of input) {
    if (first && read.length) {
      first = false;
      read = withoutBom(read);
    }
    const lines: Uint8Array[] = [];
    let start = 0;
    for (let end = read.indexOf(LF); end !== -1; end = read.indexOf(LF, start)) {
      let line = read.subarray(start, end);
      if (pieces.length) {
        line = Buffer.concat([...pieces, line]);
        pieces = [];
      }
      lines.push(ended(line));
      start = end + 1;
    }
    if (start < read.length) pieces.push(read.subarray(start));
    if (lines.length) yield lines;
  }
  if (pieces.length) yield [ended(Buffer.concat(pieces))];
}

/**
 * The bytes after a UTF-8 byte order mark, if they start with one: some editors save JSON that way, and
 * the mark is not part of the document.
 */
export function withoutBom(bytes: Uint8Array): Uint8Array {
  return UTF8_BOM.every((b, i) => bytes[i] === b) ? bytes.subarray(UTF8_BOM.length) : bytes;
}

/** True when `line` starts with the bytes of `prefix` (an ASCII text). */
export function startsWithAscii(line: Uint8Array, prefix: string): boolean {
  if (line.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (line[i] !== prefix.charCodeAt(i)) return false;
  return true;
}

// Keeps a byte order mark inside a text as the character it is: only the reader drops one, at a file's start.
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
const encoder = new TextEncoder();

/** The text of UTF-8 bytes (a line, a whole file). Bytes that are not UTF-8 become U+FFFD, as in any text decoder. */
export function decodeUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/**
 * Lines gathered into one buffer, each followed by `\n`, and their 1-based line numbers in their file:
 * what a chunk of an import carries. The buffer is the chunk's own, so it can move to a worker thread.
 */
export class LinePack {
  #lines: Uint8Array[] = [];
  #bytes = 0;
  #numbers: number[] = [];

  get length(): number {
    return this.#lines.length;
  }

  /** Adds a line, copied into the pack's buffer when the pack is taken. */
  add(line: Uint8Array, lineNumber: number): void {
    this.#lines.push(line);
    this.#bytes += line.length + 1;
    this.#numbers.push(lineNumber);
  }

  /** The lines so far as one buffer with their numbers; the pack starts empty again. */
  take(): { bytes: Uint8Array; lineNumbers: number[] } {
    const bytes = new Uint8Array(this.#bytes);
    let at = 0;
    for (const line of this.#lines) {
      bytes.set(line, at);
      at += line.length;
      bytes[at++] = LF;
    }
    const lineNumbers = this.#numbers;
    this.#lines = [];
    this.#bytes = 0;
    this.#numbers = [];
    return { bytes, lineNumbers };
  }
}

/** Texts as a pack's bytes (lines already read, such as Provenance set aside until the end of a run). */
export function packTexts(lines: string[]): Uint8Array {
  return encoder.encode(lines.length ? lines.join('\n') + '\n' : '');
}

/** The lines of a pack's bytes, as texts. */
export function unpackTexts(bytes: Uint8Array): string[] {
  if (!bytes.length) return [];
  const lines = decoder.decode(bytes).split('\n');
  lines.pop(); // after the last line's `\n`
  return lines;
}
