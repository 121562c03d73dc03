/** `patient-access keys rotate` */
import type { Settings } from '../config/index.js';
import { KeyRing } from '../auth/keys.js';
import { AuthStore } from '../store/auth.js';
import { openStore } from '../store/index.js';

export async function runKeysRotate(settings: Settings): Promise<number> {
  const store = await openStore(settings);
  try {
    // Retired keys verify for as long as the tokens they signed can live, plus a margin.
    const keys = new KeyRing(new AuthStore(store.sql), (settings.accessTokenTtlSeconds + 300) * 1000);
    await keys.init();
    const { kid, retired } = await keys.rotate();
    process.stdout.write(`New signing key ${kid}.\n`);
    if (retired.length) {
      process.stdout.write(`Retired ${retired.join(', ')}: still verifying for ${Math.round((settings.accessTokenTtlSeconds + 300) / 60)} minutes, until the tokens it signed expire.\n`);
    }
    process.stdout.write('Running servers pick the new key up within seconds.\n');
    return 0;
  } finally {
    await store.close();
  }
}
