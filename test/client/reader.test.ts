/**
 * The reference client's FHIR reader and helpers without a server: next links, Retry-After on 429
 * (bounded), 403 as "not shared", links off the FHIR base refused, 401 → one refresh, and the HTML
 * summary's escaping.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientError, FhirReader, mergeById, referencesOf, renderHealthSummary, retryAfterMs, TokenSet, type SavedTokens } from '../../src/client/index.js';

const BASE = 'https://fhir.example/r4';

function fakeFetch(handler: (url: string, init: RequestInit | undefined, n: number) => Response | Promise<Response>) {
  const calls: { url: string; auth: string | null }[] = [];
  const f = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    calls.push({ url, auth: new Headers(init?.headers).get('authorization') });
    return handler(url, init, calls.length);
  }) as typeof fetch;
  return { f, calls };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/fhir+json', ...headers } });
const page = (ids: string[], next?: string) => ({
  resourceType: 'Bundle',
  type: 'searchset',
  link: next ? [{ relation: 'next', url: next }] : [],
  entry: ids.map((id) => ({ resource: { resourceType: 'Observation', id }, search: { mode: 'match' } })),
});

describe('client: FHIR reader', () => {
  test('follows next links to the end and keeps only matches', async () => {
    const { f, calls } = fakeFetch((url) => {
      if (url.includes('_cursor=2')) return json(200, page(['c']));
      if (url.includes('_cursor=1')) return json(200, page(['b'], `${BASE}/Observation?_cursor=2`));
      return json(200, { ...page(['a'], `${BASE}/Observation?_cursor=1`), entry: [...page(['a']).entry, { resource: { resourceType: 'Practitioner', id: 'p' }, search: { mode: 'include' } }] });
    });
    const reader = new FhirReader({ fhirBase: BASE, tokens: 'tok', fetch: f });
    const r = await reader.searchAll('Observation', { patient: '1', _count: '1' });
    assert.equal(r.status, 'ok');
    assert.deepEqual(r.status === 'ok' && r.resources.map((x) => x.id), ['a', 'b', 'c']);
    assert.equal(r.status === 'ok' && r.pages, 3);
    assert.deepEqual(r.included?.map((x) => x.id), ['p']);
    assert.equal(calls[0].url, `${BASE}/Observation?patient=1&_count=1`);
    assert.ok(calls.every((c) => c.auth === 'Bearer tok'));
  });

  test('honours Retry-After on 429 (seconds and HTTP date), bounded', async () => {
    const waits: number[] = [];
    let n = 0;
    const { f } = fakeFetch(() => (++n <= 2 ? json(429, {}, { 'retry-after': n === 1 ? '2' : new Date(Date.now() + 3000).toUTCString() }) : json(200, page(['a']))));
    const reader = new FhirReader({ fhirBase: BASE, tokens: 'tok', fetch: f, sleep: async (ms) => void waits.push(ms) });
    const r = await reader.searchAll('Observation', { patient: '1' });
    assert.equal(r.status, 'ok');
    assert.equal(waits[0], 2000);
    assert.ok(waits[1] > 1000 && waits[1] <= 3000, String(waits[1]));
    assert.equal(reader.retries, 2);

    const always = fakeFetch(() => json(429, {}, { 'retry-after': '1' }));
    const bounded = new FhirReader({ fhirBase: BASE, tokens: 'tok', fetch: always.f, maxRetries: 3, sleep: async () => undefined });
    await assert.rejects(bounded.searchAll('Observation', {}), (e: ClientError) => e.code === 'RATE_LIMITED' && /after 3 retries/.test(e.message));
    assert.equal(always.calls.length, 4);
    assert.equal(retryAfterMs(null, 2), 4000);
  });

  test('a 403 is "not shared", a 404 on read "not found"; neither throws', async () => {
    const { f } = fakeFetch((url) =>
      url.includes('Condition')
        ? json(403, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'forbidden', diagnostics: 'scope does not allow Condition' }] })
        : json(404, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found', diagnostics: 'gone' }] }),
    );
    const reader = new FhirReader({ fhirBase: BASE, tokens: 'tok', fetch: f });
    const r = await reader.searchAll('Condition', { patient: '1' });
    assert.deepEqual(r, { status: 'not-shared', type: 'Condition', httpStatus: 403, message: 'scope does not allow Condition' });
    assert.equal((await reader.read('Patient', '9')).status, 'not-found');
  });

  test('a next link off the FHIR base is not followed (the token stays on the server)', async () => {
    const { f, calls } = fakeFetch(() => json(200, page(['a'], 'https://evil.example/r4/Observation?x=1')));
    const reader = new FhirReader({ fhirBase: BASE, tokens: 'tok', fetch: f });
    await assert.rejects(reader.searchAll('Observation', {}), /outside its FHIR base/);
    assert.equal(calls.length, 1);
  });

  test('a 401 makes the TokenSet refresh once, then the request is retried', async () => {
    const saved: SavedTokens = { fhirBase: BASE, clientId: 'c', accessToken: 'old', tokenType: 'bearer', expiresAt: Date.now() + 3600_000, refreshToken: 'r1', scope: 'patient/*.rs', patient: '1', obtainedAt: Date.now() };
    const fakeClient = { refresh: async () => ({ access_token: 'new', token_type: 'bearer', expires_in: 300, refresh_token: 'r2', scope: 'patient/*.rs', patient: '1' }) };
    const refreshed: SavedTokens[] = [];
    const tokens = new TokenSet(saved, fakeClient as never, { onRefresh: (t) => void refreshed.push(t) });
    const { f, calls } = fakeFetch((_url, init) => (new Headers(init?.headers).get('authorization') === 'Bearer new' ? json(200, { resourceType: 'Patient', id: '1' }) : json(401, {})));
    const reader = new FhirReader({ fhirBase: BASE, tokens, fetch: f });
    const r = await reader.read('Patient', '1');
    assert.equal(r.status, 'ok');
    assert.equal(calls.length, 2);
    assert.equal(refreshed[0].refreshToken, 'r2');
    assert.equal(tokens.refreshCount, 1);
  });

  test('TokenSet refreshes when less than 60 s are left, and not before', async () => {
    let now = 1_000_000;
    let refreshes = 0;
    const fakeClient = { refresh: async () => (refreshes++, { access_token: `a${refreshes}`, token_type: 'bearer', expires_in: 300 }) };
    const tokens = new TokenSet({ fhirBase: BASE, clientId: 'c', accessToken: 'a0', tokenType: 'bearer', expiresAt: now + 120_000, refreshToken: 'r', scope: '', obtainedAt: now }, fakeClient as never, { now: () => now });
    assert.equal(await tokens.getAccessToken(), 'a0');
    now += 61_000;
    assert.equal(await tokens.getAccessToken(), 'a1');
    assert.equal(tokens.tokens.refreshToken, 'r', 'a refresh without a new refresh token keeps the old one');
    const none = new TokenSet({ fhirBase: BASE, clientId: 'c', accessToken: 'x', tokenType: 'bearer', expiresAt: now - 1, scope: '', obtainedAt: now }, fakeClient as never, { now: () => now });
    await assert.rejects(none.getAccessToken(), (e: ClientError) => e.code === 'TOKEN_EXPIRED_NOT_REFRESHABLE');
  });
});

describe('client: record helpers and the HTML summary', () => {
  test('references (relative, absolute on the base, not contained) and merge by id', () => {
    const refs = referencesOf({ a: { reference: 'Practitioner/1' }, b: [{ reference: `${BASE}/Organization/2` }, { reference: '#med' }, { reference: 'https://other/Location/3' }], contained: [{ x: { reference: 'Location/9' } }] }, BASE);
    assert.deepEqual(refs, [{ type: 'Practitioner', id: '1' }, { type: 'Organization', id: '2' }]);
    assert.deepEqual(mergeById([{ resourceType: 'X', id: '1', v: 1 }, { resourceType: 'X', id: '2' }], [{ resourceType: 'X', id: '1', v: 2 }]), [{ resourceType: 'X', id: '1', v: 2 }, { resourceType: 'X', id: '2' }]);
  });

  test('the summary escapes what it shows and has no scripts', () => {
    const html = renderHealthSummary({
      Patient: [{ resourceType: 'Patient', id: '1', name: [{ given: ['<script>alert(1)</script>'], family: 'O\'Brien & Co' }], birthDate: '2000-01-01' }],
      Condition: [{ resourceType: 'Condition', id: 'c', clinicalStatus: { coding: [{ code: 'active' }] }, code: { text: '<b>Asthma</b>' } }],
      Observation: [
        { resourceType: 'Observation', id: 'w1', status: 'final', category: [{ coding: [{ code: 'vital-signs' }] }], code: { coding: [{ system: 'http://loinc.org', code: '29463-7', display: 'Body weight' }] }, effectiveDateTime: '2024-01-01', valueQuantity: { value: 70, unit: 'kg' } },
        { resourceType: 'Observation', id: 'w2', status: 'final', category: [{ coding: [{ code: 'vital-signs' }] }], code: { coding: [{ system: 'http://loinc.org', code: '29463-7', display: 'Body weight' }] }, effectiveDateTime: '2024-06-01', valueQuantity: { value: 72, unit: 'kg' } },
      ],
    });
    assert.ok(!html.includes('<script>'));
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt; O&#39;Brien &amp; Co'));
    assert.ok(html.includes('&lt;b&gt;Asthma&lt;/b&gt;'));
    assert.match(html, /<svg role="img" aria-labelledby=/);
    assert.match(html, /<desc id="[^"]+">Jan 1, 2024: 70\.0 kg; Jun 1, 2024: 72\.0 kg<\/desc>/);
    assert.match(html, /@media print/);
  });
});
