/**
 * `patient-access clients …` (SPEC §8): app upkeep over the administration functions of admin/clients.
 *
 *   clients list [--pending] [--json]     registrations awaiting review, and the clients
 *   clients show ID|REF [--json]          one client (by client id) or registration (by reference)
 *   clients approve REF [--json]          issue the client; prints its id and, once, its secret
 *   clients reject REF [--note TEXT]      refuse a registration (the note is shown to the developer)
 *   clients disable ID | enable ID        cut a client off (its tokens stop at once) / let it back in
 *   clients rotate-secret ID [--json]     a new secret for a confidential client; old secret and tokens stop
 *   clients set-redirects ID URL…         replace the client's redirect URIs
 */
import type { Settings } from '../config/index.js';
import {
  AdminError,
  approveRegistration,
  clientView,
  disableClient,
  enableClient,
  listClients,
  listRegistrations,
  registrationView,
  rejectRegistration,
  rotateClientSecret,
  setClientRedirects,
  showClient,
  showRegistration,
} from '../admin/clients.js';
import { ValidationError } from '../admin/registrations.js';
import { openStore } from '../store/index.js';
import { recordAdminAction } from '../admin/admin-audit.js';
import { normalizeReference } from '../store/registrations.js';
import type { Store } from '../store/types.js';
import { UsageError } from './main.js';
import { table } from './output.js';

export const CLIENTS_USAGE = [
  'patient-access clients list [--pending] [--json]',
  '       patient-access clients show ID|REF [--json]',
  '       patient-access clients approve REF [--json]',
  '       patient-access clients reject REF [--note TEXT]',
  '       patient-access clients disable ID',
  '       patient-access clients enable ID',
  '       patient-access clients rotate-secret ID [--json]',
  '       patient-access clients set-redirects ID URL…',
].join('\n');

export const CLIENTS_SUMMARY = 'app upkeep: list, show, approve REF, reject REF, disable ID, enable ID, rotate-secret ID, set-redirects ID URL…';

export interface ClientsValues {
  json?: boolean;
  note?: string;
  pending?: boolean;
}

export interface ClientsIo {
  out?: { write(text: string): unknown };
  err?: { write(text: string): unknown };
  /** An open store to use instead of opening the one the settings choose (tests); it is not closed. */
  store?: Store;
}

const ACTIONS: Record<string, { args: string; min: number; max: number }> = {
  list: { args: '', min: 0, max: 0 },
  show: { args: 'ID|REF', min: 1, max: 1 },
  approve: { args: 'REF', min: 1, max: 1 },
  reject: { args: 'REF', min: 1, max: 1 },
  disable: { args: 'ID', min: 1, max: 1 },
  enable: { args: 'ID', min: 1, max: 1 },
  'rotate-secret': { args: 'ID', min: 1, max: 1 },
  'set-redirects': { args: 'ID URL…', min: 2, max: Infinity },
};

const iso = (ms: number | null) => (ms ? new Date(ms).toISOString().slice(0, 16).replace('T', ' ') : '-');

