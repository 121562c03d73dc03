/**
 * @module admin/audit
 * The audit trail: every FHIR interaction and every authorization or administration event becomes an R4
 * AuditEvent following IHE Basic Audit Log Patterns (BALP), written durably before the answer leaves.
 *
 * - `buildAuditEvent` makes the resource: `type`/`subtype` (BALP RESTful interaction, or a DICOM security
 *   event type), `action`, `recorded`, `outcome`, agents (the client app with its client_id, the user with
 *   the token `jti` as BALP's OAuth `policy`, the server), `source.observer`, entities (patient, query,
 *   resource read).
 * - `AuditTrail.record` is durable when it resolves. Records that arrive together are written together:
 *   all records of the same event-loop turn (and everything that arrives while a write is in flight), up
 *   to `maxBatch` at a time, go into one transaction — or, where the store keeps an audit journal
 *   (SQLite), into one append to it, which costs the event loop far less.
 * - `registerFhirAudit` is an `onSend` hook that records each FHIR interaction and holds the response
 *   until its record is durable, so no acknowledged request goes unaudited after a crash.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AuditStore, type AuditCategory, type AuditRecord } from '../store/audit.js';
import type { SqlExecutor } from '../store/types.js';

export type { AuditCategory, AuditRecord } from '../store/audit.js';

export interface AuditInput {
  category: AuditCategory;
  /**
   * What happened. FHIR: a restful-interaction code (`read`, `vread`, `search-type`, `operation`, …).
   * Authorization: `sign-in`, `sign-in-failed`, `lockout`, `sign-out`, `consent`, `token`, `refresh`,
   * `revoke`, `introspect`, `disconnect`. Administration: `registration`, `client-approve`, `client-reject`,
   * `client-disable`, `client-enable`, `client-rotate-secret`, `client-set-redirects`, `account-create`,
   * `account-link`, `account-unlink`, `account-reset-password`, `account-set-password`, `account-lock`,
   * `account-unlock`, `keys-rotate`, `demo-reset`.
   */
  action: string;
  outcome: 'success' | 'failure';
  /** HTTP status of the answer, when there is one (5xx makes a failure "serious"). */
  status?: number;
  clientId?: string;
  patientId?: string;
  username?: string;
  /** The signed-in account's Person id (its fhirUser). */
  personId?: string;
  /** The client's network address. */
  source?: string;
  /** The access token's `jti` (never the token itself). */
  tokenJti?: string;
  /** A search's query, e.g. `Observation?category=laboratory` (secrets are stripped). */
  query?: string;
  /** The resource acted on, e.g. `Observation/123` or `Observation/123/_history/2`. */
  resourceRef?: string;
  /** A short description (the reason of a failure, the scopes of a consent). Never a secret. */
  detail?: string;
}

export interface AuditEventMeta {
  id?: string;
  /** Epoch ms. */
  recorded?: number;
  /** Who observed (recorded) the event: our server, e.g. its public URL. */
  observer?: string;
}

// ---- code systems ------------------------------------------------------------------------------

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const AUDIT_EVENT_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type';
const RESTFUL_INTERACTION = 'http://hl7.org/fhir/restful-interaction';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
const SOURCE_TYPE = 'http://terminology.hl7.org/CodeSystem/security-source-type';
const BALP_AGENT_TYPES = 'https://profiles.ihe.net/ITI/BALP/CodeSystem/UserAgentTypes';
const BALP_PROFILE = 'https://profiles.ihe.net/ITI/BALP/StructureDefinition/';
const IHE_EVENT = 'urn:ihe:event-type-code';
/** Our own code system naming the action exactly, so every event says what it was in our words too. */
export const AUDIT_ACTION_SYSTEM = 'urn:patient-access:audit-action';
export const CLIENT_ID_SYSTEM = 'urn:ietf:params:oauth:client-id';

const RESTFUL = new Set([
  'read', 'vread', 'update', 'patch', 'delete', 'history', 'history-instance', 'history-type', 'history-system',
  'create', 'search', 'search-type', 'search-system', 'capabilities', 'transaction', 'batch', 'operation',
]);

const CATEGORIES: ReadonlySet<string> = new Set(['fhir', 'auth', 'admin']);

