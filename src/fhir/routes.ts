/**
 * @module fhir/routes
 * The FHIR REST routes as one encapsulated fastify plugin: its own content types, error handler and
 * not-found handler, so every answer under the FHIR base is FHIR JSON and every error an OperationOutcome.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccessContext } from './access.js';
import { capabilityStatement } from './capability.js';
import { fhirError } from './errors.js';
import { FhirError, operationOutcome } from './outcome.js';
import type { FhirService } from './service.js';
import type { StoredResource } from '../store/types.js';

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

/** Finds the access context of a request; throws FhirError 401 when there is none. */
export type AccessResolver = (request: FastifyRequest) => Promise<AccessContext>;

export interface FhirRoutesOptions {
  service: FhirService;
  resolveAccess: AccessResolver;
}

function queryPairs(request: FastifyRequest): [string, string][] {
  const url = request.raw.url ?? '';
  const q = url.indexOf('?');
  return q < 0 ? [] : [...new URLSearchParams(url.slice(q + 1))];
}

function isLenient(request: FastifyRequest): boolean {
  const prefer = request.headers.prefer;
  return typeof prefer === 'string' && /(^|[\s,;])handling\s*=\s*lenient\b/i.test(prefer);
}

function checkAccept(request: FastifyRequest): void {
  const accept = request.headers.accept;
  if (!accept) return;
  if (!/(\*\/\*|application\/\*|application\/(fhir\+)?json|json)/i.test(accept)) {
    throw fhirError('FHIR_ERR_NOT_ACCEPTABLE', `Cannot answer in '${accept.slice(0, 100)}'; this server speaks application/fhir+json`);
  }
}

/**
 * The HTTP-date (whole seconds) of `ms`. The last one made is kept: resources written together share
 * their second, and formatting a date costs a point read about a tenth of what its database lookup does.
 */
let httpDateSecond = NaN;
let httpDateText = '';
function httpDate(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== httpDateSecond) {
    httpDateText = new Date(second * 1000).toUTCString();
    httpDateSecond = second;
  }
  return httpDateText;
}

/**
 * Sets a resource's headers and returns its text for the async handler to resolve with: fastify sends it.
 * Handlers return the body rather than `reply.send(…)`'s reply: an async function resolving with the reply
 * adopts it as a thenable, and `Reply.then` watches the response stream with `finished()` whenever the
 * answer is not out yet — on every audited request, as the audit hook holds it — listeners on each request.
 */
function resourceBody(reply: FastifyReply, r: Pick<StoredResource, 'versionId' | 'lastUpdated' | 'json'>): string {
  return fhirBody(reply.header('etag', `W/"${r.versionId}"`).header('last-modified', httpDate(r.lastUpdated)), r.json);
}

/** A FHIR JSON body for an async handler to resolve with (see `resourceBody`). */
function fhirBody(reply: FastifyReply, body: string): string {
  reply.header('content-type', FHIR_JSON);
  return body;
}

/** Maps any error to an OperationOutcome reply; a 5xx never carries internals to the client. */
export function sendFhirError(reply: FastifyReply, error: unknown, request: FastifyRequest) {
  let e: FhirError;
  if (error instanceof FhirError) e = error;
  else {
    const err = error as { statusCode?: number; code?: string; message?: string };
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') e = fhirError('FHIR_ERR_BODY_TOO_LARGE', 'The request body is larger than this server accepts');
    else if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') e = fhirError('FHIR_ERR_UNSUPPORTED_MEDIA_TYPE', 'Unsupported Content-Type; send application/x-www-form-urlencoded for _search');
    else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) e = fhirError('FHIR_ERR_INVALID_BODY', `The request could not be read: ${String(err.message).slice(0, 200)}`);
    else {
      request.log.error({ err: error }, 'unhandled error in FHIR route');
      e = fhirError('FHIR_ERR_INTERNAL', 'The server could not complete the request; it has been logged');
    }
  }
  for (const [k, v] of Object.entries(e.headers)) reply.header(k, v);
  return reply.code(e.status).header('content-type', FHIR_JSON).send(JSON.stringify(operationOutcome(e.issues)));
}

