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

export interface ServerOptions {
  settings: Settings;
  store: Store;
  resolveAccess: AccessResolver;
  registry?: SearchParameterRegistry;
  /** pino logger options or false; defaults to the settings' level. */
  logger?: boolean | Record<string, unknown>;
}

/** Until the authorization server is in place, data requests have no way to carry an access context. */
export const noAccess: AccessResolver = async () => {
  throw fhirError('FHIR_ERR_UNAUTHORIZED', 'A valid access token is required', {
    headers: { 'www-authenticate': 'Bearer realm="patient-access"' },
  });
};

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
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
    trustProxy: true,
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

  await app.register(fhirRoutes, { prefix: FHIR_BASE_PATH, service, resolveAccess: options.resolveAccess });
  return app;
}
