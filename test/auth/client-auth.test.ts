/**
 * Client authentication at the token endpoint: the secrets module (generation, hashing, constant-time
 * verification) and every way a client authenticates — HTTP Basic (with form-encoded ids and secrets),
 * client_secret_post, public clients, private_key_jwt (RS384 / ES384, inline JWKS, JWKS URL through a
 * stub and through a real local HTTP server, with caching) — and every way it is refused.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { generateSecret, hashSecret, hashToken, verifySecret } from '../../src/auth/secrets.js';
import {
  BASIC_CHALLENGE,
  ClientAuthError,
  ClientAuthenticator,
  JWT_BEARER_ASSERTION_TYPE,
  jwksCacheLifetime,
  type ClientAuthInput,
} from '../../src/auth/client-auth.js';
import { AuthStore, type ClientRecord } from '../../src/store/auth.js';
import { sqliteFixture, type StoreFixture } from '../helpers/stores.js';

const TOKEN_URL = 'https://auth.example.org/auth/token';
const JWKS_URL = 'https://app.example.com/.well-known/jwks.json';

// ---- secrets ----------------------------------------------------------------------------------

describe('secrets', () => {
  test('generateSecret: 32 random bytes as base64url, never the same twice', () => {
    const a = generateSecret();
    const b = generateSecret();
    assert.match(a, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a, b);
    assert.equal(Buffer.from(generateSecret(48), 'base64url').length, 48);
    assert.throws(() => generateSecret(8), RangeError);
  });

  test('hashSecret / verifySecret: sha256-prefixed digest; only the right secret matches', () => {
    const secret = generateSecret();
    const hash = hashSecret(secret);
    assert.match(hash, /^sha256:[A-Za-z0-9_-]{43}$/);
    assert.equal(hashSecret(secret), hash, 'deterministic');
    assert.ok(!hash.includes(secret));
    assert.equal(verifySecret(secret, hash), true);
    assert.equal(verifySecret(secret + 'x', hash), false);
    assert.equal(verifySecret(secret.slice(0, -1), hash), false);
    assert.equal(verifySecret('', hash), false);
    assert.equal(verifySecret('a'.repeat(10_000), hash), false, 'a long input is compared as a digest, not rejected on length');
    assert.equal(verifySecret('', hashSecret('')), true);
    assert.equal(verifySecret('pässwörd ✓', hashSecret('pässwörd ✓')), true);
  });

  test('verifySecret: a malformed stored hash never matches, and never throws', () => {
    const secret = 'secret';
    const digest = hashSecret(secret).slice('sha256:'.length);
    for (const bad of ['', digest, `md5:${digest}`, 'sha256:', `sha256:${digest}AA`, `sha256:${digest.slice(1)}`, 'sha256:' + '!'.repeat(43)]) {
      assert.equal(verifySecret(secret, bad), false, bad);
    }
  });

  test('hashToken: base64url SHA-256, distinct from hashSecret', () => {
    assert.equal(hashToken('abc'), 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
    assert.match(hashToken(generateSecret()), /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(hashToken('abc'), hashSecret('abc'));
  });
});

// ---- helpers ----------------------------------------------------------------------------------

function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}

function basic(id: string, secret: string): string {
  return 'Basic ' + Buffer.from(`${formEncode(id)}:${formEncode(secret)}`, 'utf8').toString('base64');
}

function rawBasic(decoded: string): string {
  return 'Basic ' + Buffer.from(decoded, 'utf8').toString('base64');
}

function clientRecord(overrides: Partial<ClientRecord> & Pick<ClientRecord, 'clientId' | 'type'>): ClientRecord {
  return {
    name: overrides.clientId,
    secretHash: null,
    redirectUris: ['https://app.example.com/callback'],
    jwks: null,
    jwksUri: null,
    scope: 'launch/patient patient/*.rs openid fhirUser offline_access',
    status: 'active',
    tokensValidAfter: 0,
    createdAt: 0,
    ...overrides,
  };
}

interface TestKey {
  alg: 'RS384' | 'ES384';
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function makeKey(alg: 'RS384' | 'ES384', kid = `${alg}-${randomUUID()}`): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { alg, kid, privateKey, publicJwk };
}

function jwksOf(...keys: TestKey[]): string {
  return JSON.stringify({ keys: keys.map((k) => k.publicJwk) });
}

let clock = Date.UTC(2025, 5, 1, 12, 0, 0);

interface AssertionOptions {
  clientId: string;
  key: TestKey;
  alg?: string;
  kid?: string | null;
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  iss?: string;
  sub?: string;
  aud?: string | string[];
  /** Seconds from the clock; null leaves exp out. */
  expIn?: number | null;
  jti?: string | null;
}

