/**
 * @module cli/connect
 * `patient-access connect`: the SMART standalone launch as a command. Prints (and with --open, opens)
 * the authorize URL, receives the code on a loopback redirect `http://127.0.0.1:{port}/callback`
 * (RFC 8252) or lets the user paste the redirected URL (for apps registered with an https callback),
 * exchanges it, shows what was granted, and saves the tokens in a file only the user can read.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { importJWK, type JWK } from 'jose';
import { ClientError } from '../client/errors.js';
import { startLoopbackReceiver } from '../client/loopback.js';
import { SmartClient, normalizeFhirBase, type PendingAuthorization } from '../client/smart.js';
import { TokenFile, defaultTokenFile, tokensFromResponse, type SavedTokens } from '../client/tokens.js';
import { FhirReader } from '../client/fhir-reader.js';

export const DEFAULT_SCOPE = 'openid fhirUser launch/patient offline_access patient/*.rs';
const PASTE_REDIRECT = 'https://oauth.pstmn.io/v1/callback';

/** Where the commands read and write; tests pass their own. */
export interface ClientIO {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  /** Opens a URL in the user's browser (default: xdg-open / open / start). */
  openUrl?: (url: string) => void | Promise<void>;
}

export function processIO(): ClientIO {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}

export interface ConnectArgs {
  fhirBase: string;
  clientId: string;
  /** Read the client secret from the first line of stdin (confidential apps). */
  clientSecretStdin?: boolean;
  /** The client secret itself (library use; the CLI reads it from stdin so it stays out of `ps` and shell history). */
  clientSecret?: string;
  /** A private JWK (JSON file) for private_key_jwt. */
  privateKeyFile?: string;
  scope?: string;
  /** Paste the redirected URL instead of listening on a loopback port. */
  paste?: boolean;
  /** Open the authorize URL in the browser. */
  open?: boolean;
  /** A registered redirect URI; loopback ones are listened on, others imply --paste. */
  redirectUri?: string;
  tokenFile?: string;
  /** How long to wait for the browser (default 300 s). */
  timeoutSeconds?: number;
  /** Endpoints to use when the server has no SMART discovery document. */
  authorizeEndpoint?: string;
  tokenEndpoint?: string;
}

/** Lines of stdin, read on demand. */
class Lines {
  #queue: string[] = [];
  #waiters: ((line: string | undefined) => void)[] = [];
  #ended = false;
  #rl: ReturnType<typeof createInterface> | undefined;
  constructor(private readonly input: NodeJS.ReadableStream) {}
  #start() {
    if (this.#rl) return;
    this.#rl = createInterface({ input: this.input, terminal: false });
    this.#rl.on('line', (line) => {
      const w = this.#waiters.shift();
      if (w) w(line);
      else this.#queue.push(line);
    });
    this.#rl.on('close', () => {
      this.#ended = true;
      for (const w of this.#waiters.splice(0)) w(undefined);
    });
  }
  next(): Promise<string | undefined> {
    this.#start();
    if (this.#queue.length) return Promise.resolve(this.#queue.shift());
    if (this.#ended) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
  close() {
    this.#rl?.close();
  }
}

function isLoopback(uri: string): URL | undefined {
  try {
    const u = new URL(uri);
    return u.protocol === 'http:' && (u.hostname === '127.0.0.1' || u.hostname === '[::1]') ? u : undefined;
  } catch {
    return undefined;
  }
}

export async function loadPrivateKey(file: string): Promise<{ key: CryptoKey; kid?: string }> {
  let jwk: JWK;
  try {
    jwk = JSON.parse(readFileSync(file, 'utf8')) as JWK;
  } catch (err) {
    throw new ClientError('INVALID_CLIENT', `Could not read the private key ${file} (${(err as Error).message}). It must be a private JWK as JSON.`);
  }
  const alg = jwk.alg ?? (jwk.kty === 'EC' ? 'ES384' : 'RS384');
  const key = (await importJWK(jwk, alg)) as CryptoKey;
  return { key, kid: jwk.kid };
}

function defaultOpen(url: string): void {
  const [cmd, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args as string[], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    /* the URL is printed anyway */
  }
}

export function duration(seconds: number): string {
  if (seconds <= 0) return 'expired';
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} days`;
}

/** Runs `patient-access connect`; returns the exit status. Errors are printed in plain words on stderr. */
export async function runConnect(args: ConnectArgs, io: ClientIO = processIO()): Promise<number> {
  const lines = new Lines(io.stdin);
  try {
    const saved = await connect(args, io, lines);
    return saved ? 0 : 1;
  } catch (err) {
    if (err instanceof ClientError) {
      io.stderr.write(`patient-access connect: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    lines.close();
  }
}

