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
