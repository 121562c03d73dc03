/**
 * @module cli
 * `patient-access`: a thin layer over the parts of the system. Each command parses its arguments,
 * calls one part, prints the result; errors go to stderr with a non-zero exit status.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, loadSettings, type Settings } from '../config/index.js';

export class UsageError extends Error {
  readonly code = 'CLI_ERR_USAGE';
}

interface Command {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  allowPositionals: boolean;
  run(args: { values: Record<string, unknown>; positionals: string[] }, settings: () => Settings): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  serve: {
    summary: 'run the server (what `npm start` runs)',
    usage: 'patient-access serve [--port N]',
    options: { port: { type: 'string' } },
    allowPositionals: false,
    async run({ values }, settings) {
      const { serve } = await import('./serve.js');
      return serve(settings(), values.port as string | undefined);
    },
  },
  import: {
    summary: 'import Bundles, single resources or NDJSON (.ndjson, .ndjson.gz) files',
    usage: 'patient-access import FILE…',
    options: {},
    allowPositionals: true,
    async run({ positionals }, settings) {
      if (!positionals.length) throw new UsageError('import needs at least one FILE');
      const { runImport } = await import('./import.js');
      return runImport(settings(), positionals);
    },
  },
  generate: {
    summary: 'write a deterministic synthetic population as NDJSON',
    usage: 'patient-access generate --patients N [--seed S] --out DIR',
    options: { patients: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' } },
    allowPositionals: false,
    async run({ values }) {
      const patients = wholeNumber('--patients', values.patients, 1, 1_000_000);
      const seed = values.seed === undefined ? 1 : wholeNumber('--seed', values.seed, 0, 2 ** 31 - 1);
      if (typeof values.out !== 'string' || !values.out) throw new UsageError('generate needs --out DIR');
      const { runGenerate } = await import('./generate.js');
      return runGenerate(patients, seed, values.out);
    },
  },
  accounts: {
    summary: 'patient logins: create, link, unlink, reset-password, lock, unlock, list, show',
    usage:
      'patient-access accounts create --username NAME --patient ID [--dependent ID]… [--password-stdin] | link|unlink USERNAME PATIENT | reset-password USERNAME [--password-stdin] | lock|unlock USERNAME | list [--json] | show USERNAME [--json]',
    options: {
      username: { type: 'string' },
      patient: { type: 'string' },
      dependent: { type: 'string', multiple: true },
      'password-stdin': { type: 'boolean' },
      json: { type: 'boolean' },
    },
    allowPositionals: true,
    async run({ values, positionals }, settings) {
      const { runAccounts } = await import('./accounts.js');
      return runAccounts(settings(), positionals, values as import('./accounts.js').AccountsValues, process.stdin);
    },
  },
  audit: {
    summary: 'the audit trail: a table, --json rows, or --ndjson AuditEvents (an export)',
    usage: 'patient-access audit [--patient ID] [--client ID] [--since ISO] [--ndjson] [--json]',
    options: { patient: { type: 'string' }, client: { type: 'string' }, since: { type: 'string' }, ndjson: { type: 'boolean' }, json: { type: 'boolean' } },
    allowPositionals: false,
    async run({ values }, settings) {
      const { runAudit } = await import('./audit.js');
      return runAudit(settings(), values as { patient?: string; client?: string; since?: string; ndjson?: boolean; json?: boolean });
    },
  },
  clients: {
    summary: 'app upkeep: list, show, approve REF, reject REF, disable ID, enable ID, rotate-secret ID, set-redirects ID URL…',
    usage:
      'patient-access clients list|show ID|approve REF|reject REF [--note TEXT]|disable ID|enable ID|rotate-secret ID|set-redirects ID URL… [--json] [--pending]',
    options: { json: { type: 'boolean' }, note: { type: 'string' }, pending: { type: 'boolean' } },
    allowPositionals: true,
    async run({ values, positionals }, settings) {
      const { runClients } = await import('./clients.js');
      return runClients(settings(), positionals, values as { json?: boolean; note?: string; pending?: boolean });
    },
  },
  connect: {
    summary: 'connect an app to a SMART server: sign in in the browser, then save the tokens (0600) for fetch',
    usage:
      'patient-access connect --fhir-base URL --client-id ID [--client-secret-stdin] [--scope "S …"] [--redirect-uri URI] [--paste] [--open] [--token-file FILE] [--private-key JWK_FILE]',
    options: {
      'fhir-base': { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret-stdin': { type: 'boolean' },
      scope: { type: 'string' },
      'redirect-uri': { type: 'string' },
      paste: { type: 'boolean' },
      open: { type: 'boolean' },
      'token-file': { type: 'string' },
      'private-key': { type: 'string' },
      'authorize-endpoint': { type: 'string' },
      'token-endpoint': { type: 'string' },
    },
    allowPositionals: false,
    async run({ values }) {
      const fhirBase = values['fhir-base'];
      const clientId = values['client-id'];
      if (typeof fhirBase !== 'string' || !fhirBase) throw new UsageError('connect needs --fhir-base URL (e.g. http://localhost:8080/api/fhir/r4)');
      if (typeof clientId !== 'string' || !clientId) throw new UsageError('connect needs --client-id ID');
      const { runConnect } = await import('./connect.js');
      return runConnect({
        fhirBase,
        clientId,
        clientSecretStdin: values['client-secret-stdin'] === true,
        scope: values.scope as string | undefined,
        redirectUri: values['redirect-uri'] as string | undefined,
        paste: values.paste === true,
        open: values.open === true,
        tokenFile: values['token-file'] as string | undefined,
        privateKeyFile: values['private-key'] as string | undefined,
        authorizeEndpoint: values['authorize-endpoint'] as string | undefined,
        tokenEndpoint: values['token-endpoint'] as string | undefined,
      });
    },
  },
  fetch: {
    summary: "download the connected patient's whole record as NDJSON or a Bundle, optionally an HTML summary",
    usage: 'patient-access fetch --fhir-base URL --client-id ID (--out DIR | --bundle FILE) [--since ISO] [--html FILE] [--token-file FILE]',
    options: {
      'fhir-base': { type: 'string' },
      'client-id': { type: 'string' },
      out: { type: 'string' },
      bundle: { type: 'string' },
      since: { type: 'string' },
      html: { type: 'string' },
      'token-file': { type: 'string' },
    },
    allowPositionals: false,
    async run({ values }) {
      const fhirBase = values['fhir-base'];
      const clientId = values['client-id'];
      if (typeof fhirBase !== 'string' || !fhirBase) throw new UsageError('fetch needs --fhir-base URL (e.g. http://localhost:8080/api/fhir/r4)');
      if (typeof clientId !== 'string' || !clientId) throw new UsageError('fetch needs --client-id ID');
      const out = values.out as string | undefined;
      const bundle = values.bundle as string | undefined;
      if (!out === !bundle) throw new UsageError('fetch needs exactly one of --out DIR or --bundle FILE');
      const { runFetch } = await import('./fetch.js');
      return runFetch({
        fhirBase,
        clientId,
        out,
        bundle,
        since: values.since as string | undefined,
        html: values.html as string | undefined,
        tokenFile: values['token-file'] as string | undefined,
      });
    },
  },
  keys: {
    summary: 'keys rotate: make a new signing key; the old one keeps verifying until its tokens expire',
    usage: 'patient-access keys rotate',
    options: {},
    allowPositionals: true,
    async run({ positionals }, settings) {
      if (positionals.length !== 1 || positionals[0] !== 'rotate') throw new UsageError("the keys command takes one action: 'rotate'");
      const { runKeysRotate } = await import('./keys.js');
      return runKeysRotate(settings());
    },
  },
  demo: {
    summary: 'demo reset: recreate the demo practice',
    usage: 'patient-access demo reset',
    options: {},
    allowPositionals: true,
    async run({ positionals }, settings) {
      if (positionals.length !== 1 || positionals[0] !== 'reset') throw new UsageError("the demo command takes one action: 'reset'");
      const { runDemoReset } = await import('./demo.js');
      return runDemoReset(settings());
    },
  },
};

function wholeNumber(flag: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'string' || !/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`${flag} needs a whole number from ${min} to ${max}`);
  }
  return Number(value);
}

function help(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return [
    'Usage: patient-access <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Every command takes --help. Settings come from the environment: DATA_DIR (default ./data),',
    'DATABASE_URL (PostgreSQL instead of the embedded SQLite file), PORT, PUBLIC_URL.',
  ].join('\n');
}

/** Runs the CLI; returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help() + '\n');
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`patient-access: unknown command '${name}'\n\n${help()}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`Usage: ${command.usage}\n  ${command.summary}\n`);
    return 0;
  }
  let settings: Settings | undefined;
  const getSettings = () => (settings ??= loadSettings());
  try {
    const args = parseArgs({ args: rest, options: command.options, allowPositionals: command.allowPositionals, strict: true });
    return await command.run(args as { values: Record<string, unknown>; positionals: string[] }, getSettings);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (err instanceof UsageError || e.code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`patient-access ${name}: ${e.message}\nUsage: ${command.usage}\n`);
      return 2;
    }
    if (err instanceof ConfigError || (e.code && /^[A-Z]+_ERR_/.test(e.code))) {
      process.stderr.write(`patient-access ${name}: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`patient-access ${name}: ${e.message ?? String(err)}\n`);
    return 1;
  }
}