function fhirAction(action: string): 'C' | 'R' | 'U' | 'D' | 'E' {
  if (action === 'read' || action === 'vread' || action.startsWith('history') || action === 'capabilities') return 'R';
  if (action === 'create') return 'C';
  if (action === 'update' || action === 'patch') return 'U';
  if (action === 'delete') return 'D';
  return 'E'; // searches and operations: BALP Query uses Execute
}

function otherAction(action: string): 'C' | 'R' | 'U' | 'D' | 'E' {
  if (['consent', 'token', 'refresh', 'registration', 'account-create'].includes(action)) return 'C';
  if (['revoke', 'disconnect'].includes(action)) return 'D';
  if (action.startsWith('client-') || action.startsWith('account-') || action === 'keys-rotate' || action === 'demo-reset') return 'U';
  return 'E';
}

function eventType(e: AuditInput): { type: Record<string, string>; subtype: Record<string, string>[] } {
  const ours = { system: AUDIT_ACTION_SYSTEM, code: e.action };
  if (e.category === 'fhir') {
    return {
      type: { system: AUDIT_EVENT_TYPE, code: 'rest' },
      subtype: RESTFUL.has(e.action) ? [{ system: RESTFUL_INTERACTION, code: e.action }, ours] : [ours],
    };
  }
  if (e.category === 'auth') {
    const subtype: Record<string, string>[] = [];
    if (e.action.startsWith('sign-in') || e.action === 'lockout') subtype.push({ system: DCM, code: '110122' });
    if (e.action === 'sign-out') subtype.push({ system: DCM, code: '110123' });
    if (e.action === 'token' || e.action === 'refresh') subtype.push({ system: IHE_EVENT, code: 'ITI-71' });
    if (e.action === 'introspect') subtype.push({ system: IHE_EVENT, code: 'ITI-102' });
    subtype.push(ours);
    return { type: { system: DCM, code: '110114' }, subtype };
  }
  // Administration changes who may do what: apps (roles) or accounts (a user's security attributes).
  const accountish = e.action.startsWith('account-');
  return {
    type: accountish
      ? { system: DCM, code: '110137' }
      : { system: DCM, code: '110136' },
    subtype: [ours],
  };
}

// ---- secrets never go into an event -------------------------------------------------------------

const SECRET_PARAMS_ALWAYS = new Set(['access_token', 'refresh_token', 'id_token', 'client_secret', 'client_assertion', 'code_verifier', 'password', 'token', 'secret']);
const SECRET_PARAMS_OAUTH = new Set(['code', 'state', 'session_state']);
const JWT_LIKE = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;

const redact = (text: string) => (text.includes('eyJ') ? text.replace(JWT_LIKE, '[redacted]') : text);

/** Removes parameters that carry secrets from a query (`Type?a=b&…` or `a=b&…`) and redacts token-like text. */
export function sanitizeQuery(query: string, category: AuditCategory): string {
  if (!query.includes('=') && !query.includes('eyJ')) return query;
  const q = query.indexOf('?');
  const head = q < 0 ? (query.includes('=') ? '' : query) : query.slice(0, q);
  const tail = q < 0 ? (query.includes('=') ? query : '') : query.slice(q + 1);
  if (!tail) return redact(head);
  const kept = tail.split('&').filter((pair) => {
    let name = pair.split('=')[0];
    try {
      name = decodeURIComponent(name.replace(/\+/g, ' '));
    } catch {
      /* keep as is */
    }
    name = name.toLowerCase();
    return !SECRET_PARAMS_ALWAYS.has(name) && !(category !== 'fhir' && SECRET_PARAMS_OAUTH.has(name));
  });
  const rest = kept.join('&');
  return redact(head + (q >= 0 || head ? (rest ? `?${rest}` : '') : rest));
}

// ---- the AuditEvent ----------------------------------------------------------------------------

/** Builds the R4 AuditEvent (BALP) for one event. */
export function buildAuditEvent(e: AuditInput, meta: AuditEventMeta = {}): Record<string, unknown> {
  return build(e, meta, e.query ? sanitizeQuery(e.query, e.category) : undefined);
}

