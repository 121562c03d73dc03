/**
 * `patient-access accounts …` (SPEC §8): patient logins and their upkeep.
 *
 *   accounts create --username NAME --patient ID [--dependent ID]… [--password-stdin]
 *   accounts link USERNAME PATIENT
 *   accounts unlink USERNAME PATIENT
 *   accounts reset-password USERNAME [--password-stdin]
 *   accounts lock USERNAME
 *   accounts unlock USERNAME
 *   accounts list [--json]
 *   accounts show USERNAME [--json]
 *
 * A password is never a command-line argument (it would land in shell history and `ps`): it comes from
 * stdin with `--password-stdin`, or the patient sets it through the printed one-time link.
 */
import type { Writable } from 'node:stream';
import type { Settings } from '../config/index.js';
import { AccountError, AccountsAdmin, MAX_PASSWORD_LENGTH, type AccountView } from '../admin/accounts.js';
import { defaultRegistry } from '../fhir/search/registry.js';
import { openStore } from '../store/index.js';
import { recordAdminAction } from '../admin/admin-audit.js';
import type { Store } from '../store/types.js';
import { UsageError } from './main.js';
import { table } from './output.js';

export const ACCOUNTS_SUMMARY = 'patient logins: create, link, unlink, reset-password, lock, unlock, list, show';
export const ACCOUNTS_USAGE = [
  'patient-access accounts create --username NAME --patient ID [--dependent ID]… [--password-stdin]',
  '       patient-access accounts link|unlink USERNAME PATIENT',
  '       patient-access accounts reset-password USERNAME [--password-stdin]',
  '       patient-access accounts lock|unlock USERNAME',
  '       patient-access accounts list [--json]',
  '       patient-access accounts show USERNAME [--json]',
  '  Without --password-stdin, create and reset-password print a one-time set-password link.',
].join('\n');

/** The `parseArgs` options of the command (for src/cli/main.ts). */
export const ACCOUNTS_OPTIONS = {
  username: { type: 'string' },
  patient: { type: 'string' },
  dependent: { type: 'string', multiple: true },
  'password-stdin': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

export interface AccountsValues {
  username?: string;
  patient?: string;
  dependent?: string[];
  'password-stdin'?: boolean;
  json?: boolean;
}

export interface AccountsIo {
  /** An open store to use instead of opening the one the settings name (tests). It is not closed. */
  store?: Store;
  stdout?: Writable;
  stderr?: Writable;
}

const ACTIONS = ['create', 'link', 'unlink', 'reset-password', 'lock', 'unlock', 'list', 'show'] as const;
type Action = (typeof ACTIONS)[number];

/** Which options each action takes. */
const ALLOWED: Record<Action, (keyof AccountsValues)[]> = {
  create: ['username', 'patient', 'dependent', 'password-stdin'],
  link: [],
  unlink: [],
  'reset-password': ['password-stdin'],
  lock: [],
  unlock: [],
  list: ['json'],
  show: ['json'],
};
/** How many positionals (after the action) each action takes. */
const ARITY: Record<Action, string[]> = {
  create: [],
  link: ['USERNAME', 'PATIENT'],
  unlink: ['USERNAME', 'PATIENT'],
  'reset-password': ['USERNAME'],
  lock: ['USERNAME'],
  unlock: ['USERNAME'],
  list: [],
  show: ['USERNAME'],
};

const MAX_STDIN_BYTES = MAX_PASSWORD_LENGTH * 4 + 2;

/** Reads the password from stdin: everything up to the end, without one trailing newline. */
export async function readPasswordFromStdin(stdin: NodeJS.ReadableStream, stderr: Writable): Promise<string> {
  if ((stdin as { isTTY?: boolean }).isTTY) stderr.write('Type the password, press Enter, then Ctrl-D:\n');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin as AsyncIterable<Buffer | string>) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    size += buf.length;
    if (size > MAX_STDIN_BYTES) throw new AccountError('ACCOUNTS_ERR_WEAK_PASSWORD', `The password on stdin is too long: use at most ${MAX_PASSWORD_LENGTH} characters`, 'password');
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (!text) throw new AccountError('ACCOUNTS_ERR_WEAK_PASSWORD', '--password-stdin was given but stdin held no password', 'password');
  if (/[\r\n]/.test(text)) throw new AccountError('ACCOUNTS_ERR_WEAK_PASSWORD', 'The password on stdin must be a single line', 'password');
  return text;
}

