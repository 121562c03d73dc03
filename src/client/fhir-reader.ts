/**
 * @module client/fhir-reader
 * Reads a FHIR R4 API with a bearer token: follows `next` links (only on the same server, so the token
 * never leaves it), honours `Retry-After` on 429 with a bounded number of retries, refreshes the token
 * once on a 401, and reports a 403 on a type the patient did not share as a result, not a failure.
 */
import { ClientError, isNetworkError, unreachable } from './errors.js';
import type { TokenSet } from './tokens.js';

export type FhirResource = { resourceType: string; id?: string; meta?: { lastUpdated?: string; versionId?: string }; [k: string]: unknown };

export interface FhirBundle {
  resourceType: 'Bundle';
  type?: string;
  link?: { relation: string; url: string }[];
  entry?: { fullUrl?: string; resource?: FhirResource; search?: { mode?: string } }[];
}

/** The answer for one type: every resource, or "the patient did not share this type". */
export type TypeResult =
  | { status: 'ok'; type: string; resources: FhirResource[]; pages: number }
  | { status: 'not-shared'; type: string; httpStatus: 403; message: string }
  | { status: 'error'; type: string; httpStatus: number; message: string };

export type ReadResult =
  | { status: 'ok'; resource: FhirResource }
  | { status: 'not-shared'; httpStatus: 403; message: string }
  | { status: 'not-found'; httpStatus: 404 | 410; message: string }
  | { status: 'error'; httpStatus: number; message: string };

