/**
 * Rate limits (SPEC §1) on each store: the shared counter, the limiter (per address, per client, window
 * reset, 0 turns a kind off, two processes sharing one store within the documented overshoot), and over
 * real HTTP the 429 answers in each protocol's own form — FHIR OperationOutcome, OAuth JSON, HTML page —
 * with `Retry-After`, requests under the limit unaffected. Source addresses vary through
 * X-Forwarded-For (the server trusts its proxy).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sqliteFixture, storeKinds, type StoreFixture } from '../helpers/stores.js';
import { DEMO_PASSWORD, freePort, obtainTokens, startAuthServer, type AuthTestServer } from '../helpers/auth-server.js';
import { loadSettings, FHIR_BASE_PATH } from '../../src/config/index.js';
import { seedDemoAuth, DEMO_CLIENTS } from '../../src/demo/auth-seed.js';
import { seedDemoPractice } from '../../src/demo/seed.js';
import { defaultRegistry } from '../../src/fhir/search/registry.js';
import type { AccessResolver } from '../../src/fhir/routes.js';
import { buildServerWithAuth } from '../../src/server.js';
import { RateLimitStore } from '../../src/store/rate-limits.js';
import { defaultBatchSize, RateLimiter, rateLimitedResolver, registerRateLimits, WINDOW_MS } from '../../src/admin/rate-limit.js';

/** A window start, and a clock 10 s into it. */
const T0 = Date.UTC(2030, 0, 1, 0, 0, 0);

class Clock {
  t = T0 + 10_000;
  now = () => this.t;
}

interface LimitedServer extends AuthTestServer {
  limiter: RateLimiter;
  clock: Clock;
}

/** The whole server as src/server.ts builds it, with the limiter wired in the way the lead will. */
async function startLimitedServer(fx: StoreFixture, env: Record<string, string>): Promise<LimitedServer> {
  const port = await freePort();
  const wanted = loadSettings({ PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'silent', DEMO_PASSWORD, ...env } as NodeJS.ProcessEnv);
  // The server's own limiter is off: the test's limiter, on a clock the tests move, is the one under test.
  const settings = loadSettings({ PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'silent', DEMO_PASSWORD, ...env, RATE_LIMIT_API: '0', RATE_LIMIT_AUTH: '0' } as NodeJS.ProcessEnv);
  const registry = defaultRegistry();
  await seedDemoPractice(fx.store, registry, { production: false });
  await seedDemoAuth({ store: fx.store, password: DEMO_PASSWORD });
  const clock = new Clock();
  const limiter = new RateLimiter({
    store: new RateLimitStore(fx.store.sql),
    limits: { api: wanted.rateLimitApi, auth: wanted.rateLimitAuth },
    now: clock.now,
  });
  let resolve: AccessResolver | undefined;
  const built = await buildServerWithAuth({ settings, store: fx.store, logger: false, resolveAccess: (r) => resolve!(r) });
  resolve = rateLimitedResolver(built.auth.resolveAccess, limiter);
  registerRateLimits(built.app, limiter, { fhirBasePath: FHIR_BASE_PATH, authBasePath: `/auth/realms/${settings.realm}`, practiceName: settings.practiceName });
  await built.app.listen({ port, host: '127.0.0.1' });
  return {
    ...built,
    settings,
    limiter,
    clock,
    baseUrl: settings.publicUrl,
    fhirBase: settings.fhirBaseUrl,
    issuer: settings.issuer,
    tokenUrl: `${settings.issuer}/protocol/openid-connect/token`,
    close: () => built.app.close(),
  };
}

const BASIC = 'Basic ' + Buffer.from(`${DEMO_CLIENTS.confidential.clientId}:${DEMO_CLIENTS.confidential.secret}`).toString('base64');

async function rows(fx: StoreFixture, like: string): Promise<{ bucket: string; count: number }[]> {
  const r = await fx.store.sql.all<{ bucket: string; count: unknown }>('SELECT bucket, count FROM rate_limits WHERE bucket LIKE ? ORDER BY bucket', [like]);
  return r.map((x) => ({ bucket: x.bucket, count: Number(x.count) }));
}