function build(e: AuditInput, meta: AuditEventMeta, query: string | undefined): Record<string, unknown> {
  const recorded = meta.recorded ?? Date.now();
  const observer = meta.observer ?? 'patient-access';
  const { type, subtype } = eventType(e);
  const failed = e.outcome === 'failure';
  const outcomeDesc = e.detail ? redact(e.detail).slice(0, 1000) : failed && e.status ? `HTTP ${e.status}` : undefined;

  const user = e.personId || e.username;
  const network = e.source ? { address: e.source, type: '2' } : undefined;
  const policy = e.tokenJti ? [e.tokenJti] : undefined;
  const agents: Record<string, unknown>[] = [];
  if (e.clientId || !user) {
    // The app (or, when neither app nor user is known, whoever sent the request) at its network address.
    agents.push({
      type: { coding: [{ system: DCM, code: '110153' }] },
      who: e.clientId ? { identifier: { system: CLIENT_ID_SYSTEM, value: e.clientId } } : { display: 'unidentified client' },
      requestor: !user,
      ...(!user && policy ? { policy } : {}),
      ...(network ? { network } : {}),
    });
  }
  if (user) {
    // BALP OAuth: the user agent carries the access token's id as its policy.
    agents.push({
      type: { coding: [{ system: BALP_AGENT_TYPES, code: 'UserOauthAgent' }] },
      who: e.personId ? { reference: `Person/${e.personId}` } : { identifier: { value: e.username } },
      ...(e.username ? { altId: e.username } : {}),
      requestor: true,
      ...(policy ? { policy } : {}),
      ...(!e.clientId && network ? { network } : {}),
    });
  }
  agents.push({
    type: { coding: [{ system: DCM, code: '110152' }] },
    who: { display: observer },
    requestor: false,
    network: { address: observer, type: '5' },
  });

  const entities: Record<string, unknown>[] = [];
  if (e.patientId) {
    entities.push({
      what: { reference: `Patient/${e.patientId}` },
      type: { system: ENTITY_TYPE, code: '1' },
      role: { system: OBJECT_ROLE, code: '1' },
    });
  }
  if (e.resourceRef) {
    entities.push({
      what: { reference: e.resourceRef },
      type: { system: ENTITY_TYPE, code: '2' },
      role: { system: OBJECT_ROLE, code: '4' },
    });
  }
  if (query !== undefined && query !== '') {
    entities.push({
      type: { system: ENTITY_TYPE, code: '2' },
      role: { system: OBJECT_ROLE, code: '24' },
      query: Buffer.from(query, 'utf8').toString('base64'),
    });
  }

  const profiles: string[] = [];
  if (e.category === 'fhir' && !failed) {
    const read = e.action === 'read' || e.action === 'vread';
    const search = e.action.startsWith('search');
    if (read) profiles.push(BALP_PROFILE + (e.patientId ? 'IHE.BasicAudit.PatientRead' : 'IHE.BasicAudit.Read'));
    if (search) profiles.push(BALP_PROFILE + (e.patientId ? 'IHE.BasicAudit.PatientQuery' : 'IHE.BasicAudit.Query'));
  }

  return {
    resourceType: 'AuditEvent',
    ...(meta.id ? { id: meta.id } : {}),
    ...(profiles.length ? { meta: { profile: profiles } } : {}),
    type,
    subtype,
    action: e.category === 'fhir' ? fhirAction(e.action) : otherAction(e.action),
    recorded: new Date(recorded).toISOString(),
    outcome: !failed ? '0' : (e.status ?? 0) >= 500 ? '8' : '4',
    ...(outcomeDesc ? { outcomeDesc } : {}),
    agent: agents,
    source: {
      observer: { display: observer },
      type: [{ system: SOURCE_TYPE, code: '4' }],
    },
    ...(entities.length ? { entity: entities } : {}),
  };
}

// ---- ids ---------------------------------------------------------------------------------------

const PROCESS_TAG = randomBytes(4).toString('hex');
let counter = randomBytes(3).readUIntBE(0, 3);