async function connect(args: ConnectArgs, io: ClientIO, lines: Lines): Promise<SavedTokens> {
  const fhirBase = normalizeFhirBase(args.fhirBase);
  const scope = (args.scope ?? DEFAULT_SCOPE).trim().split(/\s+/).join(' ');
  let clientSecret = args.clientSecret;
  if (args.clientSecretStdin) {
    clientSecret = (await lines.next())?.trim();
    if (!clientSecret) throw new ClientError('INVALID_CLIENT', '--client-secret-stdin was given but stdin had no secret on its first line. Pipe it in, e.g. `echo "$SECRET" | patient-access connect … --client-secret-stdin`.');
  }
  const privateKey = args.privateKeyFile ? await loadPrivateKey(args.privateKeyFile) : undefined;
  const client = await SmartClient.create({
    fhirBase,
    clientId: args.clientId,
    clientSecret,
    privateKey,
    endpoints: { authorization_endpoint: args.authorizeEndpoint, token_endpoint: args.tokenEndpoint },
  });

  const loopback = args.redirectUri ? isLoopback(args.redirectUri) : undefined;
  const paste = args.paste || (args.redirectUri !== undefined && !loopback);
  const receiver = paste ? undefined : await startLoopbackReceiver({ port: loopback?.port ? Number(loopback.port) : 0, path: loopback?.pathname ?? '/callback', timeoutMs: (args.timeoutSeconds ?? 300) * 1000 });
  try {
    const redirectUri = receiver?.redirectUri ?? args.redirectUri ?? PASTE_REDIRECT;
    const pending = await client.authorizationRequest(redirectUri, scope);
    await client.preflight(pending);

    io.stdout.write(
      [
        `Connecting ${args.clientId} to ${fhirBase}`,
        `  authorization server  ${client.smart.issuer ?? new URL(client.smart.authorization_endpoint).origin}`,
        `  client authentication ${client.auth.method}`,
        `  redirect URI          ${redirectUri}`,
        `  scope                 ${scope}`,
        '',
        'Open this URL in a browser, sign in, choose the patient and press Allow:',
        '',
        `  ${pending.url.href}`,
        '',
        '',
      ].join('\n'),
    );
    if (args.open) await (io.openUrl ?? defaultOpen)(pending.url.href);

    let callbackUrl: string;
    if (receiver) {
      io.stdout.write(`Waiting for the browser to come back to ${redirectUri} …\n`);
      callbackUrl = await receiver.result;
    } else {
      io.stdout.write(
        `After Allow, the browser goes to ${redirectUri} (that page may show an error or nothing — that is fine).\n` +
          'Copy the whole address from the address bar, paste it here and press Enter:\n',
      );
      callbackUrl = await readPastedUrl(lines, args.timeoutSeconds ?? 300, io);
    }
    const response = await client.exchangeCode(pending, callbackUrl);
    const tokens = tokensFromResponse(response, { fhirBase, clientId: args.clientId, clientSecret, privateKeyFile: args.privateKeyFile });
    const file = new TokenFile(args.tokenFile ?? defaultTokenFile(io.env));
    file.save(tokens);
    await describe(io, pending, tokens, file.path);
    return tokens;
  } finally {
    await receiver?.close();
  }
}

async function readPastedUrl(lines: Lines, timeoutSeconds: number, io: ClientIO): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ClientError('TIMEOUT', `No URL was pasted within ${timeoutSeconds} s. Run connect again.`)), timeoutSeconds * 1000);
    timer.unref();
  });
  try {
    for (;;) {
      const line = await Promise.race([lines.next(), timeout]);
      if (line === undefined) throw new ClientError('AUTHORIZATION_FAILED', 'stdin ended before a redirected URL (with ?code=… or ?error=…) was pasted. Run connect again and paste the whole address from the browser.');
      const t = line.trim();
      if (/[?&](code|error)=/.test(t)) return t;
      if (t) io.stderr.write('That does not look like the redirected URL (it has no ?code= or ?error=). Paste the whole address from the browser:\n');
    }
  } finally {
    clearTimeout(timer);
  }
}

async function describe(io: ClientIO, pending: PendingAuthorization, t: SavedTokens, path: string): Promise<void> {
  const asked = new Set(pending.scope.split(' '));
  const granted = new Set(t.scope.split(' ').filter(Boolean));
  const refused = [...asked].filter((s) => !granted.has(s));
  let patientName = '';
  if (t.patient) {
    try {
      const r = await new FhirReader({ fhirBase: t.fhirBase, tokens: t.accessToken, maxRetries: 1 }).read('Patient', t.patient);
      if (r.status === 'ok') {
        const n = (r.resource.name as { given?: string[]; family?: string; text?: string }[] | undefined)?.[0];
        patientName = n ? ` (${n.text ?? [...(n.given ?? []), n.family].filter(Boolean).join(' ')})` : '';
      }
    } catch {
      /* the name is a courtesy */
    }
  }
  const now = Date.now();
  const rows = [
    'Connected.',
    `  patient         ${t.patient ?? '(none: ask for launch/patient)'}${patientName}`,
    ...(t.resource ? [`  signed in as    ${t.resource}`] : []),
    `  granted scope   ${t.scope}`,
    ...(refused.length ? [`  not granted     ${refused.join(' ')}`] : []),
    `  access token    expires in ${duration(Math.round((t.expiresAt - now) / 1000))} (${new Date(t.expiresAt).toISOString()})`,
    `  refresh token   ${t.refreshToken ? (t.refreshExpiresAt ? `expires in ${duration(Math.round((t.refreshExpiresAt - now) / 1000))} (${new Date(t.refreshExpiresAt).toISOString()})` : 'no expiry given') : 'none (ask for offline_access to stay connected)'}`,
    `  saved to        ${path} (readable only by you)`,
    '',
    'Next:',
    `  patient-access fetch --fhir-base ${t.fhirBase} --client-id ${t.clientId} --out ./my-record --html ./my-record/summary.html`,
    '',
  ];
  io.stdout.write(rows.join('\n'));
}
