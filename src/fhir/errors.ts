/**
 * @module fhir/errors
 * The catalogue of FHIR API errors: each has a stable code, its HTTP status and the OperationOutcome issue
 * type. Call sites throw through these factories, never a one-off status. Codes are never reused; see
 * docs/errors.md.
 */
import { FhirError, type IssueType, type OutcomeIssue } from './outcome.js';

interface ErrorSpec {
  status: number;
  issue: IssueType;
}

export const FHIR_ERRORS = {
  FHIR_ERR_UNKNOWN_PARAMETER: { status: 400, issue: 'not-supported' },
  FHIR_ERR_INVALID_PARAMETER: { status: 400, issue: 'value' },
  FHIR_ERR_INVALID_CURSOR: { status: 400, issue: 'invalid' },
  FHIR_ERR_INVALID_BODY: { status: 400, issue: 'structure' },
  FHIR_ERR_UNAUTHORIZED: { status: 401, issue: 'login' },
  FHIR_ERR_FORBIDDEN: { status: 403, issue: 'forbidden' },
  FHIR_ERR_UNKNOWN_TYPE: { status: 404, issue: 'not-supported' },
  FHIR_ERR_NOT_FOUND: { status: 404, issue: 'not-found' },
  FHIR_ERR_ROUTE_NOT_FOUND: { status: 404, issue: 'not-found' },
  FHIR_ERR_METHOD_NOT_ALLOWED: { status: 405, issue: 'not-supported' },
  FHIR_ERR_NOT_ACCEPTABLE: { status: 406, issue: 'not-supported' },
  FHIR_ERR_BODY_TOO_LARGE: { status: 413, issue: 'too-costly' },
  FHIR_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, issue: 'not-supported' },
  FHIR_ERR_HEADERS_TOO_LARGE: { status: 431, issue: 'too-costly' },
  FHIR_ERR_RATE_LIMITED: { status: 429, issue: 'throttled' },
  FHIR_ERR_INTERNAL: { status: 500, issue: 'exception' },
  FHIR_ERR_UNAVAILABLE: { status: 503, issue: 'exception' },
} as const satisfies Record<string, ErrorSpec>;

export type FhirErrorCode = keyof typeof FHIR_ERRORS;

/** An error of the catalogue with one issue (or several, e.g. one per unknown parameter). */
export function fhirError(
  code: FhirErrorCode,
  diagnostics: string | string[],
  options: { expression?: string[]; headers?: Record<string, string> } = {},
): FhirError {
  const spec = FHIR_ERRORS[code];
  const list = Array.isArray(diagnostics) ? diagnostics : [diagnostics];
  const issues: OutcomeIssue[] = list.map((d) => ({
    severity: 'error',
    code: spec.issue,
    diagnostics: d,
    ...(options.expression ? { expression: options.expression } : {}),
  }));
  return new FhirError(code, spec.status, issues, options.headers);
}