// A busy server records dozens of events in the same millisecond: their ids share its hex prefix.
let prefixMs = -1;
let prefix = '';
/** Time-ordered, unique across processes: 12 hex digits of ms, 8 of a per-process counter, 8 of process tag. */
function nextId(ms: number): string {
  counter = (counter + 1) % 0x1_0000_0000;
  if (ms !== prefixMs) {
    prefixMs = ms;
    prefix = ms.toString(16).padStart(12, '0');
  }
  return prefix + counter.toString(16).padStart(8, '0') + PROCESS_TAG;
}

const MAX_FIELD = 512;
function field(name: string, v: string | undefined): string | null {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string') throw new AuditInputError(`${name} must be text`);
  const clean = v.includes('\u0000') ? v.replace(/\u0000/g, '\ufffd') : v;
  return clean.length > MAX_FIELD ? clean.slice(0, MAX_FIELD) : clean;
}

export class AuditInputError extends Error {
  readonly code = 'AUDIT_ERR_INPUT';
}

/**
 * Checks an input and makes its row for `recorded` and `id`. The row keeps the event's facts in columns
 * plus a small JSON of the rest; the AuditEvent resource is built from them when it is read
 * (`auditEventOf`). Building and storing the full resource on every request cost a third of the read
 * throughput; the facts are the same either way.
 */
export function auditRecord(e: AuditInput, meta: { id: string; recorded: number; observer?: string }): AuditRecord {
  if (!e || typeof e !== 'object') throw new AuditInputError('An audit event is required');
  if (!CATEGORIES.has(e.category)) throw new AuditInputError(`category must be fhir, auth or admin, not '${String(e.category).slice(0, 40)}'`);
  if (typeof e.action !== 'string' || !(RESTFUL.has(e.action) || ACTION_RE.test(e.action))) {
    throw new AuditInputError(`action must be a lower-case code like 'read' or 'sign-in', not '${String(e.action).slice(0, 40)}'`);
  }
  if (e.outcome !== 'success' && e.outcome !== 'failure') throw new AuditInputError(`outcome must be success or failure, not '${String(e.outcome).slice(0, 40)}'`);
  if (e.status !== undefined && (!Number.isInteger(e.status) || e.status < 100 || e.status > 599)) throw new AuditInputError('status must be an HTTP status code');
  // NUL cannot be stored in PostgreSQL text; a client may send one in a query.
  const query = e.query ? sanitizeQuery(e.query, e.category).replace(/\u0000/g, '\ufffd') : undefined;
  // The StoredExtras as JSON, written out: this runs on every FHIR request, and an object made only to be
  // stringified cost it more than the text.
  let rest = `{"observer":${observerJson(meta.observer ?? 'patient-access')}`;
  if (e.status !== undefined) rest += `,"status":${e.status}`;
  if (e.personId) rest += `,"personId":${JSON.stringify(field('personId', e.personId))}`;
  if (e.resourceRef) rest += `,"resourceRef":${JSON.stringify(field('resourceRef', e.resourceRef))}`;
  if (e.detail) rest += `,"detail":${JSON.stringify(redact(String(e.detail)).replace(/\u0000/g, '\ufffd').slice(0, 1000))}`;
  return {
    id: meta.id,
    recorded: meta.recorded,
    category: e.category,
    action: e.action,
    outcome: e.outcome,
    clientId: field('clientId', e.clientId),
    patientId: field('patientId', e.patientId),
    username: field('username', e.username),
    source: field('source', e.source),
    tokenJti: field('tokenJti', e.tokenJti),
    query: query ? query.slice(0, 4000) : null,
    resource: `${rest}}`,
  };
}

const ACTION_RE = /^[a-z][a-z0-9-]{0,63}$/;

/** The observer as JSON; a trail has one, so the last one is kept. */
let lastObserver = '';
let lastObserverJson = '""';
function observerJson(observer: string): string {
  if (observer !== lastObserver) {
    lastObserverJson = JSON.stringify(observer);
    lastObserver = observer;
  }
  return lastObserverJson;
}

/** What a row keeps besides its columns. */
interface StoredExtras {
  observer: string;
  status?: number;
  personId?: string;
  resourceRef?: string;
  detail?: string;
}

