/**
 * @module admin/rate-limit
 * Rate limits per source address and per client (SPEC §1): `RATE_LIMIT_API` FHIR requests and
 * `RATE_LIMIT_AUTH` authorize, sign-in and token requests a minute, shared by every server process
 * through the store's `rate_limits` table. A limit of 0 turns that kind off: no counting, no store traffic.
 *
 * Counting: fixed one-minute windows (aligned to the wall clock). Each process counts hits in memory and
 * adds them to the bucket's shared row in batches of B: the request that makes a batch full waits for the
 * upsert and is refused when the returned total (every process's hits) passes the limit. A bucket has at
 * most one batch in flight; a request that would fill the next one waits for it. A timer also sends
 * whatever is pending every `syncIntervalMs` (100 ms), so other processes see it. A bucket whose known
 * total plus local hits has reached the limit is refused at once, without a store round trip.
 * B = clamp(floor(limit / 40), 1, 50): 15 for the default API limit of 600 (one upsert per 15 requests
 * per bucket), 1 for the default sign-in limit of 60 and any limit below 80 (every admitted request
 * consults the store, and the limit is exact).
 *
 * Bound on overshoot: after the last batch of a bucket whose returned total was within the limit, a
 * process admits at most B − 1 hits into its next batch and B − 1 while that batch is in flight (after
 * which it has seen the limit passed and refuses everything). So in one window the hits admitted for a
 * bucket across P processes are at most `limit + 2 × P × (B − 1)` — at most 5% over per process, and
 * none with B = 1. (As with any fixed window, a client may also spend one window's budget at its end and
 * the next window's at its start.) If the store fails, the limiter fails open and reports the error:
 * the database being down already fails the requests that need it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import { pageHeaders } from '../auth/http.js';
import { renderErrorPage } from '../auth/screens/index.js';
import type { AccessContext } from '../fhir/access.js';
import { fhirError } from '../fhir/errors.js';
import type { FhirError } from '../fhir/outcome.js';
import { sendFhirError, type AccessResolver } from '../fhir/routes.js';
import type { RateLimitStore } from '../store/rate-limits.js';

export type RateLimitKind = 'api' | 'auth';

export type RateLimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface RateLimitKeys {
  /** Source address; omit to check only the client (e.g. once the client is known). */
  ip?: string;
  clientId?: string;
}

export interface RateLimiterOptions {
  store: RateLimitStore;
  /** Requests a minute per source address and per client; 0 turns that kind off. */
  limits: { api: number; auth: number };
  now?: () => number;
  /** How often pending hits are synced to the store, in ms (default 100; 0: only in batches). */
  syncIntervalMs?: number;
  /** Hits a bucket sends to the store at a time, for a given limit (default `clamp(floor(limit / 40), 1, 50)`). */
  batchSize?: (limit: number) => number;
  /** Store errors (the limiter fails open); default: ignored. */
  onError?: (err: unknown) => void;
}

export const WINDOW_MS = 60_000;

export function defaultBatchSize(limit: number): number {
  return Math.max(1, Math.min(50, Math.floor(limit / 40)));
}

interface Bucket {
  window: number;
  /** The store's total for this window when last synced (everyone's hits). */
  known: number;
  /** Hits being written to the store right now. */
  inflight: number;
  /** Hits admitted here and not yet sent. */
  pending: number;
  /** Settles when the batch in flight has been written. */
  flushing?: Promise<void>;
}

const ALLOWED: RateLimitDecision = Object.freeze({ allowed: true });

export class RateLimiter {
  readonly limits: Readonly<{ api: number; auth: number }>;
  readonly #store: RateLimitStore;
  readonly #now: () => number;
  readonly #batch: { api: number; auth: number };
  readonly #onError: (err: unknown) => void;
  readonly #buckets = new Map<string, Bucket>();
  #window = 0;
  #timer: NodeJS.Timeout | undefined;
  #syncing: Promise<void> | undefined;
  #prunedWindow = 0;

  constructor(o: RateLimiterOptions) {
    this.limits = Object.freeze({ api: Math.max(0, o.limits.api), auth: Math.max(0, o.limits.auth) });
    this.#store = o.store;
    this.#now = o.now ?? Date.now;
    const batch = o.batchSize ?? defaultBatchSize;
    this.#batch = { api: Math.max(1, batch(this.limits.api)), auth: Math.max(1, batch(this.limits.auth)) };
    this.#onError = o.onError ?? (() => {});
    const interval = o.syncIntervalMs ?? 100;
    if (interval > 0 && (this.limits.api > 0 || this.limits.auth > 0)) {
      this.#timer = setInterval(() => void this.sync(), interval);
      this.#timer.unref();
    }
  }

