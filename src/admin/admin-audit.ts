/**
 * @module admin/admin-audit
 * Administration commands leave their mark on the audit trail like every other event: who did what to
 * which client or account, and whether it worked. The CLI runs outside the server, so it writes through
 * a trail of its own on the same store.
 */
import type { Store } from '../store/types.js';
import { AuditTrail } from './audit.js';

export async function recordAdminAction(
  store: Store,
  e: { action: string; outcome: 'success' | 'failure'; clientId?: string; username?: string; patientId?: string; detail?: string },
): Promise<void> {
  const trail = new AuditTrail(store.sql, { observer: 'patient-access-cli' });
  try {
    await trail.record({ category: 'admin', source: 'cli', ...e });
  } finally {
    await trail.close();
  }
}
