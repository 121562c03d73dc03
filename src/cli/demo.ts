/** `patient-access demo reset` */
import type { Settings } from '../config/index.js';
import { seedDemoPractice } from '../demo/seed.js';
import { defaultRegistry } from '../fhir/search/registry.js';
import { openStore } from '../store/index.js';
import { seedDemoAuth } from '../demo/auth-seed.js';

export async function runDemoReset(settings: Settings): Promise<number> {
  const store = await openStore(settings);
  try {
    const registry = defaultRegistry();
    const counts = await seedDemoPractice(store, registry, { production: settings.production });
    await seedDemoAuth({ store, registry, password: settings.demoPassword, publicUrl: settings.publicUrl });
    process.stdout.write(`Demo practice recreated: ${counts.created} created, ${counts.updated} updated, ${counts.unchanged} unchanged; demo apps and logins reset\n`);
    return 0;
  } finally {
    await store.close();
  }
}