export interface FhirReaderOptions {
  fhirBase: string;
  /** A TokenSet (refreshed as needed) or a fixed access token. */
  tokens: TokenSet | string;
  fetch?: typeof fetch;
  /** Retries after a 429 or 503 (default 5). */
  maxRetries?: number;
  /** Longest single wait on Retry-After, in ms (default 60 s). */
  maxRetryWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export class FhirReader {
  readonly fhirBase: string;
  readonly #fetch: typeof fetch;
  readonly #maxRetries: number;
  readonly #maxWait: number;
  readonly #sleep: (ms: number) => Promise<void>;
  /** Requests made, and 429 waits honoured (for progress and tests). */
  requests = 0;
  retries = 0;

  constructor(private readonly o: FhirReaderOptions) {
    this.fhirBase = o.fhirBase.replace(/\/+$/, '');
    this.#fetch = o.fetch ?? fetch;
    this.#maxRetries = o.maxRetries ?? 5;
    this.#maxWait = o.maxRetryWaitMs ?? 60_000;
    this.#sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  async #token(): Promise<string> {
    return typeof this.o.tokens === 'string' ? this.o.tokens : this.o.tokens.getAccessToken();
  }

  /** GET a URL on this server (absolute, or relative to the base) with retries; returns status and JSON. */
  async get(pathOrUrl: string): Promise<{ status: number; body: unknown; headers: Headers }> {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${this.fhirBase}/${pathOrUrl.replace(/^\//, '')}`;
    if (!url.startsWith(this.fhirBase + '/') && url !== this.fhirBase) {
      throw new ClientError('FHIR_ERROR', `The server sent a link outside its FHIR base (${url}); it is not followed, so the token stays on ${this.fhirBase}.`);
    }
    let refreshed = false;
    for (let attempt = 0; ; attempt++) {
      const token = await this.#token();
      let res: Response;
      try {
        this.requests++;
        res = await this.#fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/fhir+json' } });
      } catch (err) {
        if (isNetworkError(err)) throw unreachable(url, err);
        throw err;
      }
      if ((res.status === 429 || res.status === 503) && attempt < this.#maxRetries) {
        const wait = retryAfterMs(res.headers.get('retry-after'), attempt);
        await res.body?.cancel();
        this.retries++;
        await this.#sleep(Math.min(wait, this.#maxWait));
        continue;
      }
      if (res.status === 429) {
        await res.body?.cancel();
        throw new ClientError('RATE_LIMITED', `The server still answers 429 Too Many Requests after ${this.#maxRetries} retries. Wait a minute and run again (--since makes later runs smaller).`, { status: 429 });
      }
      if (res.status === 401 && !refreshed && typeof this.o.tokens !== 'string' && this.o.tokens.refreshable) {
        await res.body?.cancel();
        refreshed = true;
        await this.o.tokens.refresh();
        continue;
      }
      const text = await res.text();
      let body: unknown = undefined;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      if (res.status === 401) {
        throw new ClientError(
          'TOKEN_EXPIRED_NOT_REFRESHABLE',
          `The FHIR server refused the access token (401: ${outcomeText(body) || 'invalid or expired token'}). Run \`patient-access connect\` again to sign in. If this happens right after connect, check --fhir-base: the token is only valid for the FHIR base it was issued for (its aud).`,
          { status: 401 },
        );
      }
      return { status: res.status, body, headers: res.headers };
    }
  }

  /** Reads one resource. */
  async read(type: string, id: string): Promise<ReadResult> {
    const { status, body } = await this.get(`${type}/${encodeURIComponent(id)}`);
    if (status === 200) return { status: 'ok', resource: body as FhirResource };
    if (status === 403) return { status: 'not-shared', httpStatus: 403, message: outcomeText(body) };
    if (status === 404 || status === 410) return { status: 'not-found', httpStatus: status, message: outcomeText(body) };
    return { status: 'error', httpStatus: status, message: outcomeText(body) || `HTTP ${status}` };
  }

  /**
   * Every resource of a search, following `next` links. Only `search.mode = match` entries are the
   * answer; included ones are returned in `included`.
   */
  async searchAll(type: string, params: Record<string, string> | URLSearchParams, onPage?: (count: number, type: string) => void): Promise<TypeResult & { included?: FhirResource[] }> {
    const qs = new URLSearchParams(params as Record<string, string>).toString();
    let next: string | undefined = `${this.fhirBase}/${type}${qs ? `?${qs}` : ''}`;
    const resources: FhirResource[] = [];
    const included: FhirResource[] = [];
    let pages = 0;
    const seenLinks = new Set<string>();
    while (next) {
      if (seenLinks.has(next)) throw new ClientError('FHIR_ERROR', `The server's next link repeats itself (${next}); stopping.`);
      seenLinks.add(next);
      const { status, body } = await this.get(next);
      if (status === 403) return { status: 'not-shared', type, httpStatus: 403, message: outcomeText(body) };
      if (status !== 200) return { status: 'error', type, httpStatus: status, message: outcomeText(body) || `HTTP ${status}` };
      const bundle = body as FhirBundle;
      pages++;
      for (const e of bundle.entry ?? []) {
        if (!e.resource) continue;
        if (e.search?.mode === 'include' || e.search?.mode === 'outcome') {
          if (e.search.mode === 'include') included.push(e.resource);
        } else resources.push(e.resource);
      }
      onPage?.(resources.length, type);
      next = bundle.link?.find((l) => l.relation === 'next')?.url;
    }
    return { status: 'ok', type, resources, pages, included };
  }
}

/** Milliseconds to wait from a `Retry-After` (seconds or an HTTP date); without one, 1, 2, 4 … s. */
export function retryAfterMs(header: string | null, attempt: number, now = Date.now()): number {
  if (header) {
    if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
    const at = Date.parse(header);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  return 1000 * 2 ** Math.min(attempt, 5);
}

/** The diagnostics of an OperationOutcome, or ''. */
export function outcomeText(body: unknown): string {
  const issues = (body as { resourceType?: string; issue?: { diagnostics?: string; details?: { text?: string } }[] })?.issue;
  if (!Array.isArray(issues)) return typeof body === 'string' ? body.slice(0, 200) : '';
  return issues.map((i) => i.diagnostics ?? i.details?.text ?? '').filter(Boolean).join('; ');
}