async function assertion(o: AssertionOptions): Promise<string> {
  const nowS = Math.floor(clock / 1000);
  const claims: Record<string, unknown> = {
    iss: o.iss ?? o.clientId,
    sub: o.sub ?? o.clientId,
    aud: o.aud ?? TOKEN_URL,
    iat: nowS,
    ...(o.expIn === null ? {} : { exp: nowS + (o.expIn ?? 240) }),
    ...(o.jti === null ? {} : { jti: o.jti ?? randomUUID() }),
    ...o.claims,
  };
  const header: Record<string, unknown> = { alg: o.alg ?? o.key.alg, typ: 'JWT', ...o.header };
  if (o.kid !== null) header.kid = o.kid ?? o.key.kid;
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(o.key.privateKey);
}

function assertionBody(jwt: string, extra: Record<string, string> = {}): Record<string, string> {
  return { grant_type: 'authorization_code', client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: jwt, ...extra };
}

/** A `fetch` stub serving JWK Sets by URL, counting requests. */
class JwksServer {
  readonly sets = new Map<string, { body: string; headers: Record<string, string>; status?: number }>();
  calls = 0;
  readonly fetch: typeof fetch = async (input) => {
    this.calls++;
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const set = this.sets.get(url);
    if (!set) return new Response('not found', { status: 404 });
    return new Response(set.body, { status: set.status ?? 200, headers: { 'content-type': 'application/json', ...set.headers } });
  };
  serve(url: string, jwks: string, headers: Record<string, string> = {}) {
    this.sets.set(url, { body: jwks, headers });
  }
}

async function rejects(
  promise: Promise<unknown>,
  expected: { error: 'invalid_client' | 'invalid_request'; detail?: RegExp; basic?: boolean },
): Promise<ClientAuthError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ClientAuthError, `expected ClientAuthError, got ${String(caught)}`);
  assert.equal(caught.error, expected.error);
  assert.equal(caught.status, expected.error === 'invalid_client' ? 401 : 400);
  if (expected.error === 'invalid_client') assert.equal(caught.message, 'Client authentication failed');
  if (expected.detail) assert.match(caught.detail, expected.detail);
  if (expected.basic) assert.equal(caught.wwwAuthenticate, BASIC_CHALLENGE);
  return caught;
}

// ---- client authentication --------------------------------------------------------------------

