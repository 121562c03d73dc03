/**
 * @module server
 * Assembles the HTTP server: health endpoints and the FHIR plugin under its base path. The access
 * resolver is a required input, so no way of starting the server serves data without an access context.
 */
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { FHIR_BASE_PATH, type Settings } from './config/index.js';
import { PagingCursors } from './fhir/paging.js';
import { fhirRoutes, type AccessResolver } from './fhir/routes.js';
import { FhirService } from './fhir/service.js';
import { defaultRegistry, type SearchParameterRegistry } from './fhir/search/registry.js';
import { fhirError } from './fhir/errors.js';
import { operationOutcome } from './fhir/outcome.js';
import { FHIR_JSON, sendFhirError } from './fhir/routes.js';
import type { Store } from './store/types.js';
import { AuditStore } from './store/audit.js';
import { createAuthServer, type AuthServer } from './auth/index.js';
import { registerDeveloperRoutes } from './admin/developer-pages.js';
import { AccountsAdmin } from './admin/accounts.js';
import { registerPasswordRoutes } from './admin/password-pages.js';
import { RateLimiter, rateLimitedResolver, registerRateLimits } from './admin/rate-limit.js';
import { RateLimitStore } from './store/rate-limits.js';
import { AuditTrail, auditClaimsOf, registerFhirAudit } from './admin/audit.js';
import { registerAccountPage, type AccountPageDeps } from './admin/account-page.js';
import { accountHistory } from './admin/account-history.js';
import type { PatientSummary } from './auth/flow.js';
import { systemAccess } from './fhir/access.js';

export interface ServerOptions {
  settings: Settings;
  store: Store;
  /** Overrides the bearer-token resolver (tests of the FHIR layer pass an explicit context). */
  resolveAccess?: AccessResolver;
  /** For private_key_jwt clients' JWKS URLs (tests inject one). */
  fetch?: typeof fetch;
  demoNote?: string;
  /** Replaces parts of the /account page's wiring (tests inject its history and event sink). */
  accountPage?: Partial<Pick<AccountPageDeps, 'history' | 'onEvent' | 'lookupPatients'>>;
  registry?: SearchParameterRegistry;
  /** pino logger options or false; defaults to the settings' level. */
  logger?: boolean | Record<string, unknown>;
  /**
   * Benchmarks only: measures the audit trail's cost; the server itself always audits. False skips the
   * FHIR audit hook (default true).
   */
  auditFhir?: boolean;
}

/** Reads patients' names for the sign-in screens, through the FHIR service with the server's own access. */
function patientLookup(service: FhirService) {
  return async (ids: string[]): Promise<PatientSummary[]> => {
    const out: PatientSummary[] = [];
    for (const id of ids) {
      try {
        const p = JSON.parse((await service.read(systemAccess(), 'Patient', id)).json) as {
          name?: { text?: string; given?: string[]; family?: string }[];
          birthDate?: string;
        };
        const n = p.name?.[0];
        const name = n?.text ?? [...(n?.given ?? []), n?.family].filter(Boolean).join(' ');
        out.push({ id, name: name || `Patient ${id}`, birthDate: p.birthDate });
      } catch {
        out.push({ id, name: `Patient ${id}` });
      }
    }
    return out;
  };
}

export interface BuiltServer {
  app: FastifyInstance;
  auth: AuthServer;
  audit: AuditTrail;
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  return (await buildServerWithAuth(options)).app;
}

