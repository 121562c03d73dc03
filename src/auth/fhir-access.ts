/**
 * @module auth/fhir-access
 * The FHIR API's access resolver: a bearer access token becomes an access context — the token's patient,
 * the grants of its scopes, and the signed-in account's own Person (its fhirUser) readable.
 */
import type { FastifyRequest } from 'fastify';
import { patientAccess, type AccessContext, type TypeGrant } from '../fhir/access.js';
import { fhirError } from '../fhir/errors.js';
import type { AccessResolver } from '../fhir/routes.js';
import type { SearchParameterRegistry } from '../fhir/search/registry.js';
import { grantsFromScopes, parseScopes } from './scopes.js';
import { stashAuditClaims } from '../admin/audit.js';
import { TokenInvalidError, type AccessClaims, type TokenService } from './tokens.js';

const MAX_CACHED = 20_000;

function unauthorized(description: string, error?: 'invalid_token') {
  const params = error ? `, error="${error}", error_description="${description.replace(/"/g, "'")}"` : '';
  return fhirError('FHIR_ERR_UNAUTHORIZED', description, { headers: { 'www-authenticate': `Bearer realm="patient-access"${params}` } });
}

export function contextFromClaims(claims: AccessClaims, registry: SearchParameterRegistry): AccessContext {
  const grants = new Map<string, TypeGrant>(grantsFromScopes(parseScopes(claims.scope, registry).resource, registry));
  const personId = /\/Person\/([A-Za-z0-9\-.]{1,64})$/.exec(claims.fhirUser)?.[1];
  const own = personId ? [{ type: 'Person', id: personId }] : [];
  // The signed-in account's own Person is always readable: it is the fhirUser the app was told about.
  if (personId && !grants.get('Person')?.read) grants.set('Person', { ...(grants.get('Person') ?? { search: false }), read: true });
  return patientAccess([claims.patient], grants, own);
}

export function bearerAccessResolver(tokens: TokenService, registry: SearchParameterRegistry): AccessResolver {
  const contexts = new Map<string, AccessContext>();
  return async (request: FastifyRequest) => {
    const header = request.headers.authorization;
    if (!header) throw unauthorized('An access token is required: send Authorization: Bearer <token>');
    const m = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)$/.exec(header);
    if (!m) throw unauthorized('The Authorization header must be Bearer <token>', 'invalid_token');
    let claims: AccessClaims;
    try {
      claims = await tokens.verifyAccessToken(m[1]);
      stashAuditClaims(request, claims);
    } catch (err) {
      if (err instanceof TokenInvalidError) {
        // A genuine token that is revoked or expired is still attributed to its app on the audit trail.
        if (err.claims) stashAuditClaims(request, err.claims);
        throw unauthorized(err.message, 'invalid_token');
      }
      throw err;
    }
    // Keyed by the token itself: a context belongs to exactly the token it was made from.
    let ctx = contexts.get(m[1]);
    if (!ctx) {
      ctx = contextFromClaims(claims, registry);
      if (contexts.size >= MAX_CACHED) contexts.clear();
      contexts.set(m[1], ctx);
    }
    return ctx;
  };
}