/** The AuditEvent (IHE BALP) of a stored row. */
export function auditEventOf(r: AuditRecord): Record<string, unknown> {
  let rest: StoredExtras;
  try {
    rest = JSON.parse(r.resource) as StoredExtras;
  } catch {
    rest = { observer: 'patient-access' };
  }
  const input: AuditInput = {
    category: r.category,
    action: r.action,
    outcome: r.outcome,
    status: rest.status,
    clientId: r.clientId ?? undefined,
    patientId: r.patientId ?? undefined,
    username: r.username ?? undefined,
    personId: rest.personId,
    source: r.source ?? undefined,
    tokenJti: r.tokenJti ?? undefined,
    query: r.query ?? undefined,
    resourceRef: rest.resourceRef,
    detail: rest.detail,
  };
  return build(input, { id: r.id, recorded: r.recorded, observer: rest.observer }, r.query ?? undefined);
}

// ---- the trail: durable, group-committed writes ------------------------------------------------

export interface AuditTrailOptions {
  /** Who records: the server's public URL (the AuditEvent's `source.observer`). */
  observer?: string;
  /** At most this many records per transaction (default 500). */
  maxBatch?: number;
  /** How long a first record waits for company before it is written: 0 (default) = the end of this event-loop turn. */
  maxDelayMs?: number;
  now?: () => number;
}

/** Called once a record is durable (no argument) or could not be written (the error). */
export type AuditCallback = (err?: unknown) => void;

interface Pending {
  record: AuditRecord;
  done: AuditCallback;
}

/** Tells each record's caller how its write went; one caller's throw does not keep the others waiting. */
function callBack(batch: Pending[], err?: unknown): void {
  for (const p of batch) {
    try {
      p.done(err);
    } catch (thrown) {
      queueMicrotask(() => {
        throw thrown;
      });
    }
  }
}

export class AuditTrailClosedError extends Error {
  readonly code = 'AUDIT_ERR_CLOSED';
}

export class AuditTrail {
  readonly store: AuditStore;
  readonly #observer: string;
  readonly #maxBatch: number;
  readonly #maxDelayMs: number;
  readonly #now: () => number;
  #pending: Pending[] = [];
  #scheduled: NodeJS.Immediate | NodeJS.Timeout | undefined;
  #writing: Promise<void> | undefined;
  #lastRecorded = 0;
  #closed = false;
  /** Transactions written and records in them (for tests and the benchmark). */
  readonly stats = { transactions: 0, records: 0, failedTransactions: 0 };

  constructor(store: AuditStore | SqlExecutor, options: AuditTrailOptions = {}) {
    this.store = store instanceof AuditStore ? store : new AuditStore(store);
    this.#observer = options.observer ?? 'patient-access';
    this.#maxBatch = Math.max(1, Math.min(options.maxBatch ?? 500, 5000));
    this.#maxDelayMs = Math.max(0, options.maxDelayMs ?? 0);
    this.#now = options.now ?? Date.now;
  }

  /** Records one event; resolves once it is committed, rejects when it could not be written. */
  record(input: AuditInput): Promise<void> {
    return new Promise<void>((resolve, reject) => this.recordThen(input, (err) => (err === undefined ? resolve() : reject(err))));
  }