export async function fhirRoutes(app: FastifyInstance, opts: FhirRoutesOptions): Promise<void> {
  const { service, resolveAccess } = opts;
  const startedAt = new Date().toISOString();
  const metadata = JSON.stringify(capabilityStatement(service.registry, service.fhirBaseUrl, startedAt));

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.addContentTypeParser(['application/json', 'application/fhir+json'], { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(fhirError('FHIR_ERR_INVALID_BODY', 'The request body is not valid JSON'), undefined);
    }
  });

  app.setErrorHandler((error, request, reply) => sendFhirError(reply, error, request));
  app.setNotFoundHandler((request, reply) =>
    sendFhirError(reply, fhirError('FHIR_ERR_ROUTE_NOT_FOUND', `No FHIR interaction at ${request.method} ${request.url.split('?')[0].slice(0, 200)}`), request),
  );

  app.get('/metadata', async (request, reply) => {
    checkAccept(request);
    return fhirBody(reply, metadata);
  });

  app.get<{ Params: { type: string } }>('/:type', async (request, reply) => {
    checkAccept(request);
    const ctx = await resolveAccess(request);
    const body = await service.search(ctx, request.params.type, queryPairs(request), { lenient: isLenient(request) });
    return fhirBody(reply, body);
  });

  app.post<{ Params: { type: string } }>('/:type/_search', async (request, reply) => {
    checkAccept(request);
    const ctx = await resolveAccess(request);
    const type = request.params.type;
    service.assertType(type);
    if (request.body !== undefined && typeof request.body !== 'string') {
      throw fhirError('FHIR_ERR_UNSUPPORTED_MEDIA_TYPE', 'POST _search takes an application/x-www-form-urlencoded body');
    }
    // Parameters may come in the URL, the body or both (FHIR R4 §3.1.1.3).
    const params = [...queryPairs(request), ...new URLSearchParams(request.body ?? '')];
    const body = await service.search(ctx, type, params, { lenient: isLenient(request) });
    return fhirBody(reply, body);
  });

  app.get<{ Params: { type: string; id: string } }>('/:type/:id', async (request, reply) => {
    checkAccept(request);
    const ctx = await resolveAccess(request);
    return resourceBody(reply, await service.read(ctx, request.params.type, request.params.id));
  });

  app.get<{ Params: { type: string; id: string; op: string } }>('/:type/:id/:op', async (request, reply) => {
    checkAccept(request);
    const { type, id, op } = request.params;
    if (op === '$everything' && type === 'Patient') {
      const ctx = await resolveAccess(request);
      const body = await service.everything(ctx, id, queryPairs(request));
      return fhirBody(reply, body);
    }
    if (op === '_history') throw fhirError('FHIR_ERR_METHOD_NOT_ALLOWED', 'History of a resource is not offered; read a version with _history/{versionId}');
    throw fhirError('FHIR_ERR_ROUTE_NOT_FOUND', `Operation '${op.slice(0, 64)}' is not supported on ${type.slice(0, 64)}`);
  });

  app.get<{ Params: { type: string; id: string; vid: string } }>('/:type/:id/_history/:vid', async (request, reply) => {
    checkAccept(request);
    const ctx = await resolveAccess(request);
    const { type, id, vid } = request.params;
    return resourceBody(reply, await service.vread(ctx, type, id, vid));
  });

  const notOffered = async (request: FastifyRequest) => {
    throw fhirError(
      'FHIR_ERR_METHOD_NOT_ALLOWED',
      `${request.method} is not offered: this is a read-only Patient Access API`,
      { headers: { allow: 'GET' } },
    );
  };
  app.route({ method: ['POST', 'PUT', 'PATCH', 'DELETE'], url: '/:type', handler: notOffered });
  app.route({ method: ['POST', 'PUT', 'PATCH', 'DELETE'], url: '/:type/:id', handler: notOffered });
  app.route({ method: ['POST', 'PUT', 'PATCH', 'DELETE'], url: '/', handler: notOffered });
}