export async function buildServerWithAuth(options: ServerOptions): Promise<BuiltServer> {
  const { settings, store } = options;
  const registry = options.registry ?? defaultRegistry();
  const secret = await store.initSetting('paging-secret', randomBytes(32).toString('base64'));
  const service = new FhirService(store, registry, new PagingCursors(Buffer.from(secret, 'base64')), settings.fhirBaseUrl);

  const app = Fastify({
    logger:
      options.logger === false
        ? false
        : {
            level: settings.logLevel,
            // Query strings can carry codes and tokens (authorization, paging): log paths only.
            serializers: {
              req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url.split('?')[0] }),
            },
            redact: ['req.headers.authorization', 'req.headers.cookie'],
            ...(typeof options.logger === 'object' ? options.logger : {}),
          },
    bodyLimit: settings.maxBodyBytes,
    // X-Forwarded-For is believed only from the configured proxies (rate limits and audit use the address).
    trustProxy: settings.trustProxy,
    routerOptions: { maxParamLength: 200 },
    // Errors raised by the router before any route runs (an over-long path segment, a malformed URL)
    // still get the protocol's own answer.
    frameworkErrors: (error, request, reply) => {
      const e =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? fhirError('FHIR_ERR_NOT_FOUND', 'No resource has an id that long')
          : fhirError('FHIR_ERR_INVALID_BODY', 'The request URL could not be read');
      return sendFhirError(reply, e, request);
    },
    // A request line or headers past Node's limit never reach fastify: answer on the socket directly.
    clientErrorHandler: (err: NodeJS.ErrnoException, socket) => {
      if (!socket.writable) return;
      const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
      const e = tooLarge
        ? fhirError('FHIR_ERR_HEADERS_TOO_LARGE', 'The request line or headers are too large; send long searches as POST _search')
        : fhirError('FHIR_ERR_INVALID_BODY', 'The request could not be parsed as HTTP');
      const body = JSON.stringify(operationOutcome(e.issues));
      socket.end(
        `HTTP/1.1 ${e.status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nContent-Type: ${FHIR_JSON}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    },
    // Per-request lines only when debugging; errors are always logged.
    logController: new LogController({ disableRequestLogging: settings.logLevel !== 'debug' && settings.logLevel !== 'trace' }),
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    try {
      await store.ping();
      return { status: 'ok', store: store.dialect };
    } catch {
      return reply.code(503).send({ status: 'unavailable', store: store.dialect });
    }
  });

  const journal = store.auditJournal();
  if (journal) journal.onError = (err) => app.log.error({ err }, 'audit journal: records could not be moved into the table yet; they are kept and tried again');
  const audit = new AuditTrail(new AuditStore(store.sql, { journal }), { observer: settings.fhirBaseUrl });
  app.addHook('onClose', async () => audit.close());
  const auth = await createAuthServer({
    audit,
    settings,
    store,
    registry,
    practiceName: settings.practiceName,
    practiceId: settings.practiceId,
    lookupPatients: patientLookup(service),
    demoNote: options.demoNote,
    fetch: options.fetch,
  });
  await auth.register(app);
  await registerDeveloperRoutes(app, { store, authStore: auth.authStore, publicUrl: settings.publicUrl, practiceName: settings.practiceName, audit });
  const accounts = new AccountsAdmin({ store, authStore: auth.authStore, registry, publicUrl: settings.publicUrl });
  await registerPasswordRoutes(app, { accounts, practiceName: settings.practiceName, secureCookies: settings.publicUrl.startsWith('https:') });
  await registerAccountPage(app, {
    authStore: auth.authStore,
    tokens: auth.tokens,
    practiceName: settings.practiceName,
    secureCookies: settings.publicUrl.startsWith('https:'),
    csrfSecret: auth.csrfSecret,
    lookupPatients: patientLookup(service),
    history: accountHistory(audit.store),
    demoNote: options.demoNote,
    registry,
    onEvent: (e) =>
      audit.record({
        category: 'auth',
        action: e.type,
        outcome: e.type === 'sign-in-failed' ? 'failure' : 'success',
        username: e.username,
        clientId: e.clientId,
        patientId: e.patientId,
        source: e.sourceAddress,
        detail: e.grantIds?.join(' '),
      }),
    ...options.accountPage,
  });
  // Browser apps call the FHIR API from other origins with a bearer token (no cookies). Callback style,
  // not async: it runs on every request, and an async hook costs each a promise.
  app.addHook('onRequest', (request, reply, done) => {
    if (!request.url.startsWith(FHIR_BASE_PATH)) return done();
    reply.header('access-control-allow-origin', '*').header('access-control-expose-headers', 'ETag, Last-Modified, Location, Retry-After, WWW-Authenticate');
    if (request.method !== 'OPTIONS') return done();
    // Answered here: the preflight goes no further.
    reply
      .code(204)
      .header('access-control-allow-methods', 'GET, POST, OPTIONS')
      .header('access-control-allow-headers', 'Authorization, Content-Type, Prefer, Accept')
      .header('access-control-max-age', '86400')
      .send();
  });
  const limiter = new RateLimiter({
    store: new RateLimitStore(store.sql),
    limits: { api: settings.rateLimitApi, auth: settings.rateLimitAuth },
    onError: (err) => app.log.warn({ err }, 'rate-limit store unavailable; allowing requests'),
  });
  registerRateLimits(app, limiter, { fhirBasePath: FHIR_BASE_PATH, authBasePath: `/auth/realms/${settings.realm}`, practiceName: settings.practiceName });
  const resolveAccess = options.resolveAccess ?? rateLimitedResolver(auth.resolveAccess, limiter);
  // Every FHIR interaction is on the audit trail before its answer leaves (durable when acknowledged).
  if (options.auditFhir !== false) registerFhirAudit(app, audit, FHIR_BASE_PATH, auditClaimsOf);
  await app.register(fhirRoutes, { prefix: FHIR_BASE_PATH, service, resolveAccess });
  return { app, auth, audit };
}