  /**
   * `record` for a caller on every request: `done` is called once the record is committed, or with the
   * error (an input error synchronously). A callback rather than a promise spares each request a promise
   * and a microtask turn.
   */
  recordThen(input: AuditInput, done: AuditCallback): void {
    if (this.#closed) return done(new AuditTrailClosedError('The audit trail is closed'));
    // Times never go backwards within a process, so `recorded, id` order is the order of recording.
    const recorded = Math.max(this.#now(), this.#lastRecorded);
    this.#lastRecorded = recorded;
    let record: AuditRecord;
    try {
      record = auditRecord(input, { id: nextId(recorded), recorded, observer: this.#observer });
    } catch (err) {
      return done(err);
    }
    this.#pending.push({ record, done });
    this.#schedule();
  }

  #schedule(): void {
    if (this.#writing) return; // the writer picks everything up when its transaction ends
    if (this.#pending.length >= this.#maxBatch) {
      this.#cancelTimer();
      this.#startWriting();
      return;
    }
    if (this.#scheduled) return;
    this.#scheduled =
      this.#maxDelayMs > 0
        ? setTimeout(() => this.#fire(), this.#maxDelayMs)
        : setImmediate(() => this.#fire());
  }

  #fire(): void {
    this.#scheduled = undefined;
    if (!this.#writing) this.#startWriting();
  }

  #cancelTimer(): void {
    if (!this.#scheduled) return;
    clearTimeout(this.#scheduled as NodeJS.Timeout);
    clearImmediate(this.#scheduled as NodeJS.Immediate);
    this.#scheduled = undefined;
  }

  #startWriting(): void {
    this.#writing = this.#drain().finally(() => {
      this.#writing = undefined;
      if (this.#pending.length) this.#schedule();
    });
  }

  async #drain(): Promise<void> {
    while (this.#pending.length) {
      const batch = this.#pending.splice(0, this.#maxBatch);
      try {
        const records = batch.map((p) => p.record);
        const journal = this.store.journal;
        if (journal) journal.append(records);
        else await this.store.append(records);
        this.stats.transactions++;
        this.stats.records += batch.length;
        callBack(batch);
      } catch (err) {
        this.stats.failedTransactions++;
        callBack(batch, err ?? new Error('The audit write failed'));
      }
    }
  }

  /** Writes everything recorded so far; resolves when it is committed. */
  async flush(): Promise<void> {
    while (this.#pending.length || this.#writing) {
      this.#cancelTimer();
      if (!this.#writing) this.#startWriting();
      await this.#writing;
    }
  }

  /** Writes what is pending and refuses further records. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }
}

// ---- the FHIR API hook -------------------------------------------------------------------------

export interface AuditClaims {
  clientId?: string;
  jti?: string;
  patient?: string;
  /** The signed-in account's Person id (the token's `sub`). */
  sub?: string;
  username?: string;
}

export interface FhirInteraction {
  action: string;
  resourceRef?: string;
  query?: string;
}

function decode(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The non-empty, percent-decoded segments of a path (this runs on every FHIR request). */
function segmentsOf(path: string): string[] {
  const segs: string[] = [];
  for (const s of path.split('/')) if (s) segs.push(decode(s));
  return segs;
}

// Module-level rather than a closure in `classifyFhirRequest`: a closure is made on every request, and
// under tsx each one also gets a `name` defined on it (about 2 µs a request in the point-read benchmark).
function withQuery(path: string, qs: string): string {
  return qs ? `${path}?${qs}` : path;
}

/**
 * What a FHIR request is, from its method and path below the base (e.g. `Observation/1/_history/2`) and
 * its query string (without `?`): the restful-interaction code, the resource read, the query searched.
 */
export function classifyFhirRequest(method: string, relativePath: string, queryString: string, body?: string): FhirInteraction {
  const segs = segmentsOf(relativePath);
  const m = method === 'HEAD' ? 'GET' : method;
  const qs = queryString && body ? `${queryString}&${body}` : queryString || body || '';
  const [type, second, third, fourth] = segs;
  if (segs.length === 0) {
    if (m === 'GET') return { action: 'search-system', query: withQuery('', qs) || undefined };
    if (m === 'POST') return { action: 'batch' };
    return { action: 'unknown' };
  }
  if (type.startsWith('$')) return { action: 'operation', query: withQuery(segs.join('/'), qs) };
  if (segs.length === 1) {
    if (m === 'GET') return { action: 'search-type', query: withQuery(type, qs) };
    if (m === 'POST') return { action: 'create' };
    return { action: m === 'PUT' ? 'update' : m === 'PATCH' ? 'patch' : m === 'DELETE' ? 'delete' : 'unknown' };
  }
  if (segs.length === 2 && second === '_search') return { action: 'search-type', query: withQuery(type, qs) };
  if (segs.length === 2 && second === '_history') return { action: 'history-type' };
  if (segs.length === 2 && second.startsWith('$')) return { action: 'operation', query: withQuery(segs.join('/'), qs) };
  const ref = `${type}/${second}`;
  if (segs.length === 2) {
    if (m === 'GET') return { action: 'read', resourceRef: ref };
    if (m === 'PUT') return { action: 'update', resourceRef: ref };
    if (m === 'PATCH') return { action: 'patch', resourceRef: ref };
    if (m === 'DELETE') return { action: 'delete', resourceRef: ref };
    return { action: 'unknown', resourceRef: ref };
  }
  if (segs.length === 3 && third === '_history') return { action: 'history-instance', resourceRef: ref };
  if (segs.length === 3 && third.startsWith('$')) return { action: 'operation', resourceRef: ref, query: withQuery(segs.join('/'), qs) };
  if (segs.length === 4 && third === '_history') return { action: 'vread', resourceRef: `${ref}/_history/${fourth}` };
  return { action: 'unknown' };
}

const AUDIT_FAILED_BODY = JSON.stringify({
  resourceType: 'OperationOutcome',
  issue: [{ severity: 'error', code: 'exception', diagnostics: 'The request could not be recorded in the audit trail, so it was not completed; try again' }],
});

/**
 * Records every request under the FHIR base (except `metadata`, `.well-known` and CORS preflights) as it
 * is answered, and holds the answer until the record is committed. When the audit write fails the client
 * gets a 500 instead of the data. `claimsOf` returns the verified token's claims the access resolver
 * stashed on the request (undefined when the request had no valid token).
 */
export function registerFhirAudit(
  app: FastifyInstance,
  trail: AuditTrail,
  fhirBasePath: string,
  claimsOf: (request: FastifyRequest) => AuditClaims | undefined,
): void {
  const base = fhirBasePath.replace(/\/+$/, '');
  // Callback style rather than async: this runs on every FHIR answer, and an async hook costs each of them
  // a promise for fastify to settle (about 1 µs of a 25 µs point read).
  app.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void) => {
    if (request.method === 'OPTIONS') return done(null, payload);
    const url = request.raw.url ?? request.url;
    const qi = url.indexOf('?');
    const path = qi < 0 ? url : url.slice(0, qi);
    if (path !== base && !path.startsWith(base + '/')) return done(null, payload);
    const relative = path.slice(base.length + 1);
    if (relative === 'metadata' || relative === '.well-known' || relative.startsWith('.well-known/')) return done(null, payload);

    let claims: AuditClaims | undefined;
    try {
      claims = claimsOf(request);
    } catch {
      claims = undefined;
    }
    const body = request.method === 'POST' && typeof request.body === 'string' && relative.endsWith('/_search') ? request.body : undefined;
    const interaction = classifyFhirRequest(request.method, relative, qi < 0 ? '' : url.slice(qi + 1), body);
    const status = reply.statusCode;
    trail.recordThen(
      {
        category: 'fhir',
        action: interaction.action,
        outcome: status < 400 ? 'success' : 'failure',
        status,
        clientId: claims?.clientId,
        patientId: claims?.patient,
        personId: claims?.sub,
        username: claims?.username,
        tokenJti: claims?.jti,
        source: request.ip,
        query: interaction.query,
        resourceRef: interaction.resourceRef,
      },
      (err) => {
        if (err === undefined) return done(null, payload);
        request.log.error({ err }, 'audit write failed; the answer is withheld');
        for (const h of ['etag', 'last-modified', 'location', 'content-length']) reply.removeHeader(h);
        reply.code(500).header('content-type', 'application/fhir+json; charset=utf-8');
        done(null, AUDIT_FAILED_BODY);
      },
    );
  });
}

// ---- handing the verified claims from the access resolver to the hook ----------------------------

const CLAIMS = Symbol.for('patient-access.audit-claims');

/**
 * Keeps a request's verified access-token claims for the audit hook. The access resolver calls this
 * right after the token verifies (it has `client_id`, `jti`, `patient`, `sub`).
 */
export function stashAuditClaims(
  request: FastifyRequest,
  claims: { client_id?: string; jti?: string; patient?: string; sub?: string } | AuditClaims,
): void {
  const c = claims as Record<string, string | undefined>;
  const value: AuditClaims = {
    clientId: c.client_id ?? c.clientId,
    jti: c.jti,
    patient: c.patient,
    sub: c.sub,
    username: c.username,
  };
  (request as unknown as Record<symbol, AuditClaims>)[CLAIMS] = value;
}

/** The claims `stashAuditClaims` kept for this request, if any: the default `claimsOf` of `registerFhirAudit`. */
export function auditClaimsOf(request: FastifyRequest): AuditClaims | undefined {
  return (request as unknown as Record<symbol, AuditClaims | undefined>)[CLAIMS];
}