  enabled(kind: RateLimitKind): boolean {
    return this.limits[kind] > 0;
  }

  /**
   * Counts one request of `kind` against the source address's and the client's buckets and says whether
   * it may proceed. A request refused locally is not counted.
   */
  async check(kind: RateLimitKind, keys: RateLimitKeys): Promise<RateLimitDecision> {
    const limit = this.limits[kind];
    if (limit <= 0 || (!keys.ip && !keys.clientId)) return ALLOWED;
    const batch = this.#batch[kind];
    const names: string[] = [];
    if (keys.ip) names.push(`${kind}:ip:${keys.ip}`);
    if (keys.clientId) names.push(`${kind}:client:${keys.clientId}`);
    for (;;) {
      const t = this.#now();
      const window = t - (t % WINDOW_MS);
      if (window !== this.#window) this.#startWindow(window);
      const buckets = names.map((n) => this.#bucket(n, window));
      if (buckets.some((b) => b.known + b.inflight + b.pending >= limit)) return refusal(t, window);
      // One batch in flight per bucket: a request that would fill the next one waits for it.
      const busy = buckets.find((b) => b.flushing && b.pending + 1 >= batch);
      if (busy) {
        await busy.flushing;
        continue;
      }
      const due: [string, Bucket][] = [];
      buckets.forEach((b, i) => {
        if (++b.pending >= batch) due.push([names[i], b]);
      });
      if (!due.length) return ALLOWED;
      const totals = await this.#flush(due);
      for (const [name] of due) if ((totals.get(name) ?? 0) > limit) return refusal(this.#now(), window);
      return ALLOWED;
    }
  }

  /** Sends every bucket's pending hits to the store (the timer calls it) and prunes old rows once a window. */
  sync(): Promise<void> {
    if (this.#syncing) return this.#syncing;
    const run = async () => {
      const t = this.#now();
      const window = t - (t % WINDOW_MS);
      if (window !== this.#window) this.#startWindow(window);
      const due: [string, Bucket][] = [];
      for (const entry of this.#buckets) if (entry[1].pending > 0 && !entry[1].flushing) due.push(entry);
      if (due.length) await this.#flush(due);
      if (this.#prunedWindow !== window && this.#buckets.size > 0) {
        this.#prunedWindow = window;
        try {
          await this.#store.prune(window - WINDOW_MS);
        } catch (err) {
          this.#onError(err);
        }
      }
    };
    this.#syncing = run().finally(() => {
      this.#syncing = undefined;
    });
    return this.#syncing;
  }

  /** Stops the timer and sends what is pending. */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.sync();
  }

  #startWindow(window: number): void {
    if (window < this.#window) return; // the clock went back: keep counting in the newer window
    this.#window = window;
    for (const [name, b] of this.#buckets) if (b.window < window) this.#buckets.delete(name);
  }

  #bucket(name: string, window: number): Bucket {
    let b = this.#buckets.get(name);
    if (!b || b.window < window) {
      b = { window, known: 0, inflight: 0, pending: 0 };
      this.#buckets.set(name, b);
    }
    return b;
  }

  /** Adds the buckets' pending hits to the store; returns the new shared totals for their windows. */
  async #flush(entries: [string, Bucket][]): Promise<Map<string, number>> {
    const sent: { name: string; b: Bucket; n: number }[] = [];
    for (const [name, b] of entries) {
      if (b.pending <= 0) continue;
      sent.push({ name, b, n: b.pending });
      b.inflight += b.pending;
      b.pending = 0;
    }
    const out = new Map<string, number>();
    if (!sent.length) return out;
    const write = this.#store.hitMany(sent.map((s) => ({ bucket: s.name, windowStart: s.b.window, count: s.n })));
    const settled = write.then(
      () => undefined,
      () => undefined,
    );
    for (const s of sent) s.b.flushing = settled;
    try {
      const totals = await write;
      for (const s of sent) {
        const total = totals.get(s.name);
        // A newer stored window means this process's clock lags: its window is over elsewhere.
        if (total && total.windowStart === s.b.window) {
          s.b.known = Math.max(s.b.known, total.count);
          out.set(s.name, total.count);
        }
      }
    } catch (err) {
      this.#onError(err);
    } finally {
      for (const s of sent) {
        s.b.inflight -= s.n;
        if (s.b.flushing === settled) s.b.flushing = undefined;
      }
    }
    return out;
  }
}

function refusal(t: number, window: number): RateLimitDecision {
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((window + WINDOW_MS - t) / 1000)) };
}

