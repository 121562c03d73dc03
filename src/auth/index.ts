/**
 * @module auth
 * The SMART App Launch 2 authorization server: discovery, JWKS, the browser flow, the token side, and
 * the access resolver the FHIR API uses. `createAuthServer` wires the parts; `register` adds the routes.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { FHIR_BASE_PATH, type Settings } from '../config/index.js';
import type { AccessResolver } from '../fhir/routes.js';
import type { SearchParameterRegistry } from '../fhir/search/registry.js';
import { AuthStore } from '../store/auth.js';
import type { AuditTrail } from '../admin/audit.js';
import type { Store } from '../store/types.js';
import { ClientAuthenticator } from './client-auth.js';
import { endpointsFor, openidConfiguration, smartConfiguration, type Endpoints } from './discovery.js';
import { bearerAccessResolver } from './fhir-access.js';
import { acceptFormBodies } from './http.js';
import { registerFlowRoutes, type PatientSummary } from './flow.js';
import { KeyRing } from './keys.js';
import { SMART_STYLE } from './screens/index.js';
import { registerTokenRoutes } from './token-endpoint.js';
import { TokenService } from './tokens.js';

export interface AuthServerOptions {
  /** Sign-ins, consents and token events are recorded here before they are answered. */
  audit: AuditTrail;
  settings: Settings;
  store: Store;
  registry: SearchParameterRegistry;
  practiceName: string;
  practiceId: string;
  lookupPatients(ids: string[]): Promise<PatientSummary[]>;
  demoNote?: string;
  fetch?: typeof fetch;
}

export interface AuthServer {
  authStore: AuthStore;
  /** Signs the CSRF tokens of every form the server renders. */
  csrfSecret: Buffer;
  keys: KeyRing;
  tokens: TokenService;
  endpoints: Endpoints;
  resolveAccess: AccessResolver;
  smartStyleUrl: string;
  register(app: FastifyInstance): Promise<void>;
}

const STYLE_JSON = JSON.stringify(SMART_STYLE);
const STYLE_VERSION = createHash('sha256').update(STYLE_JSON).digest('base64url').slice(0, 12);

export async function createAuthServer(o: AuthServerOptions): Promise<AuthServer> {
  const { settings, registry } = o;
  const authStore = new AuthStore(o.store.sql);
  // Retired keys keep verifying for longer than any token they signed can live.
  const keys = new KeyRing(authStore, (settings.accessTokenTtlSeconds + 300) * 1000);
  await keys.init();
  const tokens = new TokenService(keys, authStore, {
    issuer: settings.issuer,
    audience: settings.fhirBaseUrl,
    accessTokenTtlSeconds: settings.accessTokenTtlSeconds,
  });
  const endpoints = endpointsFor(settings.issuer);
  const basePath = `/auth/realms/${settings.realm}`;
  const smartStyleUrl = `${settings.publicUrl}/smart-style.json?v=${STYLE_VERSION}`;
  const csrfSecret = Buffer.from(await o.store.initSetting('csrf-secret', randomBytes(32).toString('base64')), 'base64');
  const clientAuth = new ClientAuthenticator(authStore, { fetch: o.fetch });

  return {
    authStore,
    csrfSecret,
    keys,
    tokens,
    endpoints,
    smartStyleUrl,
    resolveAccess: bearerAccessResolver(tokens, registry),
    async register(app) {
      await app.register(async (scope) => {
        acceptFormBodies(scope);
        scope.setErrorHandler((error, request, reply) => {
          const status = (error as { statusCode?: number }).statusCode;
          if (status && status >= 400 && status < 500) {
            return reply.code(status).header('cache-control', 'no-store').send({ error: 'invalid_request', error_description: 'The request could not be read' });
          }
          request.log.error({ err: error }, 'unhandled error in the authorization server');
          return reply.code(500).header('cache-control', 'no-store').send({ error: 'server_error', error_description: 'The server could not complete the request' });
        });
        scope.addHook('onSend', async (request, reply, payload) => {
          const path = request.url.split('?')[0];
          // Token, discovery and userinfo answers are read by browser apps of any origin; they carry no cookies.
          if (!path.includes('/login-actions/') && !path.endsWith('/auth')) reply.header('access-control-allow-origin', '*');
          return payload;
        });
        scope.options('/*', async (_request, reply) =>
          reply
            .code(204)
            .header('access-control-allow-origin', '*')
            .header('access-control-allow-methods', 'GET, POST, OPTIONS')
            .header('access-control-allow-headers', 'Authorization, Content-Type')
            .header('access-control-max-age', '86400')
            .send(),
        );

        const json = (body: unknown) => JSON.stringify(body);
        const smart = json(smartConfiguration(endpoints));
        const openid = json(openidConfiguration(endpoints));
        scope.get(`${FHIR_BASE_PATH}/.well-known/smart-configuration`, async (_r, reply) =>
          reply.header('content-type', 'application/json').header('cache-control', 'public, max-age=300').send(smart),
        );
        scope.get(`${basePath}/.well-known/openid-configuration`, async (_r, reply) =>
          reply.header('content-type', 'application/json').header('cache-control', 'public, max-age=300').send(openid),
        );
        scope.get(`${basePath}/protocol/openid-connect/certs`, async (_r, reply) =>
          reply.header('content-type', 'application/jwk-set+json').header('cache-control', 'public, max-age=60').send(json(await keys.jwks())),
        );
        scope.get('/smart-style.json', async (_r, reply) =>
          // The URL carries a version, so the content under one URL never changes.
          reply.header('content-type', 'application/json').header('cache-control', 'public, max-age=31536000, immutable').send(STYLE_JSON),
        );
        registerFlowRoutes(scope, {
          authStore,
          registry,
          fhirBaseUrl: settings.fhirBaseUrl,
          basePath,
          secureCookies: settings.publicUrl.startsWith('https:'),
          practiceName: o.practiceName,
          csrfSecret,
          demoNote: o.demoNote,
          lookupPatients: o.lookupPatients,
          audit: o.audit,
        });
        registerTokenRoutes(scope, {
          authStore,
          registry,
          tokens,
          clientAuth,
          basePath,
          tokenEndpointUrl: endpoints.token,
          fhirBaseUrl: settings.fhirBaseUrl,
          practiceId: o.practiceId,
          smartStyleUrl,
          offlineRefreshTtlSeconds: settings.offlineRefreshTtlSeconds,
          onlineRefreshTtlSeconds: settings.onlineRefreshTtlSeconds,
          audit: o.audit,
        });
      });
    },
  };
}