export async function runClients(settings: Settings, positionals: string[], values: ClientsValues = {}, io: ClientsIo = {}): Promise<number> {
  const out = io.out ?? process.stdout;
  const err = io.err ?? process.stderr;
  const [action, ...args] = positionals;
  if (!action) throw new UsageError(`clients needs an action: ${Object.keys(ACTIONS).join(', ')}`);
  const spec = ACTIONS[action];
  if (!spec) throw new UsageError(`unknown clients action '${action}'; use one of ${Object.keys(ACTIONS).join(', ')}`);
  if (args.length < spec.min || args.length > spec.max) {
    throw new UsageError(`clients ${action} takes ${spec.args ? spec.args : 'no arguments'}${args.length > spec.max ? ` (got ${args.length} arguments)` : ''}`);
  }
  if (values.note !== undefined && action !== 'reject') throw new UsageError('--note is only for clients reject');
  if (values.pending && action !== 'list') throw new UsageError('--pending is only for clients list');
  if (values.json && (action === 'reject' || action === 'disable' || action === 'enable' || action === 'set-redirects')) {
    throw new UsageError(`--json is not available for clients ${action}`);
  }

  const store = io.store ?? (await openStore(settings));
  const json = (value: unknown) => out.write(JSON.stringify(value, null, 2) + '\n');
  const mutating = ['approve', 'reject', 'disable', 'enable', 'rotate-secret', 'set-redirects'].includes(action);
  const subject = (id: string | undefined) => (id && /^REG-/i.test(id) ? { detail: `registration ${id}` } : { clientId: id });
  try {
    const code = await (async (): Promise<number> => {
      switch (action) {
        case 'list': {
          const pending = await listRegistrations(store, 'pending');
          const clients = values.pending ? [] : await listClients(store);
          if (values.json) {
            json(values.pending ? { pending_registrations: pending.map(registrationView) } : { pending_registrations: pending.map(registrationView), clients: clients.map(clientView) });
            return 0;
          }
          if (pending.length) {
            out.write(`Registrations awaiting review (${pending.length}):\n`);
            out.write(table([['REFERENCE', 'APPLICATION', 'ORGANIZATION', 'TYPE', 'CONTACT', 'SENT'], ...pending.map((r) => [r.reference, r.applicationName, r.organizationName, r.clientType, r.contactEmail, iso(r.createdAt)])]) + '\n');
            out.write('Approve with: patient-access clients approve REF   (or reject REF --note "why")\n');
          } else out.write('No registrations awaiting review.\n');
          if (!values.pending) {
            out.write('\n');
            if (clients.length) {
              out.write(`Clients (${clients.length}):\n`);
              out.write(table([['CLIENT ID', 'NAME', 'TYPE', 'STATUS', 'REDIRECT URIS'], ...clients.map((c) => [c.clientId, c.name, c.type, c.status, c.redirectUris.length])]) + '\n');
            } else out.write('No clients.\n');
          }
          return 0;
        }
        case 'show': {
          const id = args[0];
          if (normalizeReference(id) && !(await store.sql.all('SELECT 1 AS x FROM oauth_clients WHERE client_id = ?', [id])).length) {
            const r = await showRegistration(store, id);
            if (values.json) return json(registrationView(r)), 0;
            const lines: [string, string][] = [
              ['Reference', r.reference],
              ['Status', r.status],
              ['Application', r.applicationName],
              ['Organization', r.organizationName],
              ['Description', r.organizationDescription],
              ['Use case', r.useCase],
              ['Contact', r.contactEmail],
              ['Client type', r.clientType],
              ['Redirect URIs', r.redirectUris.join('\n                ')],
              ...(r.jwksUri ? [['JWKS URL', r.jwksUri] as [string, string]] : []),
              ...(r.jwks ? [['JWKS', `${(JSON.parse(r.jwks) as { keys: unknown[] }).keys.length} key(s), inline`] as [string, string]] : []),
              ['Sent', iso(r.createdAt)],
              ...(r.decidedAt ? [['Decided', iso(r.decidedAt)] as [string, string]] : []),
              ...(r.clientId ? [['Client id', r.clientId] as [string, string]] : []),
              ...(r.decisionNote ? [['Note', r.decisionNote] as [string, string]] : []),
            ];
            out.write(lines.map(([k, v]) => `${(k + ':').padEnd(15)} ${v}`).join('\n') + '\n');
            return 0;
          }
          const { client: c, registration } = await showClient(store, id);
          if (values.json) return json({ ...clientView(c), ...(registration ? { registration: registration.reference } : {}) }), 0;
          const lines: [string, string][] = [
            ['Client id', c.clientId],
            ['Name', c.name],
            ['Type', c.type],
            ['Status', c.status],
            ['Redirect URIs', c.redirectUris.join('\n                ')],
            ...(c.jwksUri ? [['JWKS URL', c.jwksUri] as [string, string]] : []),
            ...(c.jwks ? [['JWKS', 'inline'] as [string, string]] : []),
            ['Scope', c.scope],
            ['Secret', c.secretHash ? 'set (stored as a hash)' : 'none'],
            ['Tokens since', c.tokensValidAfter ? iso(c.tokensValidAfter) : 'any time'],
            ['Created', iso(c.createdAt)],
            ...(registration ? [['Registration', registration.reference] as [string, string]] : []),
          ];
          out.write(lines.map(([k, v]) => `${(k + ':').padEnd(15)} ${v}`).join('\n') + '\n');
          return 0;
        }
        case 'approve': {
          const a = await approveRegistration(store, args[0]);
          if (values.json) return json({ reference: a.registration.reference, client_id: a.clientId, ...(a.secret ? { client_secret: a.secret } : {}) }), 0;
          out.write(`Approved ${a.registration.reference} (${a.registration.applicationName}, ${a.registration.clientType}).\n`);
          out.write(`Client id:     ${a.clientId}\n`);
          if (a.secret) {
            out.write(`Client secret: ${a.secret}\n`);
            out.write('The secret is shown only this once and stored only as a hash. The developer can also see it, once, on the registration’s status page.\n');
          }
          return 0;
        }
        case 'reject': {
          const r = await rejectRegistration(store, args[0], values.note);
          out.write(`Rejected ${r.reference}${r.decisionNote ? ' with a note for the developer' : ''}.\n`);
          return 0;
        }
        case 'disable': {
          const c = await disableClient(store, args[0]);
          out.write(`Disabled ${c.clientId}: it cannot start launches or use the token endpoint, and the tokens it holds stop working now.\n`);
          return 0;
        }
        case 'enable': {
          const c = await enableClient(store, args[0]);
          out.write(`Enabled ${c.clientId}: new launches work again (tokens from before it was disabled stay invalid).\n`);
          return 0;
        }
        case 'rotate-secret': {
          const r = await rotateClientSecret(store, args[0]);
          if (values.json) return json({ client_id: r.clientId, client_secret: r.secret }), 0;
          out.write(`New secret for ${r.clientId}: ${r.secret}\n`);
          out.write('Shown only this once. The old secret is refused from now on and every token issued so far has stopped working.\n');
          return 0;
        }
        case 'set-redirects': {
          const c = await setClientRedirects(store, args[0], args.slice(1));
          out.write(`Redirect URIs of ${c.clientId}:\n${c.redirectUris.map((u) => `  ${u}`).join('\n')}\n`);
          return 0;
        }
      }
      return 2;
    })();
    if (mutating && code === 0) await recordAdminAction(store, { action: `client-${action}`, outcome: 'success', ...subject(args[0]) });
    return code;
  } catch (e) {
    if (e instanceof AdminError || e instanceof ValidationError) {
      err.write(`patient-access clients ${action}: ${e.message}\n`);
      if (mutating) await recordAdminAction(store, { action: `client-${action}`, outcome: 'failure', ...subject(args[0]), detail: e.message.slice(0, 300) });
      return 1;
    }
    throw e;
  } finally {
    if (!io.store) await store.close();
  }
}