function describe(a: AccountView): string {
  const dependents = a.dependents.length ? `, dependents ${a.dependents.map((d) => `Patient/${d}`).join(', ')}` : '';
  return `${a.username} (Person/${a.personId}, own patient Patient/${a.patient}${dependents})`;
}

/** Runs one `accounts` action; returns the exit status (0 done, 1 refused). Usage errors throw `UsageError`. */
const MUTATING = new Set(['create', 'link', 'unlink', 'reset-password', 'lock', 'unlock']);

/** The account an administration action is about (never a password). */
function auditedUsername(action: string, values: AccountsValues, args: string[]): string | undefined {
  return (action === 'create' ? values.username : args[0])?.slice(0, 64);
}

export async function runAccounts(
  settings: Settings,
  positionals: string[],
  values: AccountsValues,
  stdin: NodeJS.ReadableStream,
  io: AccountsIo = {},
): Promise<number> {
  const out = io.stdout ?? process.stdout;
  const err = io.stderr ?? process.stderr;
  const [actionName, ...args] = positionals;
  if (!actionName) throw new UsageError(`accounts needs an action: ${ACTIONS.join(', ')}`);
  if (!(ACTIONS as readonly string[]).includes(actionName)) throw new UsageError(`unknown accounts action '${actionName}' (one of: ${ACTIONS.join(', ')})`);
  const action = actionName as Action;
  for (const key of Object.keys(values) as (keyof AccountsValues)[]) {
    if (values[key] !== undefined && values[key] !== false && !ALLOWED[action].includes(key)) {
      throw new UsageError(`accounts ${action} does not take --${key}`);
    }
  }
  const names = ARITY[action];
  if (args.length !== names.length) {
    throw new UsageError(names.length ? `accounts ${action} takes ${names.join(' ')}` : `accounts ${action} takes no further arguments (got '${args.join(' ')}')`);
  }
  if (action === 'create') {
    if (!values.username) throw new UsageError('accounts create needs --username NAME');
    if (!values.patient) throw new UsageError('accounts create needs --patient ID (the patient the account belongs to)');
  }

  const store = io.store ?? (await openStore(settings));
  try {
    const admin = new AccountsAdmin({ store, registry: defaultRegistry(), publicUrl: settings.publicUrl });
    const password = values['password-stdin'] ? await readPasswordFromStdin(stdin, err) : undefined;
    const code = await (async (): Promise<number> => {
      switch (action) {
        case 'create': {
          const r = await admin.create({ username: values.username!, patient: values.patient!, dependents: values.dependent ?? [], password });
          out.write(`Created account ${describe(r.account)}.\n`);
          if (r.setPasswordLink) {
            out.write(`No password yet. Give the patient this one-time link to set one (works once, until ${r.setPasswordLink.expiresAt}):\n`);
            out.write(`  ${r.setPasswordLink.url}\n`);
          } else out.write('The password from stdin is set.\n');
          return 0;
        }
        case 'link': {
          const r = await admin.link(args[0], args[1]);
          out.write(`Linked Patient/${args[1]} to ${describe(r.account)}; Person/${r.person.id} is now version ${r.person.versionId}.\n`);
          return 0;
        }
        case 'unlink': {
          const r = await admin.unlink(args[0], args[1]);
          out.write(`Unlinked Patient/${args[1]} from ${describe(r.account)}; Person/${r.person.id} is now version ${r.person.versionId}.\n`);
          if (r.revokedGrants) out.write(`Revoked ${r.revokedGrants} app connection(s) for Patient/${args[1]}.\n`);
          return 0;
        }
        case 'reset-password': {
          const r = await admin.resetPassword(args[0], { password });
          if (r.setPasswordLink) {
            out.write(`Earlier set-password links for ${args[0]} no longer work. The current password keeps working until a new one is set.\n`);
            out.write(`One-time link (works once, until ${r.setPasswordLink.expiresAt}):\n  ${r.setPasswordLink.url}\n`);
          } else {
            out.write(`The password of ${args[0]} is set; failed sign-ins are cleared and its browser sessions ended. Connected apps stay connected.\n`);
          }
          return 0;
        }
        case 'lock': {
          const r = await admin.lock(args[0]);
          out.write(`${r.wasLocked ? 'Still locked' : 'Locked'}: ${args[0]} cannot sign in; ${r.revokedGrants} app connection(s) revoked.\n`);
          return 0;
        }
        case 'unlock': {
          const r = await admin.unlock(args[0]);
          out.write(`${r.wasLocked ? 'Unlocked' : 'Not locked'}: ${args[0]} can sign in; failed sign-ins cleared.\n`);
          return 0;
        }
        case 'list': {
          const list = await admin.list();
          if (values.json) out.write(JSON.stringify(list, null, 2) + '\n');
          else if (!list.length) out.write('No accounts.\n');
          else {
            const rows: (string | number)[][] = [['USERNAME', 'PERSON', 'PATIENT', 'DEPENDENTS', 'STATUS', 'PASSWORD', 'APPS']];
            for (const a of list) {
              rows.push([a.username, a.personId, a.patient, a.dependents.join(',') || '-', a.status, a.hasPassword ? 'set' : 'not set', a.activeGrants]);
            }
            out.write(table(rows) + '\n');
          }
          return 0;
        }
        case 'show': {
          const d = await admin.show(args[0]);
          if (values.json) {
            out.write(JSON.stringify(d, null, 2) + '\n');
            return 0;
          }
          const lines = [
            `username      ${d.username}`,
            `display name  ${d.displayName}`,
            `person        Person/${d.personId}${d.person ? ` (version ${d.person.versionId}, links ${d.person.links.join(', ')})` : ' (missing)'}`,
            `patient       Patient/${d.patient}`,
            `dependents    ${d.dependents.map((p) => `Patient/${p}`).join(', ') || '-'}`,
            `status        ${d.status}${d.waitUntil ? ` (sign-in waits until ${d.waitUntil})` : ''}`,
            `password      ${d.hasPassword ? 'set' : 'not set'}${d.setPasswordLinkExpiresAt ? `; a set-password link works until ${d.setPasswordLinkExpiresAt}` : ''}`,
            `failed logins ${d.failedLogins}`,
            `created       ${d.createdAt}`,
            `apps          ${d.activeGrants} connected`,
            ...d.grants.map((g) => `  ${g.clientId}  Patient/${g.patientId}  since ${g.createdAt}${g.revokedAt ? `  revoked ${g.revokedAt}` : ''}  ${g.scope}`),
          ];
          out.write(lines.join('\n') + '\n');
          return 0;
        }
        default:
          throw new UsageError(`unknown accounts action '${String(action)}'`);
      }
    })();
    if (MUTATING.has(action) && code === 0) await recordAdminAction(store, { action: `account-${action}`, outcome: 'success', username: auditedUsername(action, values, args) });
    return code;
  } catch (e) {
    if (e instanceof AccountError) {
      err.write(`patient-access accounts ${action}: ${e.message}\n`);
      if (MUTATING.has(action)) {
        await recordAdminAction(store, { action: `account-${action}`, outcome: 'failure', username: auditedUsername(action, values, args), detail: e.message.slice(0, 300) });
      }
      return 1;
    }
    throw e;
  } finally {
    if (!io.store) await store.close();
  }
}