// ---- HTTP ----------------------------------------------------------------------------------------

const CLIENT_ID_RE = /^[\x21-\x7e]{1,128}$/;

/** A client id worth a bucket: printable, bounded; anything else counts per address only. */
function plausibleClientId(id: string | null | undefined): string | undefined {
  return id && CLIENT_ID_RE.test(id) ? id : undefined;
}

/** The client id of HTTP Basic client authentication (RFC 6749 §2.3.1: form-encoded), unverified. */
export function basicClientId(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header || !/^Basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i <= 0) return undefined;
  try {
    return plausibleClientId(decodeURIComponent(decoded.slice(0, i).replace(/\+/g, ' ')));
  } catch {
    return undefined;
  }
}

/** The `client_id` claim of the request's bearer token; call only after the token has been verified. */
export function bearerClientId(request: FastifyRequest): string | undefined {
  const m = /^Bearer +([^.\s]+)\.([^.\s]+)\.[^.\s]+$/.exec(request.headers.authorization ?? '');
  if (!m) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(m[2], 'base64url').toString('utf8')) as { client_id?: unknown };
    return typeof claims.client_id === 'string' ? plausibleClientId(claims.client_id) : undefined;
  } catch {
    return undefined;
  }
}

/** The FHIR error of a refused request: 429, OperationOutcome `throttled`, `Retry-After`. */
export function rateLimitedFhirError(retryAfterSeconds: number, who: 'address' | 'app'): FhirError {
  const whom = who === 'app' ? 'this app' : 'this address';
  return fhirError('FHIR_ERR_RATE_LIMITED', `Too many requests from ${whom}; try again in ${retryAfterSeconds} seconds`, {
    headers: { 'retry-after': String(retryAfterSeconds) },
  });
}

/**
 * Counts a FHIR request against its (verified) client's bucket; throws the 429 FhirError when refused.
 * For access resolvers: the FHIR routes answer a thrown FhirError in the protocol's own form.
 */
export async function checkApiClient(limiter: RateLimiter, clientId: string | undefined): Promise<void> {
  if (!clientId || !limiter.enabled('api')) return;
  const d = await limiter.check('api', { clientId });
  if (!d.allowed) throw rateLimitedFhirError(d.retryAfterSeconds, 'app');
}

/**
 * Wraps the bearer-token access resolver with the per-client API limit: the client is known only once
 * the token is verified, so this is where it is counted. The client id is the verified token's
 * `client_id` (cached per access context, which the bearer resolver caches per token). With the API
 * limit off, `resolve` is returned as it is.
 */
export function rateLimitedResolver(resolve: AccessResolver, limiter: RateLimiter): AccessResolver {
  if (!limiter.enabled('api')) return resolve;
  const clients = new WeakMap<AccessContext, string | null>();
  return async (request) => {
    const ctx = await resolve(request);
    let clientId = clients.get(ctx);
    if (clientId === undefined) {
      const own = (ctx as { clientId?: unknown }).clientId;
      clientId = (typeof own === 'string' ? plausibleClientId(own) : bearerClientId(request)) ?? null;
      clients.set(ctx, clientId);
    }
    if (clientId) await checkApiClient(limiter, clientId);
    return ctx;
  };
}

export interface RateLimitRoutesOptions {
  /** The FHIR base path, e.g. `/api/fhir/r4`. */
  fhirBasePath: string;
  /** The realm's path, e.g. `/auth/realms/patient-access`. */
  authBasePath: string;
  /** Shown in the header of the HTML 429 page. */
  practiceName?: string;
  /**
   * The client of a FHIR request when it can be known before the route runs (normally it cannot: use
   * `rateLimitedResolver` instead, which counts the client once its token is verified).
   */
  clientIdOf?: (request: FastifyRequest) => string | undefined;
}