describe('ClientAuthenticator', () => {
  let fx: StoreFixture;
  let store: AuthStore;
  let jwksServer: JwksServer;
  let auth: ClientAuthenticator;
  let rsKey: TestKey;
  let esKey: TestKey;
  let otherRsKey: TestKey;
  const SECRET = 's3cret:with+plus%and space';
  const ODD_ID = 'a b:c';

  before(async () => {
    fx = await sqliteFixture();
    store = new AuthStore(fx.store.sql);
    [rsKey, esKey, otherRsKey] = await Promise.all([makeKey('RS384'), makeKey('ES384'), makeKey('RS384')]);
    await store.putClient(clientRecord({ clientId: 'conf', type: 'confidential', secretHash: hashSecret(SECRET) }));
    await store.putClient(clientRecord({ clientId: ODD_ID, type: 'confidential', secretHash: hashSecret('p+q r') }));
    await store.putClient(clientRecord({ clientId: 'conf-off', type: 'confidential', secretHash: hashSecret(SECRET), status: 'disabled' }));
    await store.putClient(clientRecord({ clientId: 'pub', type: 'public' }));
    await store.putClient(clientRecord({ clientId: 'pub-off', type: 'public', status: 'disabled' }));
    await store.putClient(clientRecord({ clientId: 'asym', type: 'asymmetric', jwks: jwksOf(rsKey, esKey) }));
    await store.putClient(clientRecord({ clientId: 'asym-off', type: 'asymmetric', jwks: jwksOf(rsKey, esKey), status: 'disabled' }));
    await store.putClient(clientRecord({ clientId: 'asym-url', type: 'asymmetric', jwksUri: JWKS_URL }));
    await store.putClient(clientRecord({ clientId: 'asym-nokeys', type: 'asymmetric' }));
  });
  after(async () => fx.cleanup());
  beforeEach(() => {
    clock = Date.UTC(2025, 5, 1, 12, 0, 0) + Math.floor(Math.random() * 1e9);
    jwksServer = new JwksServer();
    jwksServer.serve(JWKS_URL, jwksOf(esKey, rsKey), { 'cache-control': 'max-age=120' });
    auth = new ClientAuthenticator(store, { fetch: jwksServer.fetch, now: () => clock });
  });

  const run = (input: Partial<ClientAuthInput>) => auth.authenticate({ body: {}, tokenEndpointUrl: TOKEN_URL, ...input });

  // -- successes --

  test('client_secret_basic', async () => {
    const r = await run({ authorization: basic('conf', SECRET), body: { grant_type: 'authorization_code' } });
    assert.equal(r.method, 'client_secret_basic');
    assert.equal(r.client.clientId, 'conf');
  });

  test('client_secret_basic: id and secret are form-urlencoded (+ is a space, %3A a colon); split on the first colon', async () => {
    const r = await run({ authorization: rawBasic('a+b%3Ac:p%2Bq+r') });
    assert.equal(r.client.clientId, ODD_ID);
    assert.equal(r.method, 'client_secret_basic');
    // The same credentials built by the encoder, and a secret containing raw colons after the first one.
    assert.equal((await run({ authorization: basic(ODD_ID, 'p+q r') })).client.clientId, ODD_ID);
    assert.equal((await run({ authorization: rawBasic(`conf:${formEncode(SECRET).replace(/%3A/g, ':')}`) })).client.clientId, 'conf');
    // Lower-case scheme and a matching client_id in the body are fine too.
    const lower = basic('conf', SECRET).replace('Basic', 'basic');
    assert.equal((await run({ authorization: lower, body: { client_id: 'conf' } })).method, 'client_secret_basic');
  });

  test('client_secret_post', async () => {
    const r = await run({ body: { grant_type: 'refresh_token', client_id: 'conf', client_secret: SECRET } });
    assert.equal(r.method, 'client_secret_post');
    assert.equal(r.client.clientId, 'conf');
  });

  test('public client: client_id only', async () => {
    const r = await run({ body: { grant_type: 'authorization_code', client_id: 'pub' } });
    assert.equal(r.method, 'none');
    assert.equal(r.client.type, 'public');
  });

  test('private_key_jwt with RS384 and ES384 against the inline JWKS', async () => {
    for (const key of [rsKey, esKey]) {
      const r = await run({ body: assertionBody(await assertion({ clientId: 'asym', key })) });
      assert.equal(r.method, 'private_key_jwt');
      assert.equal(r.client.clientId, 'asym');
    }
    // With a matching client_id in the body, with aud as an array, and without a kid.
    const jwt = await assertion({ clientId: 'asym', key: esKey, aud: [TOKEN_URL], kid: null });
    assert.equal((await run({ body: assertionBody(jwt, { client_id: 'asym' }) })).client.clientId, 'asym');
  });

  test('private_key_jwt with the JWKS URL (fetch stub), with and without a matching jku', async () => {
    const r = await run({ body: assertionBody(await assertion({ clientId: 'asym-url', key: esKey })) });
    assert.equal(r.method, 'private_key_jwt');
    const jku = await assertion({ clientId: 'asym-url', key: rsKey, header: { jku: JWKS_URL } });
    assert.equal((await run({ body: assertionBody(jku) })).client.clientId, 'asym-url');
    assert.equal(jwksServer.calls, 1, 'the second assertion used the cached JWKS');
  });

  test('private_key_jwt with the JWKS URL served by a real local HTTP server', async () => {
    let hits = 0;
    const server: Server = createServer((req, res) => {
      hits++;
      assert.equal(req.url, '/jwks.json');
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=60' });
      res.end(jwksOf(esKey));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
      await store.putClient(clientRecord({ clientId: 'asym-local', type: 'asymmetric', jwksUri: url }));
      const real = new ClientAuthenticator(store, { now: () => clock }); // the real global fetch
      const input = async () => ({
        body: assertionBody(await assertion({ clientId: 'asym-local', key: esKey, header: { jku: url } })),
        tokenEndpointUrl: TOKEN_URL,
      });
      assert.equal((await real.authenticate(await input())).client.clientId, 'asym-local');
      assert.equal((await real.authenticate(await input())).method, 'private_key_jwt');
      assert.equal(hits, 1, 'cached for max-age');
      clock += 61_000;
      await real.authenticate(await input());
      assert.equal(hits, 2, 'refetched after max-age');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  // -- refusals: methods and secrets --

  test('more than one method in a request is invalid_request (400)', async () => {
    const jwt = await assertion({ clientId: 'asym', key: rsKey });
    await rejects(run({ authorization: basic('conf', SECRET), body: { client_id: 'conf', client_secret: SECRET } }), { error: 'invalid_request' });
    await rejects(run({ authorization: basic('conf', SECRET), body: assertionBody(jwt) }), { error: 'invalid_request' });
    await rejects(run({ body: { client_id: 'asym', client_secret: SECRET, ...assertionBody(jwt) } }), { error: 'invalid_request' });
    await rejects(run({ authorization: basic('conf', SECRET), body: { client_id: 'other' } }), { error: 'invalid_request' });
  });

  test('a malformed Basic header is invalid_client (401) with a Basic challenge', async () => {
    for (const authorization of [
      'Basic',
      'Basic !!!not-base64!!!',
      rawBasic('no-colon-here'),
      rawBasic(':secret-without-id'),
      rawBasic('conf:bad%zzescape'),
      rawBasic('bad%E0%A4id:secret'),
      'Basic ' + Buffer.from([0x63, 0x6f, 0xff, 0x3a, 0x61]).toString('base64'),
      'Bearer abc.def.ghi',
      'Digest username="conf"',
    ]) {
      await rejects(run({ authorization }), { error: 'invalid_client', basic: true });
    }
  });

  test('unknown client and wrong secret fail alike, and never echo the secret', async () => {
    const cases: Partial<ClientAuthInput>[] = [
      { authorization: basic('nobody', SECRET) },
      { authorization: basic('conf', 'wrong-secret-value') },
      { body: { client_id: 'nobody', client_secret: SECRET } },
      { body: { client_id: 'conf', client_secret: 'wrong-secret-value' } },
      { body: { client_id: 'conf', client_secret: '' } },
      { body: { client_id: 'nobody' } },
    ];
    const seen = new Set<string>();
    for (const c of cases) {
      const err = await rejects(run(c), { error: 'invalid_client', basic: c.authorization !== undefined });
      seen.add(`${err.status} ${err.error} ${err.message}`);
      for (const text of [err.message, err.detail, err.stack ?? '']) {
        assert.ok(!text.includes(SECRET) && !text.includes('wrong-secret-value'), 'no secret in the error');
      }
    }
    assert.deepEqual([...seen], ['401 invalid_client Client authentication failed']);
  });

  test('a disabled client is refused, whatever its method', async () => {
    await rejects(run({ authorization: basic('conf-off', SECRET) }), { error: 'invalid_client', detail: /disabled/, basic: true });
    await rejects(run({ body: { client_id: 'conf-off', client_secret: SECRET } }), { error: 'invalid_client', detail: /disabled/ });
    await rejects(run({ body: { client_id: 'pub-off' } }), { error: 'invalid_client', detail: /disabled/ });
    const jwt = await assertion({ clientId: 'asym-off', key: rsKey });
    await rejects(run({ body: assertionBody(jwt) }), { error: 'invalid_client', detail: /disabled/ });
  });

  test('a public client may not send a secret', async () => {
    await rejects(run({ authorization: basic('pub', 'anything') }), { error: 'invalid_client', detail: /public client/, basic: true });
    await rejects(run({ authorization: rawBasic('pub:') }), { error: 'invalid_client', detail: /public client/ });
    await rejects(run({ body: { client_id: 'pub', client_secret: 'anything' } }), { error: 'invalid_client', detail: /public client/ });
  });

  test('confidential and asymmetric clients must authenticate', async () => {
    await rejects(run({ body: { client_id: 'conf' } }), { error: 'invalid_client', detail: /confidential client sent no credentials/ });
    await rejects(run({ body: { client_id: 'asym' } }), { error: 'invalid_client', detail: /asymmetric client sent no credentials/ });
    await rejects(run({ body: {} }), { error: 'invalid_client' });
    await rejects(run({ body: { client_secret: SECRET } }), { error: 'invalid_client' });
  });

  test('a client may only use the method of its type', async () => {
    await rejects(run({ authorization: basic('asym', 'x') }), { error: 'invalid_client', detail: /asymmetric client may not authenticate with a client secret/ });
    await store.putClient(clientRecord({ clientId: 'conf-jwks', type: 'confidential', secretHash: hashSecret(SECRET), jwks: jwksOf(rsKey) }));
    const jwt = await assertion({ clientId: 'conf-jwks', key: rsKey });
    await rejects(run({ body: assertionBody(jwt) }), { error: 'invalid_client', detail: /confidential client may not use private_key_jwt/ });
    await rejects(run({ body: assertionBody(await assertion({ clientId: 'pub', key: rsKey })) }), { error: 'invalid_client', detail: /public/ });
  });

  // -- refusals: client assertions --

  test('client_assertion_type must be jwt-bearer, and the assertion must be there', async () => {
    const jwt = await assertion({ clientId: 'asym', key: rsKey });
    await rejects(run({ body: { client_assertion: jwt } }), { error: 'invalid_request' });
    await rejects(run({ body: { client_assertion: jwt, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer' } }), {
      error: 'invalid_request',
    });
    await rejects(run({ body: { client_assertion_type: JWT_BEARER_ASSERTION_TYPE } }), { error: 'invalid_request' });
    await rejects(run({ body: assertionBody('not-a-jwt') }), { error: 'invalid_client', detail: /not a JWT/ });
  });

  test('only RS384 and ES384 signatures are accepted (RS256, HS256, none refused)', async () => {
    const { privateKey: rs256, publicKey: rs256Public } = await generateKeyPair('RS256');
    const rs256Key: TestKey = { alg: 'RS384', kid: 'rs256', privateKey: rs256, publicJwk: { ...(await exportJWK(rs256Public)), kid: 'rs256' } };
    await store.putClient(clientRecord({ clientId: 'asym-any', type: 'asymmetric', jwks: jwksOf(rs256Key) }));
    await rejects(run({ body: assertionBody(await assertion({ clientId: 'asym-any', key: rs256Key, alg: 'RS256' })) }), {
      error: 'invalid_client',
      detail: /ERR_JOSE_ALG_NOT_ALLOWED/,
    });
    const hmacKey = new TextEncoder().encode('a'.repeat(64));
    const now = Math.floor(clock / 1000);
    const hs256 = await new SignJWT({ iss: 'asym', sub: 'asym', aud: TOKEN_URL, exp: now + 60, jti: randomUUID() })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(hmacKey);
    await rejects(run({ body: assertionBody(hs256) }), { error: 'invalid_client', detail: /ERR_JOSE_ALG_NOT_ALLOWED/ });
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ iss: 'asym', sub: 'asym', aud: TOKEN_URL, exp: now + 60, jti: randomUUID() })).toString('base64url');
    await rejects(run({ body: assertionBody(`${header}.${payload}.`) }), { error: 'invalid_client' });
  });

  test('the audience must be the token endpoint', async () => {
    for (const aud of ['https://auth.example.org/auth/authorize', 'https://evil.example/auth/token', [`${TOKEN_URL}/`]]) {
      await rejects(run({ body: assertionBody(await assertion({ clientId: 'asym', key: rsKey, aud })) }), { error: 'invalid_client', detail: /aud/ });
    }
  });

  test('iss and sub must both be the client_id (and match a body client_id)', async () => {
    await rejects(run({ body: assertionBody(await assertion({ clientId: 'asym', key: rsKey, sub: 'someone-else' })) }), {
      error: 'invalid_client',
      detail: /iss and sub/,
    });
    await rejects(run({ body: assertionBody(await assertion({ clientId: 'asym', key: rsKey, claims: { sub: undefined } })) }), {
      error: 'invalid_client',
      detail: /iss and sub/,
    });
    await rejects(run({ body: assertionBody(await assertion({ clientId: 'asym', key: rsKey }), { client_id: 'asym-url' }) }), {
      error: 'invalid_client',
      detail: /client_id does not match/,
    });
    await rejects(run({ body: assertionBody(await assertion({ clientId: 'nobody', key: rsKey })) }), { error: 'invalid_client', detail: /unknown client/ });
  });

  test('expired assertions and assertions without exp are refused', async () => {
    await rejects(run({ body: assertionBody(await assertion({ clientId: 'asym', key: rsKey, expIn: -60 })) }), {
      error: 'invalid_client',
      detail: /ERR_JWT_EXPIRED/,
    });
    await rejects(run({ body: assertionBody(await assertion({ clientId: 'asym', key: rsKey, expIn: null })) }), {
      error: 'invalid_client',
      detail: /exp/,
    });
    // A few seconds of clock skew are tolerated.
    assert.equal((await run({ body: assertionBody(await assertion({ clientId: 'asym', key: rsKey, expIn: -3 })) })).method, 'private_key_jwt');
  });

  test('exp more than five minutes ahead is refused', async () => {
    await rejects(run({ body: assertionBody(await assertion({ clientId: 'asym', key: rsKey, expIn: 301 + 60 })) }), {
      error: 'invalid_client',
      detail: /five minutes/,
    });
    await rejects(run({ body: assertionBody(await assertion({ clientId: 'asym', key: rsKey, expIn: 3600 })) }), {
      error: 'invalid_client',
      detail: /five minutes/,
    });
    assert.equal((await run({ body: assertionBody(await assertion({ clientId: 'asym', key: rsKey, expIn: 300 })) })).method, 'private_key_jwt');
  });

  test('a jti is accepted once; a replay is refused, and a jti is required', async () => {
    const jwt = await assertion({ clientId: 'asym', key: esKey, jti: 'once-only' });
    assert.equal((await run({ body: assertionBody(jwt) })).method, 'private_key_jwt');
    await rejects(run({ body: assertionBody(jwt) }), { error: 'invalid_client', detail: /replay/ });
    const fresh = await assertion({ clientId: 'asym', key: rsKey, jti: 'once-only' });
    await rejects(run({ body: assertionBody(fresh) }), { error: 'invalid_client', detail: /replay/ });
    await rejects(run({ body: assertionBody(await assertion({ clientId: 'asym', key: rsKey, jti: null })) }), { error: 'invalid_client', detail: /jti/ });
  });

  test('a jti is not spent by an assertion that fails verification', async () => {
    const bad = await assertion({ clientId: 'asym', key: otherRsKey, kid: rsKey.kid, jti: 'not-burnt' });
    await rejects(run({ body: assertionBody(bad) }), { error: 'invalid_client', detail: /ERR_JWS_SIGNATURE_VERIFICATION_FAILED/ });
    const good = await assertion({ clientId: 'asym', key: rsKey, jti: 'not-burnt' });
    assert.equal((await run({ body: assertionBody(good) })).method, 'private_key_jwt');
  });

  test('a jku header must be the registered JWKS URL exactly', async () => {
    for (const [clientId, jku] of [
      ['asym-url', 'https://evil.example/jwks.json'],
      ['asym-url', `${JWKS_URL}?x=1`],
      ['asym-url', JWKS_URL.toUpperCase()],
      ['asym', JWKS_URL],
    ] as const) {
      const key = clientId === 'asym' ? rsKey : esKey;
      await rejects(run({ body: assertionBody(await assertion({ clientId, key, header: { jku } })) }), { error: 'invalid_client', detail: /jku/ });
    }
    assert.equal(jwksServer.calls, 0, 'a foreign jku is never fetched');
  });

  test('an unknown kid or a key not in the client\'s JWKS is refused', async () => {
    await rejects(run({ body: assertionBody(await assertion({ clientId: 'asym', key: otherRsKey })) }), {
      error: 'invalid_client',
      detail: /ERR_JWKS_NO_MATCHING_KEY/,
    });
    await rejects(run({ body: assertionBody(await assertion({ clientId: 'asym-url', key: otherRsKey })) }), {
      error: 'invalid_client',
      detail: /ERR_JWKS_NO_MATCHING_KEY/,
    });
    await rejects(run({ body: assertionBody(await assertion({ clientId: 'asym-nokeys', key: rsKey })) }), { error: 'invalid_client', detail: /no registered keys/ });
  });

  // -- JWKS URL fetching and caching --

  test('JWKS URL: cached for max-age, refetched after it', async () => {
    const go = async () => run({ body: assertionBody(await assertion({ clientId: 'asym-url', key: esKey })) });
    await go();
    await go();
    assert.equal(jwksServer.calls, 1);
    clock += 119_000;
    await go();
    assert.equal(jwksServer.calls, 1, 'still within max-age=120');
    clock += 2_000;
    await go();
    assert.equal(jwksServer.calls, 2, 'refetched after max-age');
  });

  test('JWKS URL: no-store (or no-cache) refetches every time', async () => {
    for (const cacheControl of ['no-store', 'no-cache, max-age=600']) {
      jwksServer.calls = 0;
      jwksServer.serve(JWKS_URL, jwksOf(esKey), { 'cache-control': cacheControl });
      auth = new ClientAuthenticator(store, { fetch: jwksServer.fetch, now: () => clock });
      for (let i = 0; i < 3; i++) await run({ body: assertionBody(await assertion({ clientId: 'asym-url', key: esKey })) });
      assert.equal(jwksServer.calls, 3, cacheControl);
    }
  });

  test('JWKS URL: Expires is honoured, the default is five minutes, and jwksCacheMaxMs caps everything', async () => {
    const go = async () => run({ body: assertionBody(await assertion({ clientId: 'asym-url', key: esKey })) });
    jwksServer.serve(JWKS_URL, jwksOf(esKey), { expires: new Date(clock + 30_000).toUTCString() });
    await go();
    clock += 20_000;
    await go();
    assert.equal(jwksServer.calls, 1);
    clock += 11_000;
    await go();
    assert.equal(jwksServer.calls, 2, 'refetched after Expires');

    jwksServer.calls = 0;
    jwksServer.serve(JWKS_URL, jwksOf(esKey));
    auth = new ClientAuthenticator(store, { fetch: jwksServer.fetch, now: () => clock });
    await go();
    clock += 299_000;
    await go();
    assert.equal(jwksServer.calls, 1, 'no cache headers: five minutes');
    clock += 2_000;
    await go();
    assert.equal(jwksServer.calls, 2);

    jwksServer.calls = 0;
    jwksServer.serve(JWKS_URL, jwksOf(esKey), { 'cache-control': 'max-age=86400' });
    auth = new ClientAuthenticator(store, { fetch: jwksServer.fetch, now: () => clock, jwksCacheMaxMs: 60_000 });
    await go();
    clock += 61_000;
    await go();
    assert.equal(jwksServer.calls, 2, 'max-age capped by jwksCacheMaxMs');
  });

  test('JWKS URL: an unknown kid refetches once (key rotation), at most every 30 s per client', async () => {
    const newKey = await makeKey('ES384');
    const go = async (key: TestKey) => run({ body: assertionBody(await assertion({ clientId: 'asym-url', key })) });
    await go(esKey);
    assert.equal(jwksServer.calls, 1);
    // Within 30 s of the last fetch an unknown kid does not refetch.
    clock += 10_000;
    await rejects(go(newKey), { error: 'invalid_client', detail: /ERR_JWKS_NO_MATCHING_KEY/ });
    assert.equal(jwksServer.calls, 1);
    // The client rotates its keys; after 30 s the unknown kid triggers one refetch and is accepted.
    jwksServer.serve(JWKS_URL, jwksOf(newKey), { 'cache-control': 'max-age=120' });
    clock += 21_000;
    assert.equal((await go(newKey)).method, 'private_key_jwt');
    assert.equal(jwksServer.calls, 2);
    // A flood of made-up kids right after costs no more fetches.
    for (let i = 0; i < 5; i++) await rejects(go(otherRsKey), { error: 'invalid_client' });
    assert.equal(jwksServer.calls, 2);
    // The old key is gone from the refetched set.
    await rejects(go(esKey), { error: 'invalid_client' });
  });

  test('JWKS URL: fetch failures, timeouts and bad documents are invalid_client', async () => {
    const go = async () => run({ body: assertionBody(await assertion({ clientId: 'asym-url', key: esKey })) });
    jwksServer.sets.set(JWKS_URL, { body: 'oops', headers: {}, status: 500 });
    await rejects(go(), { error: 'invalid_client', detail: /HTTP 500/ });
    jwksServer.serve(JWKS_URL, '{"not":"a jwks"}');
    await rejects(go(), { error: 'invalid_client', detail: /not a JWK Set/ });
    jwksServer.serve(JWKS_URL, 'not json');
    await rejects(go(), { error: 'invalid_client', detail: /not a JWK Set/ });

    let signal: AbortSignal | undefined;
    const hanging: typeof fetch = (_input, init) => {
      signal = init?.signal ?? undefined;
      return new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal?.reason)));
    };
    auth = new ClientAuthenticator(store, { fetch: hanging, now: () => clock });
    const started = Date.now();
    // AbortSignal.timeout's timer does not keep the process alive (a server does); this does.
    const keepAlive = setInterval(() => {}, 1_000);
    try {
      await rejects(go(), { error: 'invalid_client', detail: /could not fetch/ });
    } finally {
      clearInterval(keepAlive);
    }
    assert.ok(signal, 'fetch got an abort signal');
    assert.ok(Date.now() - started >= 4_500, 'gave up after the 5 s timeout');
  });

  test('jwksCacheLifetime reads Cache-Control and Expires', () => {
    const now = Date.UTC(2025, 0, 1);
    const h = (init: Record<string, string>) => new Headers(init);
    const cap = 3_600_000;
    assert.equal(jwksCacheLifetime(h({}), now, cap), 300_000);
    assert.equal(jwksCacheLifetime(h({ 'cache-control': 'public, max-age=60' }), now, cap), 60_000);
    assert.equal(jwksCacheLifetime(h({ 'cache-control': 'MAX-AGE=0' }), now, cap), 0);
    assert.equal(jwksCacheLifetime(h({ 'cache-control': 'no-store' }), now, cap), 0);
    assert.equal(jwksCacheLifetime(h({ 'cache-control': 'max-age=99999' }), now, cap), cap);
    assert.equal(jwksCacheLifetime(h({ 'cache-control': 'max-age=60', expires: new Date(now + 600_000).toUTCString() }), now, cap), 60_000);
    assert.equal(jwksCacheLifetime(h({ expires: new Date(now + 90_000).toUTCString() }), now, cap), 90_000);
    assert.equal(jwksCacheLifetime(h({ expires: new Date(now - 90_000).toUTCString() }), now, cap), 0);
    assert.equal(jwksCacheLifetime(h({ expires: '0' }), now, cap), 0);
    assert.equal(jwksCacheLifetime(h({}), now, 60_000), 60_000);
  });
});