for (const kind of storeKinds()) {
  describe(`rate limits: store and limiter (${kind.name})`, { skip: kind.skip }, () => {
    let fx: StoreFixture;
    let store: RateLimitStore;
    const limiters: RateLimiter[] = [];
    const limiter = (o: Partial<ConstructorParameters<typeof RateLimiter>[0]> & { limits: { api: number; auth: number } }) => {
      const l = new RateLimiter({ store, syncIntervalMs: 0, ...o });
      limiters.push(l);
      return l;
    };
    before(async () => {
      fx = await kind.create();
      store = new RateLimitStore(fx.store.sql);
    });
    after(async () => {
      for (const l of limiters) await l.close();
      await fx?.cleanup();
    });

    test('the shared counter adds within a window, restarts in a newer one, ignores an older one, prunes', async () => {
      assert.equal(await store.hit('t:a', T0, 2), 2);
      assert.equal(await store.hit('t:a', T0, 3), 5);
      assert.equal(await store.hit('t:a', T0 + WINDOW_MS, 1), 1);
      // A late batch for the finished window does not reset the current one.
      assert.equal(await store.hit('t:a', T0, 7), 0);
      assert.equal(await store.total('t:a', T0 + WINDOW_MS), 1);
      const many = await store.hitMany([
        { bucket: 't:a', windowStart: T0 + WINDOW_MS, count: 4 },
        { bucket: 't:b', windowStart: T0 + WINDOW_MS, count: 1 },
      ]);
      assert.deepEqual(Object.fromEntries(many), {
        't:a': { windowStart: T0 + WINDOW_MS, count: 5 },
        't:b': { windowStart: T0 + WINDOW_MS, count: 1 },
      });
      await store.hit('t:old', T0 - WINDOW_MS, 1);
      assert.equal(await store.prune(T0), 1);
      assert.deepEqual((await rows(fx, 't:%')).map((r) => r.bucket), ['t:a', 't:b']);
    });

    test('per source address and per client, refused with the seconds left in the window', async () => {
      const clock = new Clock();
      const l = limiter({ limits: { api: 5, auth: 3 }, now: clock.now });
      for (let i = 0; i < 5; i++) assert.deepEqual(await l.check('api', { ip: '10.1.0.1' }), { allowed: true });
      assert.deepEqual(await l.check('api', { ip: '10.1.0.1' }), { allowed: false, retryAfterSeconds: 50 });
      // Another address, and the same address for the other kind, have their own budgets.
      assert.equal((await l.check('api', { ip: '10.1.0.2' })).allowed, true);
      for (let i = 0; i < 3; i++) assert.equal((await l.check('auth', { ip: '10.1.0.1' })).allowed, true);
      assert.equal((await l.check('auth', { ip: '10.1.0.1' })).allowed, false);
      // A client is limited across addresses.
      for (let i = 0; i < 5; i++) assert.equal((await l.check('api', { ip: `10.1.1.${i}`, clientId: 'app-1' })).allowed, true);
      assert.equal((await l.check('api', { ip: '10.1.1.9', clientId: 'app-1' })).allowed, false);
      assert.equal((await l.check('api', { ip: '10.1.1.9', clientId: 'app-2' })).allowed, true);
      assert.deepEqual(await rows(fx, 'api:client:app-1'), [{ bucket: 'api:client:app-1', count: 5 }]);
    });

    test('a new window starts a new budget', async () => {
      const clock = new Clock();
      const l = limiter({ limits: { api: 2, auth: 2 }, now: clock.now });
      assert.equal((await l.check('api', { ip: '10.2.0.1' })).allowed, true);
      assert.equal((await l.check('api', { ip: '10.2.0.1' })).allowed, true);
      clock.t = T0 + WINDOW_MS - 1;
      assert.deepEqual(await l.check('api', { ip: '10.2.0.1' }), { allowed: false, retryAfterSeconds: 1 });
      clock.t = T0 + WINDOW_MS;
      assert.equal((await l.check('api', { ip: '10.2.0.1' })).allowed, true);
      assert.equal((await l.check('api', { ip: '10.2.0.1' })).allowed, true);
      assert.deepEqual(await l.check('api', { ip: '10.2.0.1' }), { allowed: false, retryAfterSeconds: 60 });
    });

    test('a limit of 0 turns that kind off, with no store traffic', async () => {
      const l = limiter({ limits: { api: 0, auth: 2 }, now: new Clock().now, syncIntervalMs: 10 });
      for (let i = 0; i < 50; i++) assert.equal((await l.check('api', { ip: '10.3.0.1', clientId: 'app-3' })).allowed, true);
      await l.sync();
      assert.deepEqual(await rows(fx, 'api:%10.3.0.1'), []);
      assert.deepEqual(await rows(fx, 'api:client:app-3'), []);
      assert.equal(l.enabled('api'), false);
      assert.equal(l.enabled('auth'), true);
    });

    test('under a large limit most requests are decided without the store', async () => {
      let calls = 0;
      const counting = new RateLimitStore(fx.store.sql);
      const hitMany = counting.hitMany.bind(counting);
      counting.hitMany = (h) => {
        calls++;
        return hitMany(h);
      };
      const l = limiter({ store: counting, limits: { api: 600, auth: 60 }, now: new Clock().now });
      assert.equal(defaultBatchSize(600), 15);
      assert.equal(defaultBatchSize(60), 1);
      for (let i = 0; i < 300; i++) assert.equal((await l.check('api', { ip: '10.4.0.1', clientId: 'app-4' })).allowed, true);
      // Both buckets fill their batch together: one statement per 15 requests.
      assert.equal(calls, 20);
      assert.deepEqual(await rows(fx, 'api:client:app-4'), [{ bucket: 'api:client:app-4', count: 300 }]);
    });

    test('two processes on one store share the count, within limit + 2 × P × (B − 1)', async () => {
      const clock = new Clock();
      const limit = 200;
      const batch = defaultBatchSize(limit); // 5
      const bound = limit + 2 * 2 * (batch - 1);
      const a = limiter({ limits: { api: limit, auth: 0 }, now: clock.now });
      const b = limiter({ limits: { api: limit, auth: 0 }, now: clock.now });
      // Alternating, sequential.
      let admitted = 0;
      for (let i = 0; i < 600; i++) if ((await (i % 2 ? a : b).check('api', { ip: '10.5.0.1' })).allowed) admitted++;
      assert.ok(admitted >= limit && admitted <= bound, `admitted ${admitted}`);

      // One process spends the budget; the other, which has seen nothing yet, stops within its batch.
      let first = 0;
      for (let i = 0; i < 300; i++) if ((await a.check('api', { clientId: 'app-5' })).allowed) first++;
      assert.equal(first, limit);
      let second = 0;
      for (let i = 0; i < 50; i++) if ((await b.check('api', { clientId: 'app-5' })).allowed) second++;
      assert.ok(second <= batch - 1, `second process admitted ${second}`);

      // Concurrent bursts from both, faster than any round trip to the store.
      const burst = await Promise.all(Array.from({ length: 800 }, (_, i) => (i % 2 ? a : b).check('api', { ip: '10.5.0.2' })));
      const ok = burst.filter((d) => d.allowed).length;
      assert.ok(ok >= limit && ok <= bound, `burst admitted ${ok}`);
      const refused = burst.find((d) => !d.allowed);
      assert.deepEqual(refused, { allowed: false, retryAfterSeconds: 50 });
    });

    test('the timer syncs pending hits so other processes see them', async () => {
      const clock = new Clock();
      const a = limiter({ limits: { api: 600, auth: 0 }, now: clock.now, syncIntervalMs: 20 });
      for (let i = 0; i < 10; i++) await a.check('api', { ip: '10.6.0.1' });
      assert.deepEqual(await rows(fx, 'api:ip:10.6.0.1'), []);
      await new Promise((r) => setTimeout(r, 120));
      assert.deepEqual(await rows(fx, 'api:ip:10.6.0.1'), [{ bucket: 'api:ip:10.6.0.1', count: 10 }]);
    });
  });

  describe(`rate limits over HTTP: FHIR API (${kind.name})`, { skip: kind.skip }, () => {
    let fx: StoreFixture;
    let server: LimitedServer;
    let accessToken: string;
    let patient: string;
    const fhir = (path: string, ip: string, token?: string) =>
      fetch(`${server.fhirBase}/${path}`, { headers: { 'x-forwarded-for': ip, ...(token ? { authorization: `Bearer ${token}` } : {}) } });

    before(async () => {
      fx = await kind.create();
      server = await startLimitedServer(fx, { RATE_LIMIT_API: '5', RATE_LIMIT_AUTH: '100' });
      const t = await obtainTokens(server, { patient: '429119572' });
      accessToken = t.access_token;
      patient = t.patient;
    });
    after(async () => {
      await server?.close();
      await fx?.cleanup();
    });

    test('an address is refused after 5 requests a minute with a FHIR OperationOutcome and Retry-After', async () => {
      for (let i = 0; i < 5; i++) assert.equal((await fhir('Patient', '10.10.0.1')).status, 401);
      const res = await fhir('Patient', '10.10.0.1');
      assert.equal(res.status, 429);
      assert.equal(res.headers.get('retry-after'), '50');
      assert.match(res.headers.get('content-type') ?? '', /^application\/fhir\+json/);
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
      const body = await res.json();
      assert.equal(body.resourceType, 'OperationOutcome');
      assert.equal(body.issue[0].code, 'throttled');
      assert.match(body.issue[0].diagnostics, /try again in 50 seconds/);
      // The capability statement and SMART discovery are not counted.
      for (let i = 0; i < 8; i++) {
        assert.equal((await fhir('metadata', '10.10.0.1')).status, 200);
        assert.equal((await fhir('.well-known/smart-configuration', '10.10.0.1')).status, 200);
      }
      // Another address is unaffected.
      assert.equal((await fhir(`Patient/${patient}`, '10.10.0.2', accessToken)).status, 200);
    });

    test('a client is refused across addresses once its token has made 5 requests; the answers under the limit are normal', async () => {
      // 10.10.0.2 already spent one of the app's requests above.
      for (const ip of ['10.10.1.1', '10.10.1.1', '10.10.1.2', '10.10.1.3']) {
        const res = await fhir(`Patient/${patient}`, ip, accessToken);
        assert.equal(res.status, 200);
        assert.equal((await res.json()).id, patient);
      }
      const res = await fhir(`Patient/${patient}`, '10.10.1.4', accessToken);
      assert.equal(res.status, 429);
      assert.ok(Number(res.headers.get('retry-after')) >= 1);
      const body = await res.json();
      assert.equal(body.issue[0].code, 'throttled');
      assert.match(body.issue[0].diagnostics, /this app/);
      // Without the token the same address is only counted per address.
      assert.equal((await fhir(`Patient/${patient}`, '10.10.1.4')).status, 401);
    });

    test('the next window serves again', async () => {
      server.clock.t += WINDOW_MS;
      assert.equal((await fhir(`Patient/${patient}`, '10.10.1.4', accessToken)).status, 200);
      assert.equal((await fhir('Patient', '10.10.0.1')).status, 401);
    });
  });

  describe(`rate limits over HTTP: sign-in and token endpoints (${kind.name})`, { skip: kind.skip }, () => {
    let fx: StoreFixture;
    let server: LimitedServer;
    const oidc = () => `${server.issuer}/protocol/openid-connect`;
    const post = (url: string, ip: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
      fetch(url, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip, ...headers },
        body: new URLSearchParams(form),
      });

    before(async () => {
      fx = await kind.create();
      server = await startLimitedServer(fx, { RATE_LIMIT_API: '0', RATE_LIMIT_AUTH: '3' });
    });
    after(async () => {
      await server?.close();
      await fx?.cleanup();
    });

    test('the token endpoint answers OAuth JSON 429 with Retry-After after 3 requests from an address', async () => {
      const form = { grant_type: 'authorization_code', code: 'nope', redirect_uri: 'http://127.0.0.1/callback', code_verifier: 'v'.repeat(43) };
      for (let i = 0; i < 3; i++) {
        const res = await post(`${oidc()}/token`, '10.20.0.1', form, { authorization: BASIC });
        assert.equal(res.status, 400);
        assert.equal((await res.json()).error, 'invalid_grant');
      }
      const res = await post(`${oidc()}/token`, '10.20.0.1', form, { authorization: BASIC });
      assert.equal(res.status, 429);
      assert.equal(res.headers.get('retry-after'), '50');
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const body = await res.json();
      assert.equal(body.error, 'temporarily_unavailable');
      assert.match(body.error_description, /try again in 50 seconds/);
      // Introspection and revocation share the address's budget.
      assert.equal((await post(`${oidc()}/revoke`, '10.20.0.1', { token: 'x' }, { authorization: BASIC })).status, 429);
      assert.equal((await post(`${oidc()}/token/introspect`, '10.20.0.1', { token: 'x' }, { authorization: BASIC })).status, 429);
    });

    test('token endpoints are limited per address, not per claimed client id (anyone could exhaust an app’s budget)', async () => {
      // The confidential app spent its 3 from 10.20.0.1 above; from other addresses it is still served.
      const res = await post(`${oidc()}/token/introspect`, '10.20.1.1', { token: 'x' }, { authorization: BASIC });
      assert.equal(res.status, 200);
      const form = { grant_type: 'refresh_token', refresh_token: 'nope', client_id: DEMO_CLIENTS.public.clientId };
      for (const ip of ['10.20.2.1', '10.20.2.2', '10.20.2.3', '10.20.2.4']) assert.equal((await post(`${oidc()}/token`, ip, form)).status, 400);
      // One address is limited whatever client it names.
      for (let i = 0; i < 2; i++) assert.equal((await post(`${oidc()}/token`, '10.20.2.1', { ...form, client_id: `other-${i}` })).status, 401);
      const refused = await post(`${oidc()}/token`, '10.20.2.1', { ...form, client_id: 'someone-else' });
      assert.equal(refused.status, 429);
      assert.equal((await refused.json()).error, 'temporarily_unavailable');
    });

    test('the sign-in screen answers a small HTML page 429 after 3 posts; its GETs and discovery are not counted', async () => {
      const signIn = `${server.issuer}/login-actions/authenticate`;
      for (let i = 0; i < 3; i++) {
        const res = await post(signIn, '10.20.3.1', { tx: 'x'.repeat(30), csrf: 'y', username: 'david.smith', password: 'wrong' });
        assert.notEqual(res.status, 429);
      }
      const res = await post(signIn, '10.20.3.1', { tx: 'x'.repeat(30), csrf: 'y', username: 'david.smith', password: 'wrong' });
      assert.equal(res.status, 429);
      assert.equal(res.headers.get('retry-after'), '50');
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      const html = await res.text();
      assert.match(html, /<h1>Too many attempts<\/h1>/);
      assert.match(html, /Wait 50 seconds/);
      const page = await fetch(`${signIn}?tx=${'x'.repeat(30)}`, { headers: { 'x-forwarded-for': '10.20.3.1' } });
      assert.notEqual(page.status, 429);
      const disco = await fetch(`${server.issuer}/.well-known/openid-configuration`, { headers: { 'x-forwarded-for': '10.20.3.1' } });
      assert.equal(disco.status, 200);
    });

    test('the authorize endpoint is counted too; the next window serves again', async () => {
      const q = new URLSearchParams({ response_type: 'code', client_id: DEMO_CLIENTS.public.clientId, redirect_uri: 'http://127.0.0.1/callback' });
      const authorize = (ip: string) => fetch(`${oidc()}/auth?${q}`, { redirect: 'manual', headers: { 'x-forwarded-for': ip } });
      for (let i = 0; i < 3; i++) assert.notEqual((await authorize('10.20.4.1')).status, 429);
      const res = await authorize('10.20.4.1');
      assert.equal(res.status, 429);
      assert.match(await res.text(), /Too many attempts/);
      server.clock.t += WINDOW_MS;
      assert.notEqual((await authorize('10.20.4.1')).status, 429);
    });

    test('with RATE_LIMIT_API=0 the FHIR API is never throttled nor counted', async () => {
      for (let i = 0; i < 20; i++) assert.equal((await fetch(`${server.fhirBase}/Patient`, { headers: { 'x-forwarded-for': '10.20.5.1' } })).status, 401);
      await server.limiter.sync();
      assert.deepEqual(await rows(fx, 'api:%'), []);
    });
  });
}

describe('rate limits as the server wires them', () => {
  test('RATE_LIMIT_AUTH and RATE_LIMIT_API apply to a server started with them', async () => {
    const fx = await sqliteFixture();
    const server = await startAuthServer(fx, { RATE_LIMIT_AUTH: '2', RATE_LIMIT_API: '2' });
    try {
      const token = () =>
        fetch(server.tokenUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '10.99.0.1' },
          body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'nope', client_id: DEMO_CLIENTS.public.clientId }),
        });
      assert.equal((await token()).status, 400);
      assert.equal((await token()).status, 400);
      const refused = await token();
      assert.equal(refused.status, 429);
      assert.ok(Number(refused.headers.get('retry-after')) > 0);
      const fhir = () => fetch(`${server.fhirBase}/Patient/428946492`, { headers: { 'x-forwarded-for': '10.99.0.2' } });
      assert.equal((await fhir()).status, 401);
      assert.equal((await fhir()).status, 401);
      const limited = await fhir();
      assert.equal(limited.status, 429);
      assert.equal((await limited.json()).resourceType, 'OperationOutcome');
    } finally {
      await server.close();
      await fx.cleanup();
    }
  });
});
