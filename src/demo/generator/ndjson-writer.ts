/**
 * @module ndjson-writer
 * Writes resources to one `<ResourceType>.ndjson` file per type in a directory, bulk-data style
 * (one JSON resource per line, newline-terminated). Lines are batched per type and written with
 * backpressure: a full stream is awaited ('drain') before more is queued, so memory stays bounded.
 */
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { join } from 'node:path';
import type { Resource } from '@medplum/fhirtypes';

/** Bytes buffered per type before handing a chunk to the stream. */
const CHUNK = 256 * 1024;

interface TypeFile {
  readonly path: string;
  readonly stream: WriteStream;
  pending: string[];
  pendingBytes: number;
  count: number;
}

/** Streams resources into per-type NDJSON files. Not safe for concurrent `write` calls; await each. */
export class NdjsonDirectoryWriter {
  private readonly files = new Map<string, TypeFile>();
  private failure: Error | undefined;

  /** @param outDir - an existing directory; files in it are created or truncated */
  constructor(private readonly outDir: string) {}

  /** Queues resources; resolves once any stream that filled up has drained. Rejects on a write error. */
  async write(resources: readonly Resource[]): Promise<void> {
    const full: TypeFile[] = [];
    for (const resource of resources) {
      const file = this.fileFor(resource.resourceType);
      const line = JSON.stringify(resource) + '\n';
      file.pending.push(line);
      file.pendingBytes += line.length;
      file.count++;
      if (file.pendingBytes >= CHUNK && !this.flush(file)) full.push(file);
    }
    this.throwIfFailed();
    for (const file of full) {
      if (file.stream.writableNeedDrain) await once(file.stream, 'drain');
    }
    this.throwIfFailed();
  }

  /** Flushes and closes every file; returns the file paths (sorted) and the count per type. */
  async close(): Promise<{ files: string[]; byType: Record<string, number> }> {
    for (const file of this.files.values()) {
      this.flush(file);
      file.stream.end();
    }
    await Promise.all([...this.files.values()].map((f) => finished(f.stream)));
    this.throwIfFailed();
    const types = [...this.files.keys()].sort();
    const byType: Record<string, number> = {};
    for (const type of types) byType[type] = (this.files.get(type) as TypeFile).count;
    return { files: types.map((t) => (this.files.get(t) as TypeFile).path), byType };
  }

  /** Destroys all streams (after a failure elsewhere). */
  abort(): void {
    for (const file of this.files.values()) file.stream.destroy();
  }

  private fileFor(type: string): TypeFile {
    let file = this.files.get(type);
    if (!file) {
      const path = join(this.outDir, `${type}.ndjson`);
      const stream = createWriteStream(path, { flags: 'w' });
      stream.on('error', (err) => {
        this.failure ??= err;
      });
      file = { path, stream, pending: [], pendingBytes: 0, count: 0 };
      this.files.set(type, file);
    }
    return file;
  }

  /** Hands buffered lines to the stream; false when the stream asks us to wait. */
  private flush(file: TypeFile): boolean {
    if (file.pending.length === 0) return !file.stream.writableNeedDrain;
    const chunk = file.pending.join('');
    file.pending = [];
    file.pendingBytes = 0;
    return file.stream.write(chunk);
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }
}