type Surface = 'fhir' | 'oauth' | 'page';

/**
 * Adds the limits as hooks: FHIR requests (not `/metadata`, not `.well-known`, not CORS preflights)
 * count as 'api' per source address; the authorize endpoint, the sign-in / picker / consent POSTs
 * (`…/login-actions/…`) and the token, introspection and revocation endpoints count as 'auth' per
 * source address. They are not counted per client: a client id there is not yet authenticated (and a
 * public client's id is public), so counting it would let anyone exhaust an app's budget, and one
 * app's users would share one sign-in budget. Apps are limited per client on the FHIR API, where the
 * client is known from its verified token (`rateLimitedResolver`).
 * Register it before the routes it guards (hooks are inherited by plugins registered after them).
 */
export function registerRateLimits(app: FastifyInstance, limiter: RateLimiter, opts: RateLimitRoutesOptions): void {
  app.addHook('onClose', async () => limiter.close());
  if (!limiter.enabled('api') && !limiter.enabled('auth')) return;

  const fhir = opts.fhirBasePath.replace(/\/+$/, '');
  const oidc = `${opts.authBasePath}/protocol/openid-connect`;
  const authorizePath = `${oidc}/auth`;
  const loginActions = `${opts.authBasePath}/login-actions/`;
  const clientEndpoints = new Set([`${oidc}/token`, `${oidc}/token/introspect`, `${oidc}/revoke`]);

  const classify = (request: FastifyRequest): { kind: RateLimitKind; surface: Surface } | undefined => {
    if (request.method === 'OPTIONS') return undefined;
    // The matched route, so percent-encoded paths are classified as what they reach.
    const route = request.routeOptions.url;
    const path = route ?? request.url.split('?')[0];
    if (path === fhir || path.startsWith(fhir + '/')) {
      const rest = path.slice(fhir.length);
      if (rest === '/metadata' || rest.startsWith('/.well-known/')) return undefined;
      return { kind: 'api', surface: 'fhir' };
    }
    if (route === undefined) return undefined;
    if (clientEndpoints.has(route)) return { kind: 'auth', surface: 'oauth' };
    if (route === authorizePath || (request.method === 'POST' && route.startsWith(loginActions))) return { kind: 'auth', surface: 'page' };
    return undefined;
  };

  const refuse = (request: FastifyRequest, reply: FastifyReply, surface: Surface, retryAfter: number, who: 'address' | 'app') => {
    if (surface === 'fhir') {
      // Browser apps must be able to read the answer (the CORS hook may not have run).
      reply.header('access-control-allow-origin', '*').header('access-control-expose-headers', 'Retry-After, WWW-Authenticate');
      return sendFhirError(reply, rateLimitedFhirError(retryAfter, who), request);
    }
    if (surface === 'oauth') {
      return reply
        .code(429)
        .header('retry-after', String(retryAfter))
        .header('content-type', 'application/json')
        .header('cache-control', 'no-store')
        .header('pragma', 'no-cache')
        .header('access-control-allow-origin', '*')
        .send(
          JSON.stringify({
            error: 'temporarily_unavailable',
            error_description: `Too many requests from ${who === 'app' ? 'this client' : 'this address'}; try again in ${retryAfter} seconds`,
          }),
        );
    }
    const nonce = randomBytes(16).toString('base64');
    return pageHeaders(reply.code(429), nonce)
      .header('retry-after', String(retryAfter))
      .send(
        renderErrorPage({
          nonce,
          practiceName: opts.practiceName,
          title: 'Too many attempts',
          message: `There have been too many sign-in attempts from your network in the last minute. Wait ${retryAfter} seconds, then try again.`,
        }),
      );
  };

  app.addHook('onRequest', async (request, reply) => {
    const c = classify(request);
    if (!c || !limiter.enabled(c.kind)) return;
    const clientId = c.surface === 'fhir' ? opts.clientIdOf?.(request) : undefined;
    // The address first: a refused address adds nothing to a client's bucket.
    const byIp = await limiter.check(c.kind, { ip: request.ip });
    if (!byIp.allowed) return refuse(request, reply, c.surface, byIp.retryAfterSeconds, 'address');
    if (clientId) {
      const byClient = await limiter.check(c.kind, { clientId });
      if (!byClient.allowed) return refuse(request, reply, c.surface, byClient.retryAfterSeconds, 'app');
    }
  });
}
