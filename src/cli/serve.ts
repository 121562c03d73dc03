/** `patient-access serve`: what `npm start` runs. */
import { loadSettings, type Settings } from '../config/index.js';
import { hasDemoPractice, seedDemoPractice } from '../demo/seed.js';
import { defaultRegistry } from '../fhir/search/registry.js';
import { buildServer, noAccess } from '../server.js';
import { openStore } from '../store/index.js';

export async function serve(base: Settings, port: string | undefined): Promise<number> {
  const settings = port === undefined ? base : loadSettings(process.env, { PORT: port });
  const store = await openStore(settings);
  const registry = defaultRegistry();
  if (!settings.production && !(await hasDemoPractice(store))) {
    const counts = await seedDemoPractice(store, registry, { production: false });
    process.stdout.write(`Seeded the demo practice (${counts.created} resources).\n`);
  }
  const app = await buildServer({ settings, store, registry, resolveAccess: noAccess });
  const stop = async () => {
    await app.close();
    await store.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await app.listen({ port: settings.port, host: settings.host });
  const lines = [
    '',
    `Patient Access API${settings.production ? '' : '  — DEMO MODE (not for production)'}`,
    `  store           ${store.dialect === 'sqlite' ? settings.dataDir + '/patient-access.db' : 'PostgreSQL'}`,
    `  FHIR base       ${settings.fhirBaseUrl}`,
    `  metadata        ${settings.fhirBaseUrl}/metadata`,
    `  health          ${settings.publicUrl}/healthz, ${settings.publicUrl}/readyz`,
    '',
    '  Data requests need an access token; the SMART authorization server (sign-in, demo apps and',
    '  logins) is not part of this build yet, so FHIR reads and searches answer 401 for now.',
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  return new Promise<number>(() => undefined);
}
