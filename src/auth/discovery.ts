/**
 * @module auth/discovery
 * The discovery documents: SMART's `.well-known/smart-configuration` at the FHIR base and OpenID
 * Connect's at the issuer, both from the same endpoint list.
 */

export const SMART_CAPABILITIES = [
  'launch-standalone',
  'client-public',
  'client-confidential-symmetric',
  'client-confidential-asymmetric',
  'sso-openid-connect',
  'context-standalone-patient',
  'context-banner',
  'context-style',
  'permission-patient',
  'permission-offline',
  'permission-online',
  'permission-v1',
  'permission-v2',
  'authorize-post',
] as const;

export const SCOPES_SUPPORTED = [
  'openid',
  'fhirUser',
  'profile',
  'launch/patient',
  'offline_access',
  'online_access',
  'patient/*.read',
  'patient/*.rs',
  'patient/*.r',
  'patient/*.s',
];

export interface Endpoints {
  issuer: string;
  authorization: string;
  token: string;
  jwks: string;
  introspection: string;
  revocation: string;
  userinfo: string;
}

export function endpointsFor(issuer: string): Endpoints {
  const p = `${issuer}/protocol/openid-connect`;
  return {
    issuer,
    authorization: `${p}/auth`,
    token: `${p}/token`,
    jwks: `${p}/certs`,
    introspection: `${p}/token/introspect`,
    revocation: `${p}/revoke`,
    userinfo: `${p}/userinfo`,
  };
}

const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'];

export function smartConfiguration(e: Endpoints): Record<string, unknown> {
  return {
    issuer: e.issuer,
    jwks_uri: e.jwks,
    authorization_endpoint: e.authorization,
    token_endpoint: e.token,
    introspection_endpoint: e.introspection,
    revocation_endpoint: e.revocation,
    userinfo_endpoint: e.userinfo,
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: AUTH_METHODS,
    token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
    scopes_supported: SCOPES_SUPPORTED,
    response_types_supported: ['code'],
    capabilities: SMART_CAPABILITIES,
  };
}

export function openidConfiguration(e: Endpoints): Record<string, unknown> {
  return {
    issuer: e.issuer,
    authorization_endpoint: e.authorization,
    token_endpoint: e.token,
    userinfo_endpoint: e.userinfo,
    jwks_uri: e.jwks,
    introspection_endpoint: e.introspection,
    revocation_endpoint: e.revocation,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    token_endpoint_auth_methods_supported: AUTH_METHODS,
    token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
    introspection_endpoint_auth_methods_supported: AUTH_METHODS,
    revocation_endpoint_auth_methods_supported: AUTH_METHODS,
    code_challenge_methods_supported: ['S256'],
    scopes_supported: SCOPES_SUPPORTED,
    claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'fhirUser', 'name', 'preferred_username'],
    request_parameter_supported: false,
  };
}
