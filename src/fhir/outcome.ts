/**
 * @module fhir/outcome
 * OperationOutcome construction and the one error class the FHIR layer throws. The HTTP status travels
 * with the error; the route's error handler turns any error into an OperationOutcome response.
 */

export type IssueType =
  | 'invalid'
  | 'structure'
  | 'required'
  | 'value'
  | 'not-supported'
  | 'not-found'
  | 'forbidden'
  | 'login'
  | 'security'
  | 'processing'
  | 'too-costly'
  | 'exception'
  | 'throttled'
  | 'informational';

export interface OutcomeIssue {
  severity: 'fatal' | 'error' | 'warning' | 'information';
  code: IssueType;
  diagnostics: string;
  expression?: string[];
}

export interface OperationOutcome {
  resourceType: 'OperationOutcome';
  issue: OutcomeIssue[];
}

export function operationOutcome(issues: OutcomeIssue[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: issues };
}

/** An error a FHIR client sees: stable `code`, HTTP `status`, and the issues of its OperationOutcome. */
export class FhirError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    readonly issues: OutcomeIssue[],
    readonly headers: Record<string, string> = {},
  ) {
    super(issues.map((i) => i.diagnostics).join('; '));
    this.name = 'FhirError';
  }

  get outcome(): OperationOutcome {
    return operationOutcome(this.issues);
  }
}
