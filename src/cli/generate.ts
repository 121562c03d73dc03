/** `patient-access generate --patients N [--seed S] --out DIR` */
import { generatePopulation } from '../demo/generator/index.js';
import { ProgressBar, table } from './output.js';

export async function runGenerate(patients: number, seed: number, outDir: string): Promise<number> {
  const bar = new ProgressBar();
  const started = Date.now();
  const summary = await generatePopulation({
    patients,
    seed,
    outDir,
    onProgress: (done) => bar.update('generating', done, patients, `${done}/${patients} patients`),
  });
  bar.done();
  const rows: (string | number)[][] = [['type', 'resources']];
  for (const [type, n] of Object.entries(summary.byType).sort()) rows.push([type, n]);
  process.stdout.write(table(rows) + '\n');
  process.stdout.write(
    `${summary.patients} patients, ${summary.resources} resources in ${((Date.now() - started) / 1000).toFixed(1)} s → ${outDir}\n`,
  );
  return 0;
}
