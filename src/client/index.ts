/**
 * @module client
 * The reference SMART App Launch 2 client: the developer walk-through as a library. Built on
 * openid-client / oauth4webapi for every protocol step.
 *
 * ```ts
 * const client = await SmartClient.create({ fhirBase, clientId, clientSecret });
 * const pending = await client.authorizationRequest(redirectUri, 'openid fhirUser launch/patient offline_access patient/*.rs');
 * // send the user to pending.url; get the URL the browser came back with
 * const tokens = new TokenSet(tokensFromResponse(await client.exchangeCode(pending, callbackUrl), { fhirBase, clientId }), client);
 * const reader = new FhirReader({ fhirBase, tokens });
 * const record = await downloadRecord(reader, tokens.patient!);
 * ```
 */
export { ClientError, type ClientErrorCode } from './errors.js';
export {
  SmartClient,
  discoverSmart,
  normalizeFhirBase,
  authenticationFor,
  type SmartConfiguration,
  type ExplicitEndpoints,
  type SmartClientOptions,
  type PendingAuthorization,
  type TokenResponse,
  type ClientAuthentication,
} from './smart.js';
export { TokenSet, TokenFile, tokensFromResponse, defaultTokenFile, tokenKey, type SavedTokens, type TokenSetOptions } from './tokens.js';
export { FhirReader, retryAfterMs, outcomeText, type FhirResource, type FhirBundle, type TypeResult, type ReadResult, type FhirReaderOptions } from './fhir-reader.js';
export {
  downloadRecord,
  referencesOf,
  mergeById,
  readNdjsonDir,
  writeNdjsonDir,
  writeBundleFile,
  readBundleFile,
  PATIENT_DATA_TYPES,
  REFERENCED_TYPES,
  type DownloadedRecord,
  type DownloadOptions,
  type TypeReport,
} from './record.js';
export { startLoopbackReceiver, type LoopbackReceiver } from './loopback.js';
export { renderHealthSummary, trendChart, type SummaryOptions } from './html-summary.js';
