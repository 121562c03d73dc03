/**
 * Deterministic population cache for the benchmark: bench/.work/pop-<N>-<seed>/ holds one NDJSON file per
 * resource type plus summary.json, written last, so an interrupted generation is never mistaken for a
 * complete one.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatePopulation } from '../src/demo/generator/index.js';

export const WORK_DIR = fileURLToPath(new URL('./.work/', import.meta.url));
const GENERATOR_DIR = fileURLToPath(new URL('../src/demo/generator/', import.meta.url));

/** Hash of the generator's sources: a cached population is reused only if the generator is unchanged. */
export function generatorHash(): string {
  const h = createHash('sha256');
  for (const f of readdirSync(GENERATOR_DIR).filter((n) => n.endsWith('.ts')).sort()) {
    h.update(f).update('\0').update(readFileSync(join(GENERATOR_DIR, f))).update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

export interface PopulationSummary {
  patients: number;
  seed: number;
  resources: number;
  byType: Record<string, number>;
  files: string[];
  generatedSeconds: number;
  generatorHash: string;
}

export function populationDir(patients: number, seed: number): string {
  return join(WORK_DIR, `pop-${patients}-${seed}`);
}

/** Returns the cached population, generating it first when absent or incomplete. */
export async function ensurePopulation(
  patients: number,
  seed: number,
  log: (msg: string) => void = () => undefined,
): Promise<PopulationSummary & { cached: boolean }> {
  const dir = populationDir(patients, seed);
  const summaryFile = join(dir, 'summary.json');
  const hash = generatorHash();
  if (existsSync(summaryFile)) {
    const s = JSON.parse(readFileSync(summaryFile, 'utf8')) as PopulationSummary;
    if (s.generatorHash === hash && s.files.every((f) => existsSync(f))) return { ...s, cached: true };
    log('the cached population is from another version of the generator: regenerating');
  }
  rmSync(dir, { recursive: true, force: true });
  const started = performance.now();
  let lastLog = 0;
  const g = await generatePopulation({
    patients,
    seed,
    outDir: dir,
    onProgress: (done) => {
      const now = performance.now();
      if (now - lastLog > 5000) {
        lastLog = now;
        log(`generating: ${done}/${patients} patients`);
      }
    },
  });
  const summary: PopulationSummary = {
    patients,
    seed,
    resources: g.resources,
    byType: g.byType,
    files: g.files,
    generatedSeconds: (performance.now() - started) / 1000,
    generatorHash: hash,
  };
  writeFileSync(summaryFile, JSON.stringify(summary, null, 2));
  return { ...summary, cached: false };
}

// `node --import tsx bench/population.ts N SEED` generates (or confirms) a population on its own.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const n = Number(process.argv[2] ?? 1000);
  const seed = Number(process.argv[3] ?? 1);
  const s = await ensurePopulation(n, seed, (m) => console.error(m));
  console.log(`${s.cached ? 'cached' : 'generated'}: ${s.resources} resources for ${n} patients in ${populationDir(n, seed)}`);
}
