/**
 * The token side over real HTTP on each store, with tokens obtained through the real screens (form
 * posts): the SPEC §3 response, PKCE and code rules, refresh rotation and family revocation,
 * introspection, revocation, userinfo, and the FHIR API enforcing what was granted.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { storeKinds, type StoreFixture } from '../helpers/stores.js';
import { authorizeWithForms, DEMO_PASSWORD, obtainTokens, startAuthServer, type AuthTestServer } from '../helpers/auth-server.js';
import { DEMO_CLIENTS } from '../../src/demo/auth-seed.js';

const BASIC = 'Basic ' + Buffer.from(`${DEMO_CLIENTS.confidential.clientId}:${DEMO_CLIENTS.confidential.secret}`).toString('base64');
const LAB = 'patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory';

for (const kind of storeKinds()) {
  describe(`token flow (${kind.name})`, { skip: kind.skip }, () => {
    let fx: StoreFixture;
    let server: AuthTestServer;
    const token = (form: Record<string, string>, auth = BASIC) =>
      fetch(server.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: auth } : {}) },
        body: new URLSearchParams(form),
      });
    const fhir = (path: string, accessToken: string) => fetch(`${server.fhirBase}/${path}`, { headers: { authorization: `Bearer ${accessToken}` } });

    before(async () => {
      fx = await kind.create();
      server = await startAuthServer(fx);
    });
    after(async () => {
      await server?.close();
      await fx?.cleanup();
    });

    test('the token response carries exactly the SPEC §3 fields', async () => {
      const t = await obtainTokens(server, { patient: '429119572' });
      assert.deepEqual(
        Object.keys(t).sort(),
        ['access_token', 'client_type', 'expires_in', 'id_token', 'need_patient_banner', 'not-before-policy', 'patient', 'practice_id', 'refresh_expires_in', 'refresh_token', 'resource', 'scope', 'session_state', 'smart_style_url', 'subscription_type', 'token_type'].sort(),
      );
      assert.equal(t.token_type, 'Bearer');
      assert.equal(t.patient, '429119572');
      assert.equal(t.resource, 'Person/4007449');
      assert.equal(t.practice_id, '1673497');
      assert.equal(t.client_type, 'STANDALONE');
      assert.ok(t.refresh_expires_in >= 90 * 86400);
      assert.equal(t.expires_in, 900);
      assert.equal((await fhir('Patient/429119572', t.access_token)).status, 200);
      assert.equal((await fhir('Patient/428946523', t.access_token)).status, 404);
      assert.equal((await fhir('Person/4007449', t.access_token)).status, 200);
      assert.equal((await fhir('Person/4007450', t.access_token)).status, 404);
    });

    test('PKCE: missing, blank, wrong and equal-to-challenge verifiers are refused', async () => {
      for (const bad of [undefined, '', 'x'.repeat(43), 'challenge']) {
        const { redirect, verifier, redirectUri } = await authorizeWithForms(server, { patient: '428946492' });
        const code = redirect.searchParams.get('code')!;
        const form: Record<string, string> = { grant_type: 'authorization_code', code, redirect_uri: redirectUri };
        if (bad === 'challenge') {
          const { createHash } = await import('node:crypto');
          form.code_verifier = createHash('sha256').update(verifier).digest('base64url');
        } else if (bad !== undefined) form.code_verifier = bad;
        const res = await token(form);
        assert.equal(res.status, 400, String(bad));
        const body = await res.json();
        assert.ok(['invalid_grant', 'invalid_request'].includes(body.error), JSON.stringify(body));
        assert.equal(res.headers.get('cache-control'), 'no-store');
      }
    });

    test('a bad code is 400, a wrong client is 401, a reused code revokes what it issued', async () => {
      assert.equal((await token({ grant_type: 'authorization_code', code: 'BAD_CODE', redirect_uri: 'http://127.0.0.1:9/callback', code_verifier: 'v'.repeat(43) })).status, 400);
      const { redirect, verifier, redirectUri } = await authorizeWithForms(server, { patient: '428946492' });
      const form = { grant_type: 'authorization_code', code: redirect.searchParams.get('code')!, redirect_uri: redirectUri, code_verifier: verifier };
      const wrong = await token(form, 'Basic ' + Buffer.from('demo-confidential-app:wrong').toString('base64'));
      assert.equal(wrong.status, 401);
      assert.match(wrong.headers.get('www-authenticate') ?? '', /^Basic/);
      const first = await token(form);
      assert.equal(first.status, 200);
      const t = await first.json();
      assert.equal((await fhir('Patient/428946492', t.access_token)).status, 200);
      const again = await token(form);
      assert.equal(again.status, 400);
      assert.equal((await again.json()).error, 'invalid_grant');
      await new Promise((r) => setTimeout(r, 600));
      assert.equal((await fhir('Patient/428946492', t.access_token)).status, 401);
      assert.equal((await token({ grant_type: 'refresh_token', refresh_token: t.refresh_token })).status, 400);
    });

    test('refresh rotates, may narrow the scope, and a replayed refresh token revokes the family', async () => {
      const t = await obtainTokens(server, { patient: '429119572' });
      const r1 = await token({ grant_type: 'refresh_token', refresh_token: t.refresh_token });
      assert.equal(r1.status, 200);
      const t1 = await r1.json();
      assert.notEqual(t1.refresh_token, t.refresh_token);
      assert.equal(t1.patient, '429119572');
      assert.equal(t1.resource, 'Person/4007449');
      const r2 = await token({ grant_type: 'refresh_token', refresh_token: t1.refresh_token, scope: 'patient/Observation.rs offline_access' });
      assert.equal(r2.status, 200);
      const t2 = await r2.json();
      assert.equal(t2.scope, 'patient/Observation.rs offline_access');
      assert.equal((await fhir('Observation?patient=429119572', t2.access_token)).status, 200);
      assert.equal((await fhir('Condition?patient=429119572', t2.access_token)).status, 403);
      const wider = await token({ grant_type: 'refresh_token', refresh_token: t2.refresh_token, scope: 'patient/*.rs' });
      assert.equal(wider.status, 400);
      assert.equal((await wider.json()).error, 'invalid_scope');
      // The first refresh token was rotated away: presenting it revokes everything of this grant.
      const replay = await token({ grant_type: 'refresh_token', refresh_token: t.refresh_token });
      assert.equal(replay.status, 400);
      await new Promise((r) => setTimeout(r, 600));
      assert.equal((await fhir('Patient/429119572', t1.access_token)).status, 401);
      assert.equal((await token({ grant_type: 'refresh_token', refresh_token: t2.refresh_token })).status, 400);
      assert.equal((await token({ grant_type: 'refresh_token', refresh_token: 'not-a-token' })).status, 400);
    });

    test('a limited grant allows only its types; a granular grant returns only labs', async () => {
      const limited = await obtainTokens(server, { patient: '428946492', scope: 'launch/patient patient/Patient.rs patient/Condition.rs patient/Observation.rs' });
      assert.equal((await fhir('Patient/428946492', limited.access_token)).status, 200);
      assert.equal((await fhir('Condition?patient=428946492', limited.access_token)).status, 200);
      assert.equal((await fhir('Observation?patient=428946492', limited.access_token)).status, 200);
      for (const type of ['Encounter', 'Immunization', 'MedicationRequest', 'AllergyIntolerance', 'DocumentReference']) {
        assert.equal((await fhir(`${type}?patient=428946492`, limited.access_token)).status, 403, type);
      }
      const labs = await obtainTokens(server, {
        patient: '428946492',
        scope: 'launch/patient patient/Observation.rs',
        granular: { 'patient/Observation.rs': LAB },
      });
      assert.equal(labs.scope, `launch/patient ${LAB}`);
      const res = await fhir('Observation?patient=428946492&_count=1000', labs.access_token);
      const bundle = await res.json();
      assert.ok(bundle.entry.length > 0);
      for (const e of bundle.entry) {
        assert.ok(JSON.stringify(e.resource.category).includes('laboratory'), e.resource.id);
      }
    });

    test('deny redirects with access_denied and the state', async () => {
      const { redirect } = await authorizeWithForms(server, { patient: '428946492', deny: true, state: 'keep-me' });
      assert.equal(redirect.searchParams.get('error'), 'access_denied');
      assert.equal(redirect.searchParams.get('state'), 'keep-me');
      assert.equal(redirect.searchParams.get('code'), null);
    });

    test('introspection, revocation and userinfo', async () => {
      const t = await obtainTokens(server, { patient: '429119572' });
      const introspect = async (tok: string) =>
        (await fetch(`${server.issuer}/protocol/openid-connect/token/introspect`, { method: 'POST', headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: tok }) })).json();
      const active = await introspect(t.access_token);
      assert.equal(active.active, true);
      assert.equal(active.patient, '429119572');
      assert.equal(active.client_id, 'demo-confidential-app');
      assert.match(active.fhirUser, /\/Person\/4007449$/);
      assert.deepEqual(await introspect('nonsense'), { active: false });
      const info = await fetch(`${server.issuer}/protocol/openid-connect/userinfo`, { headers: { authorization: `Bearer ${t.access_token}` } });
      assert.equal(info.status, 200);
      assert.match((await info.json()).fhirUser, /Person\/4007449$/);
      const revoke = await fetch(`${server.issuer}/protocol/openid-connect/revoke`, { method: 'POST', headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: t.refresh_token }) });
      assert.equal(revoke.status, 200);
      await new Promise((r) => setTimeout(r, 600));
      const after = await fhir('Patient/429119572', t.access_token);
      assert.equal(after.status, 401);
      assert.match(after.headers.get('www-authenticate') ?? '', /^Bearer/);
      assert.equal((await token({ grant_type: 'refresh_token', refresh_token: t.refresh_token })).status, 400);
      assert.deepEqual(await introspect(t.access_token), { active: false });
    });

    test('a wrong password answers the same as an unknown user', async () => {
      await assert.rejects(authorizeWithForms(server, { username: 'anna.smith', password: 'wrong' }), /answered 401/);
      await assert.rejects(authorizeWithForms(server, { username: 'nobody.here', password: 'wrong' }), /answered 401/);
      // Anna can still sign in: one failure does not lock her out.
      const t = await obtainTokens(server, { username: 'anna.smith', password: DEMO_PASSWORD });
      assert.equal(t.patient, '428946523');
    });
  });
}
